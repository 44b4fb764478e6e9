import type { CreatedToken, Environment, Problem } from '@berth/contracts';
import WebSocket from 'ws';
import { beforeAll, describe, expect, it } from 'vitest';
import { USER_PASSWORD, useTestServer } from './support/test-server.js';
import { runningEnvironment } from './support/wait.js';

// Cross-site WebSocket hijacking: a page on another origin of the same site (a preview on a
// sibling host, another port of 127.0.0.1) opens Berth's sockets, and the browser adds the cookie.

const { server, users: { ada } } = useTestServer({ users: ['ada'] });
let base: string;
let cookie: string;
let token: string;
let env: Environment;

beforeAll(async () => {
  base = await server.app.listen({ host: '127.0.0.1', port: 0 });
  const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'ada', password: USER_PASSWORD }) });
  cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  token = (await ada.post('/api/v1/tokens', { name: 'script' })).json<CreatedToken>().token;
  env = await runningEnvironment(ada);
});

type Handshake = { status: 101 } | { status: number; problem: Problem };

/** Opens a WebSocket with exactly these headers and says how the handshake ended (closing it if it opened). */
function handshake(path: string, headers: Record<string, string>): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${base.replace('http', 'ws')}${path}`, { headers });
    socket.once('open', () => {
      socket.close();
      resolve({ status: 101 });
    });
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, problem: JSON.parse(body) as Problem }));
    });
    socket.once('error', reject);
  });
}

const terminalPath = (session: string) => `/api/v1/environments/${env.id}/terminal?session=${session}`;
const eventsPath = () => `/api/v1/environments/${env.id}/events/ws`;
const SOCKETS = [
  ['terminal', () => terminalPath('origin-test')],
  ['events', eventsPath],
  ['assistant', () => `/api/v1/environments/${env.id}/assistant`],
] as const;

function expectRefused(result: Handshake, status: number, code: string): void {
  expect(result.status).toBe(status);
  expect('problem' in result && result.problem.code).toBe(code);
}

describe.each(SOCKETS)('the %s socket with the session cookie', (_name, path) => {
  it.each([
    ['another port of the same host', () => base.replace(/:\d+$/, ':1')],
    ['a preview host', () => `http://8000-${env.id}.localhost:${new URL(base).port}`],
    ['another site', () => 'https://evil.example'],
    ['an opaque origin (a sandboxed frame)', () => 'null'],
  ])('refuses an upgrade from %s with 403 csrf_failed, before upgrading', async (_from, origin) => {
    expectRefused(await handshake(path(), { cookie, origin: origin() }), 403, 'csrf_failed');
  });

  it('accepts an upgrade from Berth\'s own origin', async () => {
    expect(await handshake(path(), { cookie, origin: base })).toEqual({ status: 101 });
  });

  it('accepts an upgrade with no Origin: browsers always send one, so it is a program holding the cookie', async () => {
    expect(await handshake(path(), { cookie })).toEqual({ status: 101 });
  });
});

describe('WebSocket upgrades without the session cookie', () => {
  it('does not check the Origin of a Bearer caller: no browser page can send one', async () => {
    const result = await handshake(terminalPath('bearer'), { authorization: `Bearer ${token}`, origin: 'https://evil.example' });
    expect(result).toEqual({ status: 101 });
  });

  it('answers an anonymous upgrade from a foreign Origin 401: there is nobody to impersonate', async () => {
    expectRefused(await handshake(eventsPath(), { origin: 'https://evil.example' }), 401, 'unauthorized');
  });

  it('still refuses a cookie-authenticated POST from a foreign Origin (the HTTP rule is unchanged)', async () => {
    const res = await fetch(`${base}/api/v1/tokens`, { method: 'POST', headers: { cookie, origin: 'https://evil.example', 'content-type': 'application/json' }, body: '{"name":"x"}' });
    expect(res.status).toBe(403);
  });
});
