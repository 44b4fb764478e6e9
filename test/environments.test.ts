import type { Environment, EnvironmentEvent } from '@berth/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createEnvironment, execIn } from './support/environments.js';
import { installObjects } from './support/docker.js';
import { expectProblem } from './support/problem.js';
import { ADMIN, startTestServer, type Caller, type TestServer } from './support/server.js';
import { waitFor, waitForStatus } from './support/wait.js';

let server: TestServer;
let ada: Caller;
let bob: Caller;
beforeAll(async () => {
  server = await startTestServer();
  ada = (await server.signUp('ada', 'ada-password-1234')).caller;
  bob = (await server.signUp('bob', 'bob-password-1234')).caller;
});
afterAll(() => server.close());

const create = createEnvironment;
const sh = execIn;

const inspect = (id: string) => server.docker.getContainer(`berth-${id}`).inspect();

describe('environment lifecycle on Docker', () => {
  it('creates, stops, starts, restarts and deletes, keeping /workspace across stop and start', async () => {
    const env = await create(ada, { type: 'small', name: 'lifecycle' });
    expect(env).toMatchObject({ name: 'lifecycle', type: 'small', desiredState: 'running', status: 'pending', owner: { username: 'ada' }, vcpus: 1, memoryMb: 1024 });
    await waitForStatus(ada, env.id, 'running');

    expect((await sh(ada, env.id, 'echo kept > /workspace/note.txt')).exitCode).toBe(0);
    expect((await ada.post(`/api/v1/environments/${env.id}/stop`)).statusCode).toBe(202);
    await waitForStatus(ada, env.id, 'stopped');
    expect((await inspect(env.id)).State.Running).toBe(false);

    expect((await ada.post(`/api/v1/environments/${env.id}/start`)).statusCode).toBe(202);
    const started = await waitForStatus(ada, env.id, 'running');
    expect((await sh(ada, env.id, 'cat /workspace/note.txt')).stdout).toBe('kept\n');

    const before = (await inspect(env.id)).State.StartedAt;
    expect((await ada.post(`/api/v1/environments/${env.id}/restart`)).statusCode).toBe(202);
    await waitFor('a restart', async () => {
      const e = (await ada.get(`/api/v1/environments/${env.id}`)).json<Environment>();
      return e.status === 'running' && e.startedAt !== started.startedAt ? e : undefined;
    });
    expect((await inspect(env.id)).State.StartedAt).not.toBe(before);
    expect((await sh(ada, env.id, 'cat /workspace/note.txt')).stdout).toBe('kept\n');

    expect((await ada.delete(`/api/v1/environments/${env.id}`)).statusCode).toBe(202);
    const deleted = await waitForStatus(ada, env.id, 'deleted');
    expect(deleted.desiredState).toBe('deleted');
    await expect(inspect(env.id)).rejects.toMatchObject({ statusCode: 404 });
    await expect(server.docker.getVolume(`berth-ws-${env.id}`).inspect()).rejects.toMatchObject({ statusCode: 404 });
    // A deleted environment frees its name and takes no more lifecycle requests.
    expect((await ada.post(`/api/v1/environments/${env.id}/start`)).statusCode).toBe(404);
    const again = await create(ada, { type: 'small', name: 'lifecycle' });
    await ada.delete(`/api/v1/environments/${again.id}`);
    await waitForStatus(ada, again.id, 'deleted');
  });

  it('applies the machine type limits and the hardening to the container', async () => {
    const env = await create(ada, { type: 'medium' });
    await waitForStatus(ada, env.id, 'running');
    const info = await inspect(env.id);
    expect(info.HostConfig.Memory).toBe(2048 * 1024 * 1024);
    expect(info.HostConfig.NanoCpus).toBe(2e9);
    expect(info.HostConfig.PidsLimit).toBeGreaterThan(0);
    expect(info.HostConfig.Init).toBe(true);
    expect(info.HostConfig.Privileged).toBe(false);
    expect(info.HostConfig.CapDrop).toEqual(['ALL']);
    expect(info.HostConfig.CapAdd).not.toContain('SYS_ADMIN');
    expect(info.HostConfig.SecurityOpt).toContain('no-new-privileges:true');
    expect(info.Config.WorkingDir).toBe('/workspace');
    expect(info.Config.Labels).toMatchObject({ 'berth.env': env.id, 'berth.install': server.installId, 'berth.owner': env.owner.id });
    expect(info.Mounts).toEqual(expect.arrayContaining([expect.objectContaining({ Type: 'volume', Name: `berth-ws-${env.id}`, Destination: '/workspace' })]));
    expect(Object.keys(info.NetworkSettings.Networks)).toEqual([expect.stringContaining(env.owner.id)]);
    // Inside, the limits hold: no new privileges, and the pid 1 is an init process.
    expect((await sh(ada, env.id, 'grep NoNewPrivs /proc/self/status')).stdout).toMatch(/NoNewPrivs:\s+1/);
    await ada.delete(`/api/v1/environments/${env.id}`);
    await waitForStatus(ada, env.id, 'deleted');
  });

  it('names environments readably by default and refuses a name the owner already uses', async () => {
    const env = await create(ada);
    expect(env.name).toMatch(/^[a-z]+-[a-z]+-\d{2}$/);
    expectProblem(await ada.post('/api/v1/environments', { type: 'small', name: env.name }), 409, 'conflict');
    // Another user may use the same name.
    const bobs = await create(bob, { type: 'small', name: env.name });
    for (const [caller, e] of [[ada, env], [bob, bobs]] as const) {
      await caller.delete(`/api/v1/environments/${e.id}`);
      await waitForStatus(caller, e.id, 'deleted');
    }
  });

  it('hides other users\' environments: 404 on every route, absent from lists; admins see all with ?all=true', async () => {
    const env = await create(ada, { type: 'small', name: 'private' });
    for (const [method, url] of [
      ['GET', `/api/v1/environments/${env.id}`],
      ['GET', `/api/v1/environments/${env.id}/events`],
      ['POST', `/api/v1/environments/${env.id}/stop`],
      ['POST', `/api/v1/environments/${env.id}/start`],
      ['POST', `/api/v1/environments/${env.id}/restart`],
      ['DELETE', `/api/v1/environments/${env.id}`],
    ] as const) {
      expectProblem(await bob.request(method, url), 404, 'not_found');
    }
    expectProblem(await bob.post(`/api/v1/environments/${env.id}/exec`, { command: ['true'] }), 404, 'not_found');
    expect((await bob.get('/api/v1/environments')).json<{ items: Environment[] }>().items.map((e) => e.id)).not.toContain(env.id);
    expectProblem(await bob.get('/api/v1/environments?all=true'), 403, 'forbidden');

    const admin = await server.login(ADMIN.username, ADMIN.password);
    expect((await admin.get('/api/v1/environments')).json<{ items: Environment[] }>().items.map((e) => e.id)).not.toContain(env.id);
    expect((await admin.get('/api/v1/environments?all=true')).json<{ items: Environment[] }>().items.map((e) => e.id)).toContain(env.id);
    expect((await admin.get(`/api/v1/environments/${env.id}`)).statusCode).toBe(200);
    await ada.delete(`/api/v1/environments/${env.id}`);
    await waitForStatus(ada, env.id, 'deleted');
  });

  it('audits every lifecycle request with the actor', async () => {
    const env = await create(ada, { type: 'small', name: 'audited' });
    await ada.post(`/api/v1/environments/${env.id}/stop`);
    await ada.delete(`/api/v1/environments/${env.id}`);
    const admin = await server.login(ADMIN.username, ADMIN.password);
    const rows = (await admin.get(`/api/v1/audit?targetType=environment&targetId=${env.id}`)).json<{ items: { action: string; actorUsername: string; success: boolean }[] }>().items;
    expect(rows.map((r) => r.action).reverse()).toEqual(['environment.create', 'environment.stop', 'environment.delete']);
    expect(rows.every((r) => r.actorUsername === 'ada' && r.success)).toBe(true);
    await waitForStatus(ada, env.id, 'deleted');
  });

  it('refuses bad bodies before anything is created', async () => {
    for (const body of [{}, { type: 'Small!' }, { type: 'small', name: '-bad' }, { type: 'small', name: 'x'.repeat(64) }, { type: 'small', extra: 1 }, { type: 'small', image: 'evil; rm -rf /' }]) {
      expectProblem(await ada.post('/api/v1/environments', body), 400, 'validation_failed');
    }
    expectProblem(await ada.get('/api/v1/environments/not-a-uuid'), 400, 'validation_failed');
    expect((await ada.get('/api/v1/environments')).json<{ items: Environment[] }>().items.filter((e) => e.desiredState !== 'deleted')).toEqual([]);
  });
});

