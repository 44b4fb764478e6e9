import { SOCKET_CLOSE_REVOKED, type Environment } from '@berth/contracts';
import { sql } from 'drizzle-orm';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVOCATIONS_CHANNEL } from '../packages/server/src/modules/auth/revocations.js';
import { cutListeners } from './support/database.js';
import { agentUser, createSandbox } from './support/e2b.js';
import { closedWith, follow, openSocket, refusedUpgrade, stubbornSocket } from './support/live.js';
import { startPeerProcess, type ServerProcess } from './support/process.js';
import { ADMIN, startTestServer, type Caller, type TestServer } from './support/server.js';
import type { TerminalClient } from './support/terminal.js';
import { runningEnvironment, waitFor } from './support/wait.js';

/**
 * Revocation that bites: a WebSocket (terminal, events) is authorized once, at
 * its upgrade, so every way of revoking what authorized it must also close it,
 * with SOCKET_CLOSE_REVOKED and within a bounded wait, and leave everyone
 * else's sockets alone. The per-user WebSocket cap lives in the same registry.
 */
const CAP = 3;
const PASSWORD = 'ada-password-1234';
let server: TestServer;
let base: string;
let admin: Caller;
let adaEnv: Environment;
let bobEnv: Environment;
let bob: string; // bob's cookie header

async function signIn(username: string, password: string): Promise<string> {
  const res = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: base }, body: JSON.stringify({ username, password }) });
  expect(res.status).toBe(200);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

async function newToken(cookie: string): Promise<{ id: string; token: string }> {
  const res = await fetch(`${base}/api/v1/tokens`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, origin: base }, body: JSON.stringify({ name: 'socket' }) });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; token: string };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const asCookie = (cookie: string) => ({ cookie });
const terminal = (env: Environment, headers: Record<string, string>, session: string) => openSocket(base, `/api/v1/environments/${env.id}/terminal?session=${session}`, headers);
const events = (env: Environment, headers: Record<string, string>) => openSocket(base, `/api/v1/environments/${env.id}/events/ws`, headers);
const assistant = (env: Environment, headers: Record<string, string>) => openSocket(base, `/api/v1/environments/${env.id}/assistant`, headers);

async function opened(...clients: TerminalClient[]): Promise<void> {
  await Promise.all(clients.map((c) => c.opened));
}

/** Still open and still served: a terminal answers what is typed. */
async function stillWorks(t: TerminalClient, mark: string): Promise<void> {
  expect(t.socket.readyState).toBe(WebSocket.OPEN);
  t.type(`echo ${mark}-$((6*7))\n`);
  await t.expect(new RegExp(`${mark}-42`));
}

const status = async (path: string, headers: Record<string, string>) => (await fetch(`${base}${path}`, { headers })).status;

beforeAll(async () => {
  server = await startTestServer({ BERTH_MAX_SOCKETS_PER_USER: String(CAP) });
  base = await server.app.listen({ host: '127.0.0.1', port: 0 });
  admin = await server.login(ADMIN.username, ADMIN.password);
  await server.createUser('ada', PASSWORD);
  await server.createUser('bob', 'bob-password-1234');
  [adaEnv, bobEnv] = await Promise.all([runningEnvironment(await server.login('ada', PASSWORD)), runningEnvironment(await server.login('bob', 'bob-password-1234'))]);
  bob = await signIn('bob', 'bob-password-1234');
}, 120_000); // two environments to bring up
afterAll(() => server.close());

