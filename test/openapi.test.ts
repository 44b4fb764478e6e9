import type { OpenAPIV3_1 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, startTestServer, type TestServer } from './support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

async function openApi(): Promise<OpenAPIV3_1.Document> {
  const res = await server.anonymous.get('/api/openapi.json');
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return res.json<OpenAPIV3_1.Document>();
}

describe('GET /api/openapi.json', () => {
  it('is an OpenAPI 3.1 document, served without credentials', async () => {
    const doc = await openApi();
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toBe('Berth API');
  });

  it('describes every API route, with path parameters in OpenAPI form', async () => {
    const { paths = {} } = await openApi();

    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/auth/login',
        '/api/v1/users',
        '/api/v1/users/{id}',
        '/api/v1/tokens',
        '/api/v1/config/{name}',
        '/api/v1/audit',
        '/api/v1/me',
      ]),
    );
    expect(paths['/api/v1/users/{id}']?.patch).toBeDefined();
    expect(paths['/api/v1/config/{name}']?.put).toBeDefined();
  });

  it('requires username and password in the login body, as the Zod schema does', async () => {
    const { paths = {} } = await openApi();
    const body = paths['/api/v1/auth/login']?.post?.requestBody as OpenAPIV3_1.RequestBodyObject | undefined;
    const schema = body?.content['application/json']?.schema as OpenAPIV3_1.SchemaObject | undefined;

    expect(schema?.type).toBe('object');
    expect(schema?.required).toEqual(expect.arrayContaining(['username', 'password']));
    expect(schema?.properties).toEqual({
      username: { type: 'string', minLength: 1, maxLength: 64 },
      password: { type: 'string', minLength: 1, maxLength: 1024 },
    });
    // Strict schemas in Zod are closed objects in the document too.
    expect(schema?.additionalProperties).toBe(false);
  });
});

describe('GET /api/docs', () => {
  it.each(['/api/docs', '/api/docs/'])('serves the API explorer as HTML at %s', async (url) => {
    const res = await server.anonymous.get(url);

    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toMatch(/<html/i);
  });
});

describe('GET /metrics', () => {
  it('exposes request counts and durations in Prometheus text, labelled by route pattern', async () => {
    const admin = await server.login(ADMIN.username, ADMIN.password);
    const me = await admin.get('/api/v1/me');
    const id = me.json<{ id: string }>().id;
    expect((await admin.get(`/api/v1/users/${id}`)).statusCode).toBe(200);
    await server.anonymous.get('/no/such/route');

    const res = await admin.get('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.body;
    expect(text).toContain('# TYPE berth_http_requests_total counter');
    expect(text).toContain('# TYPE berth_http_request_duration_seconds histogram');
    expect(text).toMatch(/^berth_http_requests_total\{[^}]*route="\/api\/v1\/me"[^}]*\} 1$/m);
    expect(text).toMatch(/^berth_http_requests_total\{method="GET",route="\/api\/v1\/users\/:id",status="200"\} 1$/m);
    expect(text).toMatch(/^berth_http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/users\/:id"[^}]*\} 1$/m);
    // Ids and unknown URLs never become label values: the label space stays bounded.
    expect(text).not.toContain(id);
    expect(text).not.toContain('/no/such/route');
  });
});
