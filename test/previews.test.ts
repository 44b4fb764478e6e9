import { SOCKET_CLOSE_REVOKED, type AuditEntry, type Environment, type ListeningPort, type PreviewGrant } from '@berth/contracts';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DEV_IMAGE } from '../packages/server/src/runtime/docker/images.js';
import { expectProblem } from './support/problem.js';
import { ADMIN, startTestServer, type Caller, type TestServer } from './support/server.js';
import { runningEnvironment, waitFor, waitForStatus } from './support/wait.js';

/**
 * Previews on their own origin, over HTTP with the Host header a browser would
 * send: `<port>-<environment id>.localhost` (the default preview domain).
 */
let server: TestServer;
let admin: Caller;
let ada: Caller;
let bob: Caller;
let env: Environment;
let other: Environment;

const hostOf = (envId: string, port: number) => `${port}-${envId}.localhost`;

/** A server inside, as a user would start one: static files, a CGI echo, and a CGI that sets cookies it should not. */
const SITE = [
  'mkdir -p /workspace/site/cgi-bin',
  'echo "<h1>hello from inside</h1>" > /workspace/site/index.html',
  String.raw`printf "#!/bin/sh\necho Content-Type: text/plain\necho\necho method=\$REQUEST_METHOD cookie=\$HTTP_COOKIE auth=\$HTTP_AUTHORIZATION key=\$HTTP_X_API_KEY query=\$QUERY_STRING\ncat\n" > /workspace/site/cgi-bin/echo`,
  String.raw`printf "#!/bin/sh\necho Content-Type: text/plain\necho \"Set-Cookie: berth_session=evil; Domain=localhost; Path=/\"\necho \"Set-Cookie: berth_preview=forged; Path=/\"\necho \"Set-Cookie: theme=dark; Path=/\"\necho \"Service-Worker-Allowed: /\"\necho\necho cookies set\n" > /workspace/site/cgi-bin/cookies`,
  'chmod +x /workspace/site/cgi-bin/*',
  'httpd -p 8000 -h /workspace/site',
  'httpd -p 8001 -h /workspace/site',
].join(' && ');

async function serveSite(caller: Caller, id: string): Promise<void> {
  const started = await caller.post(`/api/v1/environments/${id}/exec`, { command: SITE });
  expect(started.json<{ exitCode: number }>().exitCode, started.body).toBe(0);
}

/** A request on a preview host, as the browser sends it there (never with Berth's cookie: it is not that host's). */
function onPreview(envId: string, port: number, path: string, opts: { method?: 'GET' | 'POST' | 'PUT' | 'DELETE'; cookie?: string; headers?: Record<string, string>; body?: string } = {}) {
  return server.app.inject({
    method: opts.method ?? 'GET',
    url: path,
    headers: { host: hostOf(envId, port), ...(opts.cookie ? { cookie: opts.cookie } : {}), ...opts.headers },
    ...(opts.body === undefined ? {} : { payload: opts.body }),
  });
}

async function mint(caller: Caller, envId: string, port: number): Promise<PreviewGrant> {
  const res = await caller.post(`/api/v1/environments/${envId}/ports/${port}/grant`);
  expect(res.statusCode, res.body).toBe(201);
  return res.json<PreviewGrant>();
}

/** Posts a grant to a preview host's exchange, as the web app's form does. */
function exchange(envId: string, port: number, grant: string, path = '/index.html'): Promise<LightMyRequestResponse> {
  return onPreview(envId, port, '/__berth/grant', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant, path }).toString(),
  });
}

/** Mints a grant and exchanges it: the preview cookie, as `name=value`. */
async function open(caller: Caller, envId: string, port: number): Promise<string> {
  const res = await exchange(envId, port, (await mint(caller, envId, port)).grant);
  expect(res.statusCode, res.body).toBe(303);
  const cookie = res.cookies.find((c) => c.name === 'berth_preview');
  return `berth_preview=${cookie!.value}`;
}

