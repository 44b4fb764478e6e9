import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_BUILD } from './support/paths.js';
import { ADMIN, startTestServer, type TestServer } from './support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ BERTH_WEB_DIR: WEB_BUILD });
});
afterAll(() => server?.close());

/** The policy's directives by name, so a test reads one without depending on their order. */
function directives(res: LightMyRequestResponse): Map<string, string> {
  const policy = res.headers['content-security-policy'];
  expect(typeof policy, 'a Content-Security-Policy header').toBe('string');
  return new Map(
    String(policy)
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .map(([name, ...values]) => [name!, values.join(' ')]),
  );
}

function expectSecurityHeaders(res: LightMyRequestResponse): void {
  const csp = directives(res);
  expect(csp.get('script-src')).toBe("'self'");
  expect(csp.get('default-src')).toBe("'self'");
  expect(csp.get('frame-ancestors')).toBe("'none'");
  expect(csp.get('object-src')).toBe("'none'");
  // Forms post to Berth and to preview hosts (the grant form), nowhere else.
  expect(csp.get('form-action')).toMatch(/^'self' http:\/\/\*\.localhost(:\d+)?$/);
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['referrer-policy']).toBe('same-origin');
  expect(res.headers['x-frame-options']).toBe('DENY');
}

describe('security headers on Berth\'s answers', () => {
  it('are on the web app\'s page at /, which loads no inline script', async () => {
    const res = await server.anonymous.get('/', { accept: 'text/html' });

    expect(res.statusCode).toBe(200);
    expectSecurityHeaders(res);
    // script-src 'self' allows only scripts with a src on our origin: the page must have no other kind.
    const scripts = [...res.body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\bsrc="\/assets\//);
      expect(body!.trim()).toBe('');
    }
    expect(res.body).not.toMatch(/\son[a-z]+=/i);
  });

  it('are on a page the web app routes in the browser, and on its static assets', async () => {
    const page = await server.anonymous.get('/environments/some-id', { accept: 'text/html' });
    expect(page.statusCode).toBe(200);
    expectSecurityHeaders(page);

    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(page.body)![1]!;
    const script = await server.anonymous.get(asset);
    expect(script.statusCode).toBe(200);
    expectSecurityHeaders(script);
  });

  it('are on API answers: GET /api/v1/me signed in', async () => {
    const admin = await server.login(ADMIN.username, ADMIN.password);
    const res = await admin.get('/api/v1/me');

    expect(res.statusCode).toBe(200);
    expectSecurityHeaders(res);
  });

  it.each([
    ['401 unauthorized', () => server.anonymous.get('/api/v1/me')],
    ['404 not_found', () => server.anonymous.get('/api/v1/no-such-route')],
    ['400 invalid_json', () => server.anonymous.post('/api/v1/auth/login', '{', { 'content-type': 'application/json' })],
    ['403 csrf_failed', () => server.anonymous.post('/api/v1/auth/login', { username: 'a', password: 'b' }, { origin: 'https://evil.example' })],
  ])('are on problem answers: %s', async (status, request) => {
    const res = await request();

    expect(res.statusCode).toBe(Number(status.slice(0, 3)));
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expectSecurityHeaders(res);
  });

  it('are on health checks and the API document', async () => {
    expectSecurityHeaders(await server.anonymous.get('/healthz'));
    expectSecurityHeaders(await server.anonymous.get('/api/openapi.json'));
  });

  it('are on the API explorer at /api/docs, whose page loads only scripts of our origin', async () => {
    const res = await server.anonymous.get('/api/docs/');

    expect(res.statusCode).toBe(200);
    expectSecurityHeaders(res);
    for (const [, attributes, body] of res.body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
      expect(attributes).toMatch(/\bsrc="\.\/static\//);
      expect(body!.trim()).toBe('');
    }
  });
});