describe('environment events', () => {
  it('records every status change with increasing sequence numbers and replays from since', async () => {
    const env = await create(ada, { type: 'small', name: 'evented' });
    await waitForStatus(ada, env.id, 'running');
    const all = (await ada.get(`/api/v1/environments/${env.id}/events`)).json<{ items: EnvironmentEvent[] }>().items;
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    expect(all.filter((e) => e.type === 'status').map((e) => e.status)).toEqual(['pending', 'provisioning', 'starting', 'running']);
    const tail = (await ada.get(`/api/v1/environments/${env.id}/events?since=2`)).json<{ items: EnvironmentEvent[] }>().items;
    expect(tail).toEqual(all.slice(2));
    expectProblem(await ada.get(`/api/v1/environments/${env.id}/events?since=-1`), 400, 'validation_failed');
  });

  it('streams over WebSocket: replays after since, then follows live without gaps or duplicates', async () => {
    const env = await create(ada, { type: 'small', name: 'streamed' });
    await waitForStatus(ada, env.id, 'running');
    const address = await server.app.listen({ host: '127.0.0.1', port: 0 });
    const session = await loginCookie(address);
    const received: EnvironmentEvent[] = [];
    const socket = new WebSocket(`${address.replace('http', 'ws')}/api/v1/environments/${env.id}/events/ws?since=1`, { headers: { cookie: session } });
    socket.on('message', (data) => received.push(JSON.parse(String(data)) as EnvironmentEvent));
    await waitFor('the replay', async () => received.some((e) => e.status === 'running'));
    expect(received[0]!.seq).toBe(2);

    await ada.post(`/api/v1/environments/${env.id}/stop`);
    await waitFor('live stop events', async () => received.some((e) => e.status === 'stopped'));
    const seqs = received.map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 2));
    socket.close();

    // Someone else's environment: not found, before any upgrade.
    const bobSession = await loginCookie(address, 'bob', 'bob-password-1234');
    const refused = new WebSocket(`${address.replace('http', 'ws')}/api/v1/environments/${env.id}/events/ws`, { headers: { cookie: bobSession } });
    expect(await new Promise<number>((resolve) => refused.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)))).toBe(404);
    // No credentials: the upgrade is refused.
    const anonymous = new WebSocket(`${address.replace('http', 'ws')}/api/v1/environments/${env.id}/events/ws`);
    const status = await new Promise<number>((resolve) => anonymous.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(401);
  });
});

