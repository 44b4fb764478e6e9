import type { ConfigFlag, CreatedToken, Problem, Token, User } from '@berth/contracts';
import type { LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { BERTH_COOKIE_NAMES } from '../packages/server/src/http/auth.js';
import { expectProblem } from './support/problem.js';
import { ADMIN, ORIGIN, type Caller, type TestServer } from './support/server.js';
import { useTestServer } from './support/test-server.js';

const FOREIGN = 'https://evil.example';
const LOGIN = '/api/v1/auth/login';
type Method = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The raw session cookie, for requests the Caller helper cannot make (it always adds our Origin). */
async function sessionCookie(server: TestServer, username: string, password: string): Promise<string> {
  const res = await server.anonymous.post(LOGIN, { username, password });
  expect(res.statusCode).toBe(200);
  const session = res.cookies.find((c) => BERTH_COOKIE_NAMES.includes(c.name));
  expect(session).toBeDefined();
  return `${session!.name}=${session!.value}`;
}

function send(server: TestServer, method: Method, url: string, headers: Record<string, string>, payload?: object) {
  return server.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
}

function expectCsrfRefused(res: LightMyRequestResponse): void {
  expect(res.statusCode).toBe(403);
  expect(res.json<Problem>().code).toBe('csrf_failed');
}

async function usernames(caller: Caller): Promise<string[]> {
  return (await caller.get('/api/v1/users')).json<{ items: User[] }>().items.map((u) => u.username);
}

async function tokenNames(caller: Caller): Promise<string[]> {
  return (await caller.get('/api/v1/tokens')).json<{ items: Token[] }>().items.map((t) => t.name);
}

describe('CSRF protection with the default origin', () => {
  const { server, admin } = useTestServer();
  let cookie: string;
  beforeAll(async () => {
    cookie = await sessionCookie(server, ADMIN.username, ADMIN.password);
  });

  it('refuses a cookie-authenticated POST from a foreign Origin and creates nothing', async () => {
    const res = await admin.post('/api/v1/users', { username: 'csrf-victim', password: 'a-long-enough-password' }, { origin: FOREIGN });

    expectCsrfRefused(res);
    expect(await usernames(admin)).not.toContain('csrf-victim');
  });

  it('refuses a change when neither the Host nor the Origin can be parsed, rather than calling them equal', async () => {
    const res = await admin.post('/api/v1/tokens', { name: 'unparsable' }, { host: 'a b', origin: 'garbage' });
    expectCsrfRefused(res);
  });

  it('refuses a cookie-authenticated PUT from a foreign Origin and leaves the flag as it was', async () => {
    const flag = async () => (await admin.get('/api/v1/config')).json<{ items: ConfigFlag[] }>().items.find((f) => f.name === 'default_credits');
    const before = await flag();
    expect(before).toBeDefined();

    const res = await admin.put('/api/v1/config/default_credits', { value: '999' }, { origin: FOREIGN });

    expectCsrfRefused(res);
    expect(await flag()).toEqual(before);
  });

  it('refuses a cookie-authenticated PATCH from a foreign Origin and leaves the user active', async () => {
    const id = await server.createUser('patch-target');

    const res = await admin.patch(`/api/v1/users/${id}`, { active: false }, { origin: FOREIGN });

    expectCsrfRefused(res);
    expect((await admin.get(`/api/v1/users/${id}`)).json<User>().active).toBe(true);
  });

  it('refuses a cookie-authenticated DELETE from a foreign Origin and leaves the token working', async () => {
    const { id, token } = (await admin.post('/api/v1/tokens', { name: 'keep me' })).json<CreatedToken>();

    const res = await admin.delete(`/api/v1/tokens/${id}`, { origin: FOREIGN });

    expectCsrfRefused(res);
    expect((await server.withToken(token).get('/api/v1/me')).statusCode).toBe(200);
  });

  it('without an Origin, judges by the Referer: a foreign one is refused', async () => {
    const res = await send(server, 'POST', '/api/v1/tokens', { cookie, referer: `${FOREIGN}/attack.html` }, { name: 'via referer' });

    expectCsrfRefused(res);
    expect(await tokenNames(admin)).not.toContain('via referer');
  });

  it('accepts an Origin without the default port when the Host names port 80 explicitly', async () => {
    const res = await send(server, 'POST', '/api/v1/tokens', { host: 'berth.example:80', cookie, origin: 'http://berth.example' }, { name: 'explicit port 80' });

    expect(res.statusCode, res.body).toBe(201);
    expect(await tokenNames(admin)).toContain('explicit port 80');
  });

  it('refuses an Origin on another port of the same host with 403 csrf_failed', async () => {
    const res = await send(server, 'POST', '/api/v1/tokens', { host: 'berth.example:80', cookie, origin: 'http://berth.example:8080' }, { name: 'other port' });

    expectCsrfRefused(res);
    expect(await tokenNames(admin)).not.toContain('other port');
  });

  it('without an Origin, accepts a Referer on our own origin, path and all', async () => {
    const res = await send(server, 'POST', '/api/v1/tokens', { cookie, referer: `${ORIGIN}/whatever` }, { name: 'own referer' });

    expect(res.statusCode, res.body).toBe(201);
    expect(await tokenNames(admin)).toContain('own referer');
  });

  it('refuses a cookie-authenticated change that carries neither Origin nor Referer', async () => {
    const res = await send(server, 'POST', '/api/v1/tokens', { cookie }, { name: 'no provenance' });

    expectCsrfRefused(res);
    expect(await tokenNames(admin)).not.toContain('no provenance');
  });

  it('accepts a cookie-authenticated change from our own Origin', async () => {
    const res = await send(server, 'POST', '/api/v1/users', { cookie, origin: ORIGIN }, { username: 'same-site-sam', password: 'a-long-enough-password' });

    expect(res.statusCode).toBe(201);
    expect(await usernames(admin)).toContain('same-site-sam');
  });

  it('does not check bearer-authenticated requests, whatever their Origin', async () => {
    const { token } = (await admin.post('/api/v1/tokens', { name: 'script' })).json<CreatedToken>();

    const res = await server.withToken(token).post('/api/v1/tokens', { name: 'made by script' }, { origin: FOREIGN });

    expect(res.statusCode).toBe(201);
  });

  it('does not check safe methods: a GET from a foreign Origin is answered', async () => {
    const res = await admin.get('/api/v1/me', { origin: FOREIGN });

    expect(res.statusCode).toBe(200);
    expect(res.json<User>().username).toBe(ADMIN.username);
  });

  it('refuses an anonymous sign-in posted from a foreign Origin (login CSRF) and sets no cookie', async () => {
    const res = await server.anonymous.post(LOGIN, { username: ADMIN.username, password: ADMIN.password }, { origin: FOREIGN });

    expectCsrfRefused(res);
    expect(res.cookies).toEqual([]);
  });

  it('accepts an anonymous sign-in posted from our own Origin', async () => {
    const res = await server.anonymous.post(LOGIN, { username: ADMIN.username, password: ADMIN.password }, { origin: ORIGIN });

    expect(res.statusCode).toBe(200);
  });
});

describe('an Authorization header in a scheme other than Bearer', () => {
  // What a reverse proxy protected by Basic auth passes on: user:pass.
  const BASIC = 'Basic dXNlcjpwYXNz';
  const { server } = useTestServer({ admin: false });

  it('does not stop GET /healthz from answering 200', async () => {
    const res = await server.anonymous.get('/healthz', { authorization: BASIC });

    expect(res.statusCode, res.body).toBe(200);
  });

  it('does not stop a sign-in with good credentials: 200 and a session cookie', async () => {
    const res = await server.anonymous.post(LOGIN, { username: ADMIN.username, password: ADMIN.password }, { authorization: BASIC });

    expect(res.statusCode, res.body).toBe(200);
    expect(res.cookies.some((c) => c.name === 'berth_session')).toBe(true);
  });

  it('counts as no credential: /api/v1/me without a cookie answers 401 unauthorized', async () => {
    expectProblem(await server.anonymous.get('/api/v1/me', { authorization: BASIC }), 401, 'unauthorized');
  });

  it('leaves the session cookie in charge when both are sent', async () => {
    const admin = await server.login(ADMIN.username, ADMIN.password);

    const res = await admin.get('/api/v1/me', { authorization: BASIC });

    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<User>().username).toBe(ADMIN.username);
  });
});

describe('CSRF protection with BERTH_PUBLIC_URL set', () => {
  const PUBLIC = 'https://berth.example.test';
  const { server } = useTestServer({ env: { BERTH_PUBLIC_URL: PUBLIC }, admin: false });
  let cookie: string;
  beforeAll(async () => {
    cookie = await sessionCookie(server, ADMIN.username, ADMIN.password);
  });

  it('accepts a cookie-authenticated change from the public URL\'s origin', async () => {
    const res = await send(server, 'POST', '/api/v1/tokens', { cookie, origin: PUBLIC }, { name: 'from public origin' });

    expect(res.statusCode).toBe(201);
  });

  it('accepts a Referer on the public URL when no Origin is sent', async () => {
    const res = await send(server, 'POST', '/api/v1/tokens', { cookie, referer: `${PUBLIC}/settings/tokens` }, { name: 'from public referer' });

    expect(res.statusCode).toBe(201);
  });

  it('refuses the origin the request arrived on when it is not the public URL', async () => {
    const res = await send(server, 'POST', '/api/v1/tokens', { cookie, origin: ORIGIN }, { name: 'from local origin' });

    expectCsrfRefused(res);
  });
});