const auditOf = async (action: string, targetId: string) =>
  (await admin.get(`/api/v1/audit?action=${action}&limit=50`)).json<{ items: AuditEntry[] }>().items.filter((e) => e.targetId === targetId);

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.login(ADMIN.username, ADMIN.password);
  const adaUser = await server.signUp('ada', 'ada-password-1234');
  ada = adaUser.caller;
  expect((await admin.patch(`/api/v1/users/${adaUser.id}/quota`, { credits: 10, maxEnvironments: 10 })).statusCode).toBe(200);
  bob = (await server.signUp('bob', 'bob-password-1234')).caller;
  [env, other] = await Promise.all([runningEnvironment(ada, { type: 'small', name: 'web' }), runningEnvironment(ada, { type: 'small', name: 'other' })]);
  await Promise.all([serveSite(ada, env.id), serveSite(ada, other.id)]);
  await waitFor('ports 8000 and 8001 to listen', async () => {
    const ports = (await ada.get(`/api/v1/environments/${env.id}/ports`)).json<{ items: ListeningPort[] }>().items;
    return ports.some((p) => p.port === 8000) && ports.some((p) => p.port === 8001);
  });
}, 120_000);
afterAll(() => server.close());

describe('the ports API', () => {
  it("lists each listening port with its preview URL on the preview origin and its sharing ('owner' until changed)", async () => {
    const ports = (await ada.get(`/api/v1/environments/${env.id}/ports`)).json<{ items: ListeningPort[] }>().items;
    expect(ports.find((p) => p.port === 8000)).toMatchObject({ url: `http://${hostOf(env.id, 8000)}:8080/`, sharing: 'owner' });
  });

  it('is gone from the path form on Berth\'s origin', async () => {
    expectProblem(await ada.get(`/api/v1/environments/${env.id}/ports/8000/index.html`), 404, 'not_found');
  });
});