async function loginCookie(address: string, username = 'ada', password = 'ada-password-1234'): Promise<string> {
  const res = await fetch(`${address}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: address },
    body: JSON.stringify({ username, password }),
  });
  expect(res.status).toBe(200);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

describe('runtime availability', () => {
  it('answers 503 runtime_unavailable when no engine answers, and changes nothing', async () => {
    const broken = await startTestServer({ DOCKER_HOST: 'unix:///tmp/berth-no-engine-here.sock' });
    try {
      await broken.createUser('cy', 'cy-password-12345');
      const cy = await broken.login('cy', 'cy-password-12345');
      expectProblem(await cy.post('/api/v1/environments', { type: 'small' }), 503, 'runtime_unavailable');
      expect((await cy.get('/api/v1/environments')).json<{ items: unknown[] }>().items).toEqual([]);
      const admin = await broken.login(ADMIN.username, ADMIN.password);
      const audit = (await admin.get('/api/v1/audit?action=environment.create')).json<{ items: { success: boolean; metadata: { code: string } }[] }>().items;
      expect(audit[0]).toMatchObject({ success: false, metadata: { code: 'runtime_unavailable' } });
      expect(await installObjects(server.docker, broken.installId)).toEqual({ containers: [], volumes: [], networks: [] });
    } finally {
      await broken.close();
    }
  });
});