describe('revoked credentials close the sockets they opened', () => {
  it('revoking a token closes its terminal and events sockets; a session socket of the same user and another user stay open', async () => {
    const session = await signIn('ada', PASSWORD);
    const { id, token } = await newToken(session);
    const [byToken, eventsByToken, bySession, bobs] = [terminal(adaEnv, bearer(token), 'tok'), events(adaEnv, bearer(token)), terminal(adaEnv, asCookie(session), 'ses'), terminal(bobEnv, asCookie(bob), 'bob')];
    await opened(byToken, eventsByToken, bySession, bobs);

    const revoked = await fetch(`${base}/api/v1/tokens/${id}`, { method: 'DELETE', headers: { cookie: session, origin: base } });
    expect(revoked.status).toBe(204);
    expect(await closedWith(byToken)).toBe(SOCKET_CLOSE_REVOKED);
    expect(await closedWith(eventsByToken)).toBe(SOCKET_CLOSE_REVOKED);
    await stillWorks(bySession, 'session');
    await stillWorks(bobs, 'bob');
    await Promise.all([bySession.close(), bobs.close()]);
  });

  it("revoking a token closes its assistant socket; the session's stays open", async () => {
    const session = await signIn('ada', PASSWORD);
    const { id, token } = await newToken(session);
    const [byToken, bySession] = [assistant(adaEnv, bearer(token)), terminal(adaEnv, asCookie(session), 'assistant-ses')];
    await opened(byToken, bySession);
    const revoked = await fetch(`${base}/api/v1/tokens/${id}`, { method: 'DELETE', headers: { cookie: session, origin: base } });
    expect(revoked.status).toBe(204);
    expect(await closedWith(byToken)).toBe(SOCKET_CLOSE_REVOKED);
    await stillWorks(bySession, 'session');
    await bySession.close();
  });

  it('a client that ignores the close frame types nothing more (no keystroke reaches the shell or counts as activity) and is cut off', async () => {
    const session = await signIn('ada', PASSWORD);
    const { id, token } = await newToken(session);
    const exists = async (path: string) => (await server.services.runtime.exec(adaEnv.id, { argv: ['test', '-e', path], timeoutMs: 10_000, maxOutputBytes: 1024 })).exitCode === 0;
    const stubborn = await stubbornSocket(base, `/api/v1/environments/${adaEnv.id}/terminal?session=stubborn`, bearer(token));
    stubborn.type('touch /workspace/before-revoke\n');
    await waitFor('the keystrokes typed before the revocation to run', () => exists('/workspace/before-revoke'), 10_000);

    expect((await fetch(`${base}/api/v1/tokens/${id}`, { method: 'DELETE', headers: { cookie: session, origin: base } })).status).toBe(204);
    expect(await waitFor('the close frame', async () => stubborn.closeCode(), 5_000)).toBe(SOCKET_CLOSE_REVOKED);
    stubborn.type('touch /workspace/after-revoke\n');
    await stubborn.ended;
    // The same shell through a valid session: input is read in order, so anything that got through would have run before this.
    const again = terminal(adaEnv, asCookie(session), 'stubborn');
    await again.opened;
    again.type('echo done-$((1+1))\n');
    await again.expect(/done-2/);
    expect(await exists('/workspace/after-revoke')).toBe(false);
    await again.close();
  });

  it('revoking a token ends an exec stream it opened, with an unauthorized error line', async () => {
    const session = await signIn('ada', PASSWORD);
    const { id, token } = await newToken(session);
    const res = await fetch(`${base}/api/v1/environments/${adaEnv.id}/exec/stream`, {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: JSON.stringify({ command: ['sh', '-c', 'echo started; sleep 120'], timeoutMs: 120_000 }),
    });
    expect(res.status).toBe(200);
    const stream = follow(res.body!);
    const lines = () => stream.bytes().toString().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; code?: string });
    await waitFor('the command to start', async () => lines().some((l) => l.type === 'stdout'));
    expect((await fetch(`${base}/api/v1/tokens/${id}`, { method: 'DELETE', headers: { cookie: session, origin: base } })).status).toBe(204);
    await waitFor('the stream to end', async () => stream.ended(), 5_000);
    expect(lines().at(-1)).toMatchObject({ type: 'error', code: 'unauthorized' });
  });

  it('signing out closes that session\'s sockets and no other session\'s', async () => {
    const [leaving, staying] = [await signIn('ada', PASSWORD), await signIn('ada', PASSWORD)];
    const [gone, kept] = [events(adaEnv, asCookie(leaving)), terminal(adaEnv, asCookie(staying), 'ses')];
    await opened(gone, kept);
    expect((await fetch(`${base}/api/v1/auth/logout`, { method: 'POST', headers: { cookie: leaving, origin: base } })).status).toBe(204);
    expect(await closedWith(gone)).toBe(SOCKET_CLOSE_REVOKED);
    await stillWorks(kept, 'kept');
    await kept.close();
  });

  it('changing one\'s password closes the other sessions\' sockets; token sockets only with revokeTokens; the asking session stays', async () => {
    const [current, other] = [await signIn('ada', PASSWORD), await signIn('ada', PASSWORD)];
    const { token } = await newToken(current);
    const [mine, others, byToken] = [terminal(adaEnv, asCookie(current), 'ses'), events(adaEnv, asCookie(other)), terminal(adaEnv, bearer(token), 'tok')];
    await opened(mine, others, byToken);
    const change = (body: Record<string, unknown>) =>
      fetch(`${base}/api/v1/me/password`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: current, origin: base }, body: JSON.stringify(body) });

    expect((await change({ currentPassword: PASSWORD, newPassword: `${PASSWORD}-2` })).status).toBe(204);
    expect(await closedWith(others)).toBe(SOCKET_CLOSE_REVOKED);
    await stillWorks(byToken, 'token');
    expect((await change({ currentPassword: `${PASSWORD}-2`, newPassword: PASSWORD, revokeTokens: true })).status).toBe(204);
    expect(await closedWith(byToken)).toBe(SOCKET_CLOSE_REVOKED);
    await stillWorks(mine, 'mine');
    await mine.close();
  });

  it('an admin setting a password with revokeTokens closes the user\'s session and token sockets', async () => {
    const session = await signIn('ada', PASSWORD);
    const { token } = await newToken(session);
    const [bySession, byToken] = [events(adaEnv, asCookie(session)), events(adaEnv, bearer(token))];
    await opened(bySession, byToken);
    const res = await admin.patch(`/api/v1/users/${adaEnv.owner.id}`, { password: PASSWORD, revokeTokens: true });
    expect(res.statusCode, res.body).toBe(200);
    expect(await closedWith(bySession)).toBe(SOCKET_CLOSE_REVOKED);
    expect(await closedWith(byToken)).toBe(SOCKET_CLOSE_REVOKED);
    expect(await status('/api/v1/me', bearer(token))).toBe(401);
  });

  it('closes the sockets of a credential that expired while they were open, when open connections are re-checked', async () => {
    const session = await signIn('ada', PASSWORD);
    const { id, token } = await newToken(session);
    const [byToken, bySession] = [events(adaEnv, bearer(token)), events(adaEnv, asCookie(session))];
    await opened(byToken, bySession);
    // Expiry announces nothing: only the re-check (every BERTH_REVOCATION_RECHECK_SECONDS) can see it.
    await server.database.db.execute(sql`update api_tokens set expires_at = now() - interval '1 second' where id = ${id}`);
    expect(await server.services.revocations.recheck()).toBe(1);
    expect(await closedWith(byToken)).toBe(SOCKET_CLOSE_REVOKED);
    expect(bySession.socket.readyState).toBe(WebSocket.OPEN);
    await bySession.close();
  });

  it('demoting an admin closes the sockets they opened with admin rights on others\' environments', async () => {
    await server.createUser('deputy', 'deputy-password-1234', true);
    const deputy = events(bobEnv, asCookie(await signIn('deputy', 'deputy-password-1234')));
    await deputy.opened;
    const res = await admin.patch(`/api/v1/users/${(await server.services.usersRepo.findByUsername(server.database.db, 'deputy'))!.id}`, { isAdmin: false });
    expect(res.statusCode, res.body).toBe(200);
    expect(await closedWith(deputy)).toBe(SOCKET_CLOSE_REVOKED);
  });

  it('deactivating a user closes their terminal, events and assistant sockets, by session and by token; another user\'s stay open', async () => {
    const session = await signIn('ada', PASSWORD);
    const { token } = await newToken(session);
    // The per-user cap is three: a terminal by token is the first test's.
    const mine = [terminal(adaEnv, asCookie(session), 'ses'), events(adaEnv, asCookie(session)), assistant(adaEnv, bearer(token))];
    const bobs = terminal(bobEnv, asCookie(bob), 'bob');
    await opened(...mine, bobs);
    const res = await admin.patch(`/api/v1/users/${adaEnv.owner.id}`, { active: false });
    expect(res.statusCode, res.body).toBe(200);
    for (const socket of mine) expect(await closedWith(socket)).toBe(SOCKET_CLOSE_REVOKED);
    await stillWorks(bobs, 'bob');
    await bobs.close();
  });
});

