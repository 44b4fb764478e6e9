import { describe, expect, it } from 'vitest';
import { expectProblem } from './support/problem.js';
import { ADMIN, type TestServer } from './support/server.js';
import { useTestServer } from './support/test-server.js';

const LOGIN = '/api/v1/auth/login';
/** What a TLS-terminating proxy in front of Berth adds (inject's default Host names port 80, which no such proxy would). */
const HTTPS = { 'x-forwarded-proto': 'https', host: 'berth.example.test' };

/** The raw Set-Cookie lines of an answer. */
function setCookies(res: { headers: Record<string, unknown> }): string[] {
  const header = res.headers['set-cookie'];
  return header === undefined ? [] : ([] as string[]).concat(header as string | string[]);
}

/** Signs the admin in and returns the one cookie line and its name=value pair. */
async function signIn(server: TestServer, headers: Record<string, string> = {}): Promise<{ line: string; pair: string; secret: string }> {
  const res = await server.app.inject({ method: 'POST', url: LOGIN, headers, payload: { username: ADMIN.username, password: ADMIN.password } });
  expect(res.statusCode, res.body).toBe(200);
  const lines = setCookies(res);
  expect(lines).toHaveLength(1);
  const pair = lines[0]!.split(';')[0]!;
  return { line: lines[0]!, pair, secret: pair.slice(pair.indexOf('=') + 1) };
}

const me = (server: TestServer, cookie: string, headers: Record<string, string> = {}) =>
  server.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie, ...headers } });

/** A cookie the browser accepts under the __Host- rules: Secure, Path=/, no Domain; HttpOnly and SameSite for Berth. */
function expectHostCookie(line: string): void {
  expect(line).toMatch(/^__Host-berth_session=[^;]+;/);
  expect(line).toMatch(/; Secure(;|$)/);
  expect(line).toMatch(/; Path=\/(;|$)/);
  expect(line).not.toMatch(/; Domain=/i);
  expect(line).toMatch(/; HttpOnly(;|$)/);
  expect(line).toMatch(/; SameSite=Lax(;|$)/);
}

describe('the session cookie over plain http', () => {
  const { server } = useTestServer({ admin: false });

  it('is berth_session, HttpOnly, SameSite=Lax, Path=/, without Secure (a laptop on http)', async () => {
    const { line, pair } = await signIn(server);

    expect(line).toMatch(/^berth_session=[^;]+;/);
    expect(line).not.toMatch(/; Secure/);
    expect(line).not.toMatch(/; Domain=/i);
    expect(line).toMatch(/; Path=\/(;|$)/);
    expect((await me(server, pair)).statusCode).toBe(200);
  });

  it('ignores X-Forwarded-Proto unless BERTH_TRUST_PROXY is set: any client could send it', async () => {
    const { line } = await signIn(server, HTTPS);
    expect(line).toMatch(/^berth_session=/);
  });
});

describe('the session cookie behind a TLS proxy (BERTH_TRUST_PROXY=true)', () => {
  const { server } = useTestServer({ env: { BERTH_TRUST_PROXY: 'true' }, admin: false });

  it('is __Host-berth_session with Secure when the request came over https', async () => {
    const { line, pair } = await signIn(server, HTTPS);

    expectHostCookie(line);
    expect((await me(server, pair, HTTPS)).statusCode).toBe(200);
  });

  it('reads only the __Host- cookie over https: a plain berth_session (planted over http or by a sibling host) is no session', async () => {
    const { secret } = await signIn(server, HTTPS);

    expectProblem(await me(server, `berth_session=${secret}`, HTTPS), 401, 'unauthorized');
  });

  it('stays plain on requests the proxy says came over http', async () => {
    const { line, pair } = await signIn(server, { 'x-forwarded-proto': 'http' });

    expect(line).toMatch(/^berth_session=/);
    expect(line).not.toMatch(/; Secure/);
    expect((await me(server, pair)).statusCode).toBe(200);
  });

  it('clears the __Host- cookie on sign-out over https, and the session ends', async () => {
    const { pair } = await signIn(server, HTTPS);

    const res = await server.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie: pair, origin: 'https://berth.example.test', ...HTTPS } });

    expect(res.statusCode, res.body).toBe(204);
    const [cleared] = setCookies(res);
    expect(cleared).toMatch(/^__Host-berth_session=;/);
    expect(cleared).toMatch(/; Secure(;|$)/);
    expect(cleared).toMatch(/; Path=\/(;|$)/);
    expect(cleared).toMatch(/Expires=Thu, 01 Jan 1970/);
    expectProblem(await me(server, pair, HTTPS), 401, 'unauthorized');
  });
});

describe('the session cookie with an https BERTH_PUBLIC_URL', () => {
  const PUBLIC = 'https://berth.example.test';
  const { server } = useTestServer({ env: { BERTH_PUBLIC_URL: PUBLIC }, admin: false });

  it('is __Host-berth_session with Secure, even though the hop to Berth is plain http', async () => {
    const { line, pair } = await signIn(server);

    expectHostCookie(line);
    expect((await me(server, pair)).statusCode).toBe(200);
  });

  it('is not shadowed by a plain berth_session cookie', async () => {
    const { secret } = await signIn(server);

    expectProblem(await me(server, `berth_session=${secret}`), 401, 'unauthorized');
  });

  it('is cleared on sign-out', async () => {
    const { pair } = await signIn(server);

    const res = await server.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie: pair, origin: PUBLIC } });

    expect(res.statusCode, res.body).toBe(204);
    expect(setCookies(res)[0]).toMatch(/^__Host-berth_session=;.*; Secure/);
    expectProblem(await me(server, pair), 401, 'unauthorized');
  });
});