describe('opening a preview with a grant', () => {
  it('exchanges a grant for a cookie of the preview host alone, lands on the path asked for, and serves the app', async () => {
    const grant = await mint(ada, env.id, 8000);
    expect(grant).toMatchObject({ action: `http://${hostOf(env.id, 8000)}:8080/__berth/grant`, url: `http://${hostOf(env.id, 8000)}:8080/` });
    expect(Date.parse(grant.expiresAt) - Date.now()).toBeLessThanOrEqual(60_000);

    const res = await exchange(env.id, 8000, grant.grant, '/index.html');
    expect(res.statusCode, res.body).toBe(303);
    expect(res.headers.location).toBe('/index.html');
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/^berth_preview=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax$/);
    expect(setCookie).not.toMatch(/Domain=/i);

    const page = await onPreview(env.id, 8000, '/index.html', { cookie: `berth_preview=${res.cookies[0]!.value}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('hello from inside');
  });

  it('never lands on another host', async () => {
    const res = await exchange(env.id, 8000, (await mint(ada, env.id, 8000)).grant, '//evil.example/');
    expect(res.headers.location).toBe('/');
  });

  it('spends a grant on its first exchange: a second is refused', async () => {
    const { grant } = await mint(ada, env.id, 8000);
    expect((await exchange(env.id, 8000, grant)).statusCode).toBe(303);
    const again = await exchange(env.id, 8000, grant);
    expectProblem(again, 401, 'unauthorized');
    expect(again.headers['set-cookie']).toBeUndefined();
    // Two exchanges racing for one grant: exactly one wins.
    const raced = (await mint(ada, env.id, 8000)).grant;
    const statuses = (await Promise.all([exchange(env.id, 8000, raced), exchange(env.id, 8000, raced)])).map((r) => r.statusCode);
    expect(statuses.sort()).toEqual([303, 401]);
  });

  it('refuses an expired grant', async () => {
    const { grant } = await mint(ada, env.id, 8000);
    await server.database.db.execute(sql`update preview_grants set expires_at = now() - interval '1 second' where environment_id = ${env.id}`);
    expectProblem(await exchange(env.id, 8000, grant), 401, 'unauthorized');
  });

  it('opens only the port and environment it was minted for, grant or cookie', async () => {
    expectProblem(await exchange(env.id, 8001, (await mint(ada, env.id, 8000)).grant), 401, 'unauthorized');
    expectProblem(await exchange(other.id, 8000, (await mint(ada, env.id, 8000)).grant), 401, 'unauthorized');
    // A grant refused on the wrong host is spent all the same.
    const { grant } = await mint(ada, env.id, 8000);
    await exchange(other.id, 8000, grant);
    expectProblem(await exchange(env.id, 8000, grant), 401, 'unauthorized');

    const cookie = await open(ada, env.id, 8000);
    expect((await onPreview(env.id, 8000, '/index.html', { cookie })).statusCode).toBe(200);
    expect((await onPreview(env.id, 8001, '/index.html', { cookie, headers: { accept: 'text/html' } })).statusCode).toBe(401);
    expect((await onPreview(other.id, 8000, '/index.html', { cookie, headers: { accept: 'text/html' } })).statusCode).toBe(401);
  });

  it("audits grants and their exchanges, refused ones too", async () => {
    const { grant } = await mint(ada, other.id, 8001);
    await exchange(other.id, 8001, grant);
    await exchange(other.id, 8001, grant);
    expect((await auditOf('preview.grant', other.id)).some((e) => e.success && e.actorUsername === 'ada' && e.metadata.port === 8001)).toBe(true);
    const opened = (await auditOf('preview.open', other.id)).filter((e) => e.metadata.port === 8001);
    expect(opened.map((e) => e.success).sort()).toEqual([false, true]);
  });
});

describe('who may open a preview', () => {
  it('sends a visitor without access to Berth (a page for browsers, 401 for the rest), and never to the app', async () => {
    const page = await onPreview(env.id, 8000, '/index.html?x=1', { headers: { accept: 'text/html' } });
    expect(page.statusCode).toBe(401);
    expect(page.body).toContain(`http://localhost:8080/preview/${env.id}/8000?path=%2Findex.html%3Fx%3D1`);
    expect(page.body).not.toContain('hello from inside');
    expectProblem(await onPreview(env.id, 8000, '/cgi-bin/echo', { method: 'POST', body: 'x' }), 401, 'unauthorized');
    expect((await server.app.inject({ method: 'HEAD', url: '/index.html', headers: { host: hostOf(env.id, 8000) } })).statusCode).toBe(401);
    // Berth's own credentials open nothing here.
    const token = (await ada.post('/api/v1/tokens', { name: 'not-here' })).json<{ token: string }>().token;
    expectProblem(await onPreview(env.id, 8000, '/index.html', { headers: { authorization: `Bearer ${token}` } }), 401, 'unauthorized');
  });

  it("does not give another user a grant to an owner port (404, as for any environment of someone else's), nor a forged cookie", async () => {
    expectProblem(await bob.post(`/api/v1/environments/${env.id}/ports/8000/grant`), 404, 'not_found');
    expectProblem(await onPreview(env.id, 8000, '/index.html', { cookie: 'berth_preview=eyJ1IjoiYm9iIn0.forged' }), 401, 'unauthorized');
  });

  it('lets admins open any port', async () => {
    expect((await onPreview(env.id, 8000, '/index.html', { cookie: await open(admin, env.id, 8000) })).statusCode).toBe(200);
  });

  it("lets any signed-in user in through a grant when the port is 'authenticated', and anyone without one when 'public'", async () => {
    expect((await ada.put(`/api/v1/environments/${other.id}/ports/8000/sharing`, { sharing: 'authenticated' })).statusCode).toBe(200);
    expect((await onPreview(other.id, 8000, '/index.html', { headers: { accept: 'text/html' } })).statusCode).toBe(401);
    expect((await onPreview(other.id, 8000, '/index.html', { cookie: await open(bob, other.id, 8000) })).body).toContain('hello from inside');

    expect((await ada.put(`/api/v1/environments/${other.id}/ports/8000/sharing`, { sharing: 'public' })).statusCode).toBe(200);
    expect((await onPreview(other.id, 8000, '/index.html')).body).toContain('hello from inside');

    expect((await ada.put(`/api/v1/environments/${other.id}/ports/8000/sharing`, { sharing: 'owner' })).statusCode).toBe(200);
    expect((await onPreview(other.id, 8000, '/index.html', { headers: { accept: 'text/html' } })).statusCode).toBe(401);
  });

  it("stops a deactivated user's preview cookie on the next request, and a signed-out session's", async () => {
    await ada.put(`/api/v1/environments/${other.id}/ports/8001/sharing`, { sharing: 'authenticated' });
    const carol = await server.signUp('carol', 'carol-password-1234');
    const cookie = await open(carol.caller, other.id, 8001);
    expect((await onPreview(other.id, 8001, '/index.html', { cookie })).statusCode).toBe(200);
    expect((await admin.patch(`/api/v1/users/${carol.id}`, { active: false })).statusCode).toBe(200);
    expectProblem(await onPreview(other.id, 8001, '/index.html', { cookie }), 401, 'unauthorized');

    const bobCookie = await open(bob, other.id, 8001);
    expect((await onPreview(other.id, 8001, '/index.html', { cookie: bobCookie })).statusCode).toBe(200);
    expect((await bob.post('/api/v1/auth/logout')).statusCode).toBe(204);
    expectProblem(await onPreview(other.id, 8001, '/index.html', { cookie: bobCookie }), 401, 'unauthorized');
    bob = await server.login('bob', 'bob-password-1234');
  });

  it('answers 409 to someone who may open it while the environment is stopped', async () => {
    const box = await runningEnvironment(ada, { type: 'small', name: 'stopping' });
    const cookie = await open(ada, box.id, 8000);
    await ada.post(`/api/v1/environments/${box.id}/stop`);
    await waitForStatus(ada, box.id, 'stopped');
    expectProblem(await onPreview(box.id, 8000, '/', { cookie }), 409, 'environment_not_running');
    expectProblem(await onPreview(box.id, 8000, '/', { headers: { accept: 'application/json' } }), 401, 'unauthorized');
  });
});

describe('changing sharing', () => {
  it('is audited with what it was and what it became', async () => {
    expect((await ada.put(`/api/v1/environments/${env.id}/ports/9000/sharing`, { sharing: 'public' })).json()).toEqual({ port: 9000, sharing: 'public', url: `http://${hostOf(env.id, 9000)}:8080/` });
    const row = (await auditOf('port.sharing', env.id)).find((e) => e.metadata.port === 9000 && e.success);
    expect(row).toMatchObject({ actorUsername: 'ada', metadata: { port: 9000, sharing: 'public', before: 'owner' } });
  });

  it('refuses a bad value with 400 and changes nothing', async () => {
    await ada.put(`/api/v1/environments/${env.id}/ports/9001/sharing`, { sharing: 'authenticated' });
    for (const body of [{ sharing: 'everyone' }, { sharing: 'public', extra: 1 }, {}]) {
      expectProblem(await ada.put(`/api/v1/environments/${env.id}/ports/9001/sharing`, body), 400, 'validation_failed');
    }
    const changes = (await auditOf('port.sharing', env.id)).filter((e) => e.metadata.port === 9001);
    expect(changes.map((e) => e.metadata.sharing)).toEqual(['authenticated']);
  });

  it("refuses someone else's port with 404 before reading the body, and audits the refusal", async () => {
    expectProblem(await bob.put(`/api/v1/environments/${env.id}/ports/8000/sharing`, { sharing: 'public' }), 404, 'not_found');
    expectProblem(await bob.put(`/api/v1/environments/${env.id}/ports/8000/sharing`, { sharing: 'nonsense' }), 404, 'not_found');
    const refused = (await auditOf('port.sharing', env.id)).filter((e) => !e.success && e.actorUsername === 'bob');
    expect(refused.length).toBe(2);
    expect((await onPreview(env.id, 8000, '/index.html', { headers: { accept: 'text/html' } })).statusCode).toBe(401);
  });
});

describe('the proxy', () => {
  let cookie: string;
  beforeAll(async () => {
    cookie = await open(ada, env.id, 8000);
  });

  it("passes method, query, body and the app's own cookies, and keeps Berth's cookies from the app", async () => {
    const res = await onPreview(env.id, 8000, '/cgi-bin/echo?x=1', {
      method: 'POST',
      cookie: `${cookie}; berth_session=not-for-the-app; theme=dark`,
      headers: { 'content-type': 'text/plain' },
      body: 'posted-body',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('method=POST');
    expect(res.body).toContain('query=x=1');
    expect(res.body).toContain('posted-body');
    expect(res.body).toContain('cookie=theme=dark ');
    expect(res.body).not.toContain('not-for-the-app');
    expect(res.body).not.toContain(cookie.split('=')[1]);
  });

  it("sends the app its own Authorization but never a Berth token, wherever it is put", async () => {
    // A one-shot server that answers and keeps the raw request it got, headers and all.
    await ada.post(`/api/v1/environments/${env.id}/exec`, {
      command: String.raw`setsid sh -c 'printf "HTTP/1.1 200 OK
Content-Length: 2
Connection: close

ok" | nc -l -p 8002 > /tmp/request.txt' </dev/null >/dev/null 2>&1 &`,
    });
    await waitFor('the one-shot server to listen', async () => (await ada.get(`/api/v1/environments/${env.id}/ports`)).json<{ items: ListeningPort[] }>().items.some((p) => p.port === 8002));
    const token = (await ada.post('/api/v1/tokens', { name: 'preview' })).json<{ token: string }>().token;
    const res = await onPreview(env.id, 8002, '/', { cookie: `${await open(ada, env.id, 8002)}; app=1`, headers: { authorization: 'Basic YXBwOnVzZXI=', 'x-api-key': token, 'x-forwarded-token': `Bearer ${token}` } });
    expect(res.body).toBe('ok');
    const seen = (await ada.post(`/api/v1/environments/${env.id}/exec`, { command: 'cat /tmp/request.txt' })).json<{ stdout: string }>().stdout.toLowerCase();
    expect(seen).toContain('authorization: basic yxbwonvzzxi=');
    expect(seen).toContain('cookie: app=1');
    expect(seen).not.toContain('berth_');
    expect(seen).not.toContain(token.toLowerCase());
  });

  it("strips the app's Set-Cookie for Berth's cookie names and its Service-Worker-Allowed", async () => {
    const res = await onPreview(env.id, 8000, '/cgi-bin/cookies', { cookie });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['set-cookie']).toEqual(['theme=dark; Path=/']);
    expect(res.headers['service-worker-allowed']).toBeUndefined();
  });

  it('answers 502 port_unreachable when nothing listens on the port', async () => {
    expectProblem(await onPreview(env.id, 9, '/', { cookie: await open(ada, env.id, 9) }), 502, 'port_unreachable');
  });
});

describe('two origins, kept apart', () => {
  it("does not answer Berth's API or web app on a preview host, even with Berth's credentials", async () => {
    const cookie = await open(ada, env.id, 8000);
    const token = (await ada.post('/api/v1/tokens', { name: 'wrong-host' })).json<{ token: string }>().token;
    // Opened: the app answers (busybox httpd's 404), not Berth.
    const me = await onPreview(env.id, 8000, '/api/v1/me', { cookie, headers: { authorization: `Bearer ${token}` } });
    expect(me.statusCode).toBe(404);
    expect(me.headers['content-type']).not.toMatch(/json/);
    expect((await onPreview(env.id, 8000, '/health', { cookie })).statusCode).toBe(404);
    // Not opened: the preview's refusal, never Berth's sign-in.
    const login = await onPreview(env.id, 8000, '/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
    expectProblem(login, 401, 'unauthorized');
    expect(login.headers['set-cookie']).toBeUndefined();
    // A preview-shaped host that names nothing is nobody's.
    for (const host of [`70000-${env.id}.localhost`, '8000-nope.localhost:8080']) {
      expectProblem(await server.app.inject({ method: 'GET', url: '/api/v1/health', headers: { host } }), 404, 'not_found');
    }
  });

  it("does not answer the preview on Berth's host", async () => {
    const res = await ada.get('/index.html');
    expect(res.body).not.toContain('hello from inside');
    expect((await ada.request('POST', '/__berth/grant', 'grant=x', { 'content-type': 'application/x-www-form-urlencoded' })).statusCode).toBe(404);
  });
});

/** A minimal WebSocket echo server in Python's standard library, to run inside the dev image. */
const WS_ECHO = String.raw`import socket, base64, hashlib, threading
def handle(c):
    req = c.recv(4096).decode()
    key = [l.split(':', 1)[1].strip() for l in req.split('\r\n') if l.lower().startswith('sec-websocket-key')][0]
    accept = base64.b64encode(hashlib.sha1((key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').encode()).digest()).decode()
    c.send(('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ' + accept + '\r\n\r\n').encode())
    while True:
        h = c.recv(2)
        if len(h) < 2: break
        op, n = h[0] & 15, h[1] & 127
        mask = c.recv(4)
        data = bytearray(c.recv(n))
        for i in range(len(data)): data[i] ^= mask[i % 4]
        if op == 8: break
        reply = b'echo:' + bytes(data)
        c.send(bytes([129, len(reply)]) + reply)
    c.close()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 8765))
s.listen()
while True:
    c, _ = s.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
`;

describe('WebSocket previews', () => {
  it('proxies a WebSocket on the preview host to a server inside, both ways, for whoever may open it', async () => {
    // Users pick machine types, not images: this one carries the dev image (python3).
    expect((await admin.post('/api/v1/machine-types', { name: 'dev', vcpus: 1, memoryMb: 1024, diskGib: 5, creditsCost: 1, image: DEV_IMAGE })).statusCode).toBe(201);
    const adaId = (await ada.get('/api/v1/me')).json<{ id: string }>().id;
    expect((await admin.patch(`/api/v1/users/${adaId}/quota`, { allowedTypes: ['small', 'dev'] })).statusCode).toBe(200);
    const dev = await runningEnvironment(ada, { type: 'dev', name: 'ws' }, 300_000);
    expect((await ada.put(`/api/v1/environments/${dev.id}/files/content?path=ws.py`, WS_ECHO, { 'content-type': 'text/plain' })).statusCode).toBe(201);
    await ada.post(`/api/v1/environments/${dev.id}/exec`, { command: 'nohup python3 /workspace/ws.py >/dev/null 2>&1 &' });
    await waitFor('the echo server to listen', async () =>
      (await ada.get(`/api/v1/environments/${dev.id}/ports`)).json<{ items: { port: number }[] }>().items.some((p) => p.port === 8765),
    );

    const base = (await server.app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws');
    const host = `${hostOf(dev.id, 8765)}:${new URL(base).port}`;
    // Without a preview cookie the upgrade is refused.
    const refused = new WebSocket(`${base}/`, { headers: { host } });
    const status = await new Promise<number | undefined>((resolve) => refused.once('unexpected-response', (_req, res) => resolve(res.statusCode)).once('open', () => resolve(undefined)));
    expect(status).toBe(401);

    const socket = new WebSocket(`${base}/`, { headers: { host, cookie: await open(ada, dev.id, 8765) } });
    const replies: string[] = [];
    socket.on('message', (data) => replies.push(String(data)));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.send('ping-1');
    socket.send('ping-2');
    await waitFor('both echoes', async () => replies.length === 2);
    expect(replies).toEqual(['echo:ping-1', 'echo:ping-2']);

    // A preview socket ends, like Berth's own, when the credentials it was opened with go.
    expect((await ada.put(`/api/v1/environments/${dev.id}/ports/8765/sharing`, { sharing: 'authenticated' })).statusCode).toBe(200);
    const carol = await server.signUp('wes', 'wes-password-1234');
    const theirs = new WebSocket(`${base}/`, { headers: { host, cookie: await open(carol.caller, dev.id, 8765) } });
    const closed = new Promise<number>((resolve) => theirs.once('close', (code) => resolve(code)));
    await new Promise((resolve, reject) => theirs.once('open', resolve).once('error', reject));
    expect((await admin.patch(`/api/v1/users/${carol.id}`, { active: false })).statusCode).toBe(200);
    expect(await closed).toBe(SOCKET_CLOSE_REVOKED);
    expect(socket.readyState).toBe(WebSocket.OPEN);
    socket.close();
  }, 320_000);
});