describe('per-user WebSocket cap', () => {
  const path = () => `/api/v1/environments/${bobEnv.id}/events/ws`;

  it(`allows ${CAP} WebSockets, refuses one more before the upgrade with 429 socket_limit, frees a slot on close, and leaves other users alone`, async () => {
    const open = Array.from({ length: CAP }, () => events(bobEnv, asCookie(bob)));
    await opened(...open);
    const refused = await refusedUpgrade(base, path(), asCookie(bob));
    expect(refused).toMatchObject({ status: 429, body: { code: 'socket_limit', status: 429 } });
    expect(refused.type).toMatch(/^application\/problem\+json/);
    // Whatever the route: a terminal counts against the same cap.
    expect((await refusedUpgrade(base, `/api/v1/environments/${bobEnv.id}/terminal`, asCookie(bob))).status).toBe(429);

    // Another user (an admin watching bob's environment) is not counted against bob.
    const other = events(bobEnv, asCookie(await signIn(ADMIN.username, ADMIN.password)));
    await other.opened;

    await open[0]!.close();
    const again = await waitFor('a freed slot', async () => {
      const attempt = events(bobEnv, asCookie(bob));
      return attempt.opened.then(
        () => attempt,
        () => undefined,
      );
    }, 10_000);
    await Promise.all([again.close(), other.close(), ...open.slice(1).map((c) => c.close())]);
  });
});

