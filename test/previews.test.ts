import type { Environment } from '@berth/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DEV_IMAGE } from '../packages/server/src/runtime/docker/images.js';
import { expectProblem } from './support/problem.js';
import { ADMIN, startTestServer, type Caller, type TestServer } from './support/server.js';
import { waitFor, waitForStatus } from './support/wait.js';

let server: TestServer;
let ada: Caller;
let bob: Caller;
let env: Environment;

beforeAll(async () => {
  server = await startTestServer();
  ada = (await server.signUp('ada', 'ada-password-1234')).caller;
  bob = (await server.signUp('bob', 'bob-password-1234')).caller;
  env = (await ada.post('/api/v1/environments', { type: 'small', name: 'web' })).json<Environment>();
  await waitForStatus(ada, env.id, 'running');
  // A web server started inside the environment through exec, as a user would.
  const started = await ada.post(`/api/v1/environments/${env.id}/exec`, {
    command: 'mkdir -p /workspace/site/cgi-bin && echo "<h1>hello from inside</h1>" > /workspace/site/index.html && printf "#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho method=\\$REQUEST_METHOD cookie=\\$HTTP_COOKIE auth=\\$HTTP_AUTHORIZATION query=\\$QUERY_STRING\\ncat\\n" > /workspace/site/cgi-bin/echo && chmod +x /workspace/site/cgi-bin/echo && httpd -p 8000 -h /workspace/site',
  });
  expect(started.json<{ exitCode: number }>().exitCode).toBe(0);
});
afterAll(() => server.close());

describe('port previews', () => {
  it('lists the ports listening inside the environment', async () => {
    const ports = await waitFor('port 8000 to listen', async () => {
      const items = (await ada.get(`/api/v1/environments/${env.id}/ports`)).json<{ items: { port: number; url: string }[] }>().items;
      return items.find((p) => p.port === 8000) ? items : undefined;
    });
    expect(ports.find((p) => p.port === 8000)?.url).toBe(`/api/v1/environments/${env.id}/ports/8000/`);
  });

  it('proxies HTTP to a server started inside the environment', async () => {
    const res = await ada.get(`/api/v1/environments/${env.id}/ports/8000/index.html`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('hello from inside');
  });

  it("passes method, query and body through, and keeps Berth's credentials from the app", async () => {
    const token = (await ada.post('/api/v1/tokens', { name: 'preview' })).json<{ token: string }>().token;
    const res = await server
      .withToken(token)
      .request('POST', `/api/v1/environments/${env.id}/ports/8000/cgi-bin/echo?x=1`, 'posted-body', { 'content-type': 'text/plain', cookie: 'berth_session=not-for-the-app; theme=dark' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('method=POST');
    expect(res.body).toContain('query=x=1');
    expect(res.body).toContain('posted-body');
    expect(res.body).toContain('cookie=theme=dark');
    expect(res.body).not.toContain('not-for-the-app');
    expect(res.body).not.toContain(token);
    // Cookie-authenticated previews work too (a browser tab).
    expect((await ada.get(`/api/v1/environments/${env.id}/ports/8000/cgi-bin/echo`)).statusCode).toBe(200);
  });

  it('answers 502 port_unreachable when nothing listens on the port', async () => {
    expectProblem(await ada.get(`/api/v1/environments/${env.id}/ports/9/`), 502, 'port_unreachable');
  });

  it("answers 404 for someone else's environment and 401 without credentials", async () => {
    expectProblem(await bob.get(`/api/v1/environments/${env.id}/ports/8000/index.html`), 404, 'not_found');
    expectProblem(await server.anonymous.get(`/api/v1/environments/${env.id}/ports/8000/index.html`), 401, 'unauthorized');
    expectProblem(await ada.get(`/api/v1/environments/${env.id}/ports/70000/`), 400, 'validation_failed');
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
  it('proxies a WebSocket to a server inside the environment, both ways', async () => {
    // Users pick machine types, not images: this one carries the dev image (python3).
    const admin = await server.login(ADMIN.username, ADMIN.password);
    expect((await admin.post('/api/v1/machine-types', { name: 'dev', vcpus: 1, memoryMb: 1024, diskGib: 5, creditsCost: 1, image: DEV_IMAGE })).statusCode).toBe(201);
    const adaId = (await ada.get('/api/v1/me')).json<{ id: string }>().id;
    expect((await admin.patch(`/api/v1/users/${adaId}/quota`, { allowedTypes: ['small', 'dev'] })).statusCode).toBe(200);
    const dev = (await ada.post('/api/v1/environments', { type: 'dev', name: 'ws' })).json<Environment>();
    await waitForStatus(ada, dev.id, 'running', 300_000);
    expect((await ada.put(`/api/v1/environments/${dev.id}/files/content?path=ws.py`, WS_ECHO, { 'content-type': 'text/plain' })).statusCode).toBe(201);
    await ada.post(`/api/v1/environments/${dev.id}/exec`, { command: 'nohup python3 /workspace/ws.py >/dev/null 2>&1 &' });
    await waitFor('the echo server to listen', async () =>
      (await ada.get(`/api/v1/environments/${dev.id}/ports`)).json<{ items: { port: number }[] }>().items.some((p) => p.port === 8765),
    );

    const base = await server.app.listen({ host: '127.0.0.1', port: 0 });
    const token = (await ada.post('/api/v1/tokens', { name: 'ws-preview' })).json<{ token: string }>().token;
    const socket = new WebSocket(`${base.replace('http', 'ws')}/api/v1/environments/${dev.id}/ports/8765/`, { headers: { authorization: `Bearer ${token}` } });
    const replies: string[] = [];
    socket.on('message', (data) => replies.push(String(data)));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.send('ping-1');
    socket.send('ping-2');
    await waitFor('both echoes', async () => replies.length === 2);
    expect(replies).toEqual(['echo:ping-1', 'echo:ping-2']);
    socket.close();
  }, 320_000);
});
