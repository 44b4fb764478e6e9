import type { Problem } from '@berth/contracts';
import { eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { auditLog } from '../packages/server/src/db/schema.js';
import { ADMIN, startTestServer } from './support/server.js';
import { expectProblem } from './support/problem.js';
import { useTestServer } from './support/test-server.js';

const PASSWORD = 'a-long-enough-password';
const MIB = 1024 * 1024;
const JSON_TYPE = { 'content-type': 'application/json' };

const { server, admin } = useTestServer();


/** The problem+json contract every error response keeps, whatever produced it. */
const fieldsOf = (problem: Problem) => problem.errors?.map((e) => e.field);

describe('body size limits', () => {
  it('refuses a body over 1 MiB with 413 payload_too_large', async () => {
    const body = { username: 'admin', password: 'x'.repeat(MIB) };
    expectProblem(await server.anonymous.post('/api/v1/auth/login', body), 413, 'payload_too_large');
  });

  it('refuses a 2 KB body with 413 when BERTH_BODY_LIMIT_BYTES is 1000, and still accepts a small one', async () => {
    const small = await startTestServer({ BERTH_BODY_LIMIT_BYTES: '1000' });
    try {
      const big = await small.anonymous.post('/api/v1/auth/login', { username: 'admin', password: 'x'.repeat(2048) });
      expectProblem(big, 413, 'payload_too_large');
      const fits = await small.anonymous.post('/api/v1/auth/login', { username: ADMIN.username, password: ADMIN.password });
      expect(fits.statusCode, fits.body).toBe(200);
    } finally {
      await small.close();
    }
  });
});

describe('malformed bodies', () => {
  it('answers malformed JSON with 400 invalid_json', async () => {
    const res = await server.anonymous.post('/api/v1/auth/login', '{"username": "admin", "password": ', JSON_TYPE);
    expectProblem(res, 400, 'invalid_json');
  });

  it('treats an empty JSON body as no body: 400 validation_failed where one is required, accepted where none is', async () => {
    expectProblem(await server.anonymous.post('/api/v1/auth/login', '', JSON_TYPE), 400, 'validation_failed');
    const token = (await admin.post('/api/v1/tokens', { name: 'bodiless' })).json<{ id: string }>();
    expect((await admin.request('DELETE', `/api/v1/tokens/${token.id}`, '', JSON_TYPE)).statusCode).toBe(204);
  });

  it('answers a content type the API does not parse with 415 unsupported_media_type', async () => {
    const res = await server.anonymous.post('/api/v1/auth/login', '<login/>', { 'content-type': 'application/xml' });
    expectProblem(res, 415, 'unsupported_media_type');
  });

  it('answers a wrong type with 400 validation_failed naming body.username', async () => {
    const problem = expectProblem(await admin.post('/api/v1/users', { username: 5, password: PASSWORD }), 400, 'validation_failed');
    expect(fieldsOf(problem)).toEqual(['body.username']);
  });

  it('names each unknown field as body.<field>', async () => {
    const res = await admin.post('/api/v1/users', { username: 'eve', password: PASSWORD, role: 'root', plan: 'gold' });
    const problem = expectProblem(res, 400, 'validation_failed');
    expect(fieldsOf(problem)?.sort()).toEqual(['body.plan', 'body.role']);
  });
});

describe('over-long strings', () => {
  it.each([
    ['a 5,000-character username on create', () => admin.post('/api/v1/users', { username: 'u'.repeat(5000), password: PASSWORD }), 'body.username'],
    ['a 5,000-character username on login', () => server.anonymous.post('/api/v1/auth/login', { username: 'u'.repeat(5000), password: PASSWORD }), 'body.username'],
    ['a 500-character token name', () => admin.post('/api/v1/tokens', { name: 'n'.repeat(500) }), 'body.name'],
    ['a 100,000-character password on create', () => admin.post('/api/v1/users', { username: 'longpw', password: 'p'.repeat(100_000) }), 'body.password'],
  ])('refuses %s with 400 validation_failed naming the field', async (_what, send, field) => {
    const problem = expectProblem(await send(), 400, 'validation_failed');
    // A value may break several rules (too long, bad characters), all on the one field.
    expect(new Set(fieldsOf(problem))).toEqual(new Set([field]));
  });

  it('refuses a 100,000-character login password with 400 before the login service runs', async () => {
    const attempts = () => server.database.db.select().from(auditLog).where(eq(auditLog.action, 'user.login_failed'));
    const before = (await attempts()).length;

    const res = await server.anonymous.post('/api/v1/auth/login', { username: ADMIN.username, password: 'p'.repeat(100_000) });

    const problem = expectProblem(res, 400, 'validation_failed');
    expect(fieldsOf(problem)).toEqual(['body.password']);
    // Every password the service checks (hashes) leaves a login audit row; this one left none.
    expect((await attempts()).length).toBe(before);
  });
});

describe('unknown routes', () => {
  it.each(['/nope', '/api/v1/nope', '/api/v2/users'])('answers GET %s with 404 not_found as application/problem+json', async (url) => {
    const problem = expectProblem(await server.anonymous.get(url), 404, 'not_found');
    expect(problem.instance).toBe(url);
  });
});

describe('the problem+json contract', () => {
  it.each<[string, () => Promise<LightMyRequestResponse>, number, string]>([
    ['a validation failure', () => admin.post('/api/v1/users', { username: '' }), 400, 'validation_failed'],
    ['malformed JSON', () => admin.post('/api/v1/users', '{', JSON_TYPE), 400, 'invalid_json'],
    ['no credentials', () => server.anonymous.get('/api/v1/users'), 401, 'unauthorized'],
    ['a bad bearer token', () => server.withToken('berth_not-a-real-token').get('/api/v1/me'), 401, 'unauthorized'],
    ['a malformed Authorization header', () => server.anonymous.get('/api/v1/me', { authorization: 'Basic YWRtaW4=' }), 401, 'unauthorized'],
    ['a cross-site POST', () => admin.post('/api/v1/tokens', { name: 'x' }, { origin: 'https://evil.example' }), 403, 'csrf_failed'],
    ['an unknown user', () => admin.get('/api/v1/users/00000000-0000-4000-8000-000000000000'), 404, 'not_found'],
    ['an unknown route', () => server.anonymous.get('/definitely/not/here'), 404, 'not_found'],
    ['an unsupported media type', () => admin.post('/api/v1/tokens', 'x', { 'content-type': 'application/xml' }), 415, 'unsupported_media_type'],
  ])('holds for %s: type, title, status, detail, code, request id, no stack trace', async (_what, send, status, code) => {
    const res = await send();
    const problem = expectProblem(res, status, code);
    expect(problem.requestId).toBe(res.headers['x-request-id']);
  });
});