/** The Connect frames in a server stream's bytes: flags and the JSON message. */
function connectFrames(bytes: Buffer): { flags: number; message: Record<string, unknown> }[] {
  const frames = [];
  for (let at = 0; at + 5 <= bytes.length && at + 5 + bytes.readUInt32BE(at + 1) <= bytes.length; at += 5 + bytes.readUInt32BE(at + 1)) {
    frames.push({ flags: bytes.readUInt8(at), message: JSON.parse(bytes.subarray(at + 5, at + 5 + bytes.readUInt32BE(at + 1)).toString()) as Record<string, unknown> });
  }
  return frames;
}

describe('E2B process streams', () => {
  it('a running command\'s stream ends with unauthenticated when the sandbox\'s owner is deactivated; another user\'s socket stays open', async () => {
    const eve = await agentUser(server, admin, 'eve');
    const sandbox = await createSandbox(base, eve.apiKey);
    const request = JSON.stringify({ process: { cmd: '/bin/sh', args: ['-c', 'sleep 600'] } });
    const envelope = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), Buffer.from(request)]);
    envelope.writeUInt32BE(request.length, 1);
    const res = await fetch(`${base}/process.Process/Start`, {
      method: 'POST',
      headers: { 'e2b-sandbox-id': sandbox.sandboxID, 'x-access-token': sandbox.envdAccessToken, 'content-type': 'application/connect+json', 'connect-protocol-version': '1' },
      body: new Uint8Array(envelope),
    });
    expect(res.status).toBe(200);
    const stream = follow(res.body!);
    await waitFor('the process to start', async () => connectFrames(stream.bytes()).some((f) => 'start' in ((f.message.event ?? {}) as object)));
    const bobs = events(bobEnv, asCookie(bob));
    await bobs.opened;

    expect((await admin.patch(`/api/v1/users/${eve.id}`, { active: false })).statusCode).toBe(200);
    await waitFor('the stream to end', async () => stream.ended(), 5_000);
    expect(connectFrames(stream.bytes()).at(-1)).toEqual({ flags: 2, message: { error: { code: 'unauthenticated', message: expect.any(String) } } });
    expect(bobs.socket.readyState).toBe(WebSocket.OPEN);
    await bobs.close();
  });
});

/**
 * Two Berth processes on one PostgreSQL database: this test's server (A) and a
 * `berth server` process (B) started on A's database.
 */
describe('across Berth processes', () => {
  let other: ServerProcess;
  /** Calls process B's API with a cookie from B. */
  const onB = async (method: string, path: string, cookie: string, body?: unknown) =>
    fetch(`${other.url}${path}`, { method, headers: { cookie, origin: other.url, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const signInOnB = async (username: string, password: string) => {
    const res = await fetch(`${other.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    expect(res.status).toBe(200);
    return res.headers.get('set-cookie')!.split(';')[0]!;
  };
  beforeAll(async () => {
    other = await startPeerProcess(server.database.url);
  }, 120_000);
  afterAll(async () => {
    other?.child.kill('SIGTERM');
    await other?.exited;
  });

  it('a token revoked through process B closes its socket on process A, also after A\'s LISTEN connection was cut and replaced', async () => {
    await cutListeners(server.database.db, REVOCATIONS_CHANNEL, 2);

    const cookie = await signInOnB('bob', 'bob-password-1234');
    const { id, token } = await newToken(bob);
    const onA = events(bobEnv, bearer(token));
    await onA.opened;
    expect((await onB('DELETE', `/api/v1/tokens/${id}`, cookie)).status).toBe(204);
    expect(await closedWith(onA)).toBe(SOCKET_CLOSE_REVOKED);
  });

  it('a user deactivated through process B loses their terminal and events sockets on process A', async () => {
    const [t, e] = [terminal(bobEnv, asCookie(bob), 'cross'), events(bobEnv, asCookie(bob))];
    await opened(t, e);
    const adminOnB = await signInOnB(ADMIN.username, ADMIN.password);
    expect((await onB('PATCH', `/api/v1/users/${bobEnv.owner.id}`, adminOnB, { active: false })).status).toBe(200);
    expect(await closedWith(t)).toBe(SOCKET_CLOSE_REVOKED);
    expect(await closedWith(e)).toBe(SOCKET_CLOSE_REVOKED);
  });
});
