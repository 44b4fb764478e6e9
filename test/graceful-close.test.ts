import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runExec } from '../packages/server/src/runtime/docker/exec.js';
import { containerName } from '../packages/server/src/runtime/docker/labels.js';
import { ADMIN, startTestServer, type TestServer } from './support/server.js';
import { runningEnvironment, waitFor } from './support/wait.js';

/**
 * Berth closing (a SIGTERM, a rolling restart) while an answer is on its way on a keep-alive
 * connection: the answer is given, and the connection is closed once it is, so the close ends then.
 */
let server: TestServer;
let envId: string;
let token: string;
let closed = false;

beforeAll(async () => {
  server = await startTestServer();
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const admin = await server.login(ADMIN.username, ADMIN.password);
  token = (await admin.post('/api/v1/tokens', { name: 'close', expiresInDays: 1 })).json<{ token: string }>().token;
  envId = (await runningEnvironment(admin)).id;
});

afterAll(async () => {
  if (!closed) await server.app.close();
  await server?.close();
});

/** Runs `argv` in the environment through the engine itself (Berth, closing, takes no requests): its exit code. */
async function inside(argv: string[]): Promise<number | null> {
  const outcome = await runExec(server.docker.getContainer(containerName(envId)), server.docker, { argv, timeoutMs: 10_000, maxOutputBytes: 1024 });
  return outcome.exitCode;
}

it('answers a request in flight, then closes its keep-alive connection and ends the close', async () => {
  const agent = new http.Agent({ keepAlive: true });
  const { port } = server.app.server.address() as AddressInfo;
  let connectionClosed = false;
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: `/api/v1/environments/${envId}/exec`, method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('socket', (socket) => socket.once('close', () => (connectionClosed = true)));
    req.on('error', reject);
    // A command that runs until the test lets it finish.
    req.end(JSON.stringify({ command: ['sh', '-c', 'touch /tmp/waiting; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo done'] }));
  });
  await waitFor('the command to be running', async () => (await inside(['test', '-e', '/tmp/waiting'])) === 0);

  const closing = server.app.close().then(() => (closed = true));
  expect(await inside(['touch', '/tmp/go'])).toBe(0);

  const { status, body } = await answer;
  expect(status).toBe(200);
  expect(JSON.parse(body)).toMatchObject({ exitCode: 0, stdout: 'done\n' });
  // Without a sweep, the connection (idle only now) would be kept for the keep-alive timeout of 72 s.
  await waitFor('Berth to close the idle connection', async () => connectionClosed, 20_000);
  await waitFor('the close to end', async () => closed, 20_000);
  await closing;
  agent.destroy();
});
