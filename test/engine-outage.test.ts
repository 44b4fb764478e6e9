import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Environment, EnvironmentEvent } from '@berth/contracts';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerName } from '../packages/server/src/runtime/docker/labels.js';
import { installObjects } from './support/docker.js';
import { ensureTestImage } from './support/images.js';
import { expectProblem } from './support/problem.js';
import { ADMIN, startTestServer, type Caller, type TestServer } from './support/server.js';
import { waitFor, waitForStatus } from './support/wait.js';

const MAX_ATTEMPTS = 2;
const ENGINE_DOWN = /Docker engine unavailable/;

interface PrivateEngine {
  socketPath: string;
  docker: Docker;
  start(): Promise<void>;
  /** SIGTERM, then wait for the daemon to exit (it stops its containers first, as a real engine restart does). */
  stop(): Promise<void>;
  /** Stops the daemon if it runs and removes every file it had. */
  dispose(): Promise<void>;
}

/**
 * A dockerd of our own, so taking the engine away never touches the machine's
 * main one. It runs in a network namespace of its own: `--bridge=none` deletes
 * any `docker0` it can see, and its bridges must not meet the main engine's.
 */
async function createPrivateEngine(): Promise<PrivateEngine> {
  const dir = await fs.mkdtemp('/tmp/berth-outage-');
  const socketPath = path.join(dir, 'docker.sock');
  const docker = new Docker({ socketPath });
  const args = ['--net', '--', 'dockerd', '--host', `unix://${socketPath}`, '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec')];
  args.push('--pidfile', path.join(dir, 'docker.pid'), '--iptables=false', '--ip-masq=false', '--bridge=none', '--log-level=warn');
  let daemon: { child: ChildProcess; exited: Promise<void> } | undefined;
  let log = '';

  async function stop(): Promise<void> {
    if (!daemon) return;
    const { child, exited } = daemon;
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), 30_000)));
    if ((await Promise.race([exited, late])) === 'late') child.kill('SIGKILL'); // a bound, not a synchronisation
    clearTimeout(timer);
    await exited;
    daemon = undefined;
  }

  return {
    socketPath,
    docker,
    async start() {
      const child = spawn('unshare', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const keep = (d: Buffer) => (log = (log + d.toString()).slice(-20_000));
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      daemon = { child, exited };
      const died = exited.then(() => {
        throw new Error(`the private dockerd exited while starting:\n${log}`);
      });
      await Promise.race([waitFor('the private engine to answer', () => docker.ping().then(() => true), 60_000, 100), died]);
    },
    stop,
    async dispose() {
      await stop();
      // A daemon that had to be killed can leave mounts behind; without this the directory cannot go.
      const mounts = (await fs.readFile('/proc/self/mountinfo', 'utf8')).split('\n').map((line) => line.split(' ')[4] ?? '');
      for (const mount of mounts.filter((m) => m.startsWith(`${dir}/`)).sort().reverse()) {
        await new Promise((resolve) => spawn('umount', ['-l', mount]).once('exit', resolve));
      }
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

describe('a Docker engine outage', () => {
  let engine: PrivateEngine | undefined;
  let server: TestServer | undefined;
  let admin: Caller;

  beforeAll(async () => {
    engine = await createPrivateEngine();
    await engine.start();
    await ensureTestImage(engine.docker);
    server = await startTestServer({ DOCKER_HOST: `unix://${engine.socketPath}`, BERTH_RECONCILE_MAX_ATTEMPTS: String(MAX_ATTEMPTS) });
    admin = await server.login(ADMIN.username, ADMIN.password);
  }, 120_000);

  afterAll(async () => {
    try {
      await server?.close();
    } finally {
      await engine?.dispose();
    }
  }, 120_000);

  const get = async (id: string) => (await admin.get(`/api/v1/environments/${id}`)).json<Environment>();
  const events = async (id: string) => (await admin.get(`/api/v1/environments/${id}/events`)).json<{ items: EnvironmentEvent[] }>().items;
  const container = (id: string) => engine!.docker.getContainer(containerName(id));

  async function createRunning(): Promise<Environment> {
    const res = await admin.post('/api/v1/environments', { type: 'small' });
    expect(res.statusCode, res.body).toBe(202);
    return waitForStatus(admin, res.json<Environment>().id, 'running');
  }

  async function deleteAndWait(id: string): Promise<void> {
    expect((await admin.delete(`/api/v1/environments/${id}`)).statusCode).toBe(202);
    await waitForStatus(admin, id, 'deleted');
  }

  /** Waits until the reconcile has failed `attempts` times on the missing engine, failing if the environment ever goes to error. */
  async function waitForFailedAttempts(id: string, attempts: number): Promise<Environment> {
    return waitFor(`environment ${id} to have failed ${attempts} times`, async () => {
      const env = await get(id);
      if (env.status === 'error') throw new Error(`an engine outage put the environment in error: ${env.lastError}`);
      return env.attempts >= attempts ? env : undefined;
    });
  }

  it('answers 503 runtime_unavailable to create, start and restart while the engine is down, and starts again once it is back', async () => {
    const env = await createRunning();
    const count = async () => (await admin.get('/api/v1/environments')).json<{ items: Environment[] }>().items.length;
    const before = await count();
    await engine!.stop();
    try {
      expectProblem(await admin.post('/api/v1/environments', { type: 'small' }), 503, 'runtime_unavailable');
      expectProblem(await admin.post(`/api/v1/environments/${env.id}/start`), 503, 'runtime_unavailable');
      expectProblem(await admin.post(`/api/v1/environments/${env.id}/restart`), 503, 'runtime_unavailable');
      expect(await count()).toBe(before); // the refused create left no row behind
      expect(await get(env.id)).toMatchObject({ desiredState: 'running', attempts: 0 });
    } finally {
      await engine!.start();
    }

    expect((await container(env.id).inspect()).State.Running).toBe(false); // the engine stopped it on its way down
    expect((await admin.post(`/api/v1/environments/${env.id}/start`)).statusCode).toBe(202);
    await waitFor('the container to run again', async () => (await container(env.id).inspect()).State.Running);
    await waitForStatus(admin, env.id, 'running');
    await deleteAndWait(env.id);
  }, 120_000);

  it('answers 503 runtime_unavailable, not 500, to files, exec, stats and ports of a running environment while the engine is down', async () => {
    const env = await createRunning();
    await engine!.stop();
    try {
      const base = `/api/v1/environments/${env.id}`;
      expectProblem(await admin.get(`${base}/files?path=`), 503, 'runtime_unavailable');
      expectProblem(await admin.get(`${base}/files/content?path=notes.txt`), 503, 'runtime_unavailable');
      expectProblem(await admin.put(`${base}/files/content?path=notes.txt`, 'hello', { 'content-type': 'text/plain' }), 503, 'runtime_unavailable');
      expectProblem(await admin.post(`${base}/exec`, { command: ['true'] }), 503, 'runtime_unavailable');
      expectProblem(await admin.get(`${base}/stats`), 503, 'runtime_unavailable');
      expectProblem(await admin.get(`${base}/ports`), 503, 'runtime_unavailable');
    } finally {
      await engine!.start();
    }
    await deleteAndWait(env.id);
  }, 120_000);

  it('retries a stop asked while the engine is down past the attempt limit without failing, and finishes it when the engine returns', async () => {
    const env = await createRunning();
    await engine!.stop();
    try {
      const stop = await admin.post(`/api/v1/environments/${env.id}/stop`);
      expect(stop.statusCode).toBe(202);
      expect(stop.json<Environment>().desiredState).toBe('stopped');

      const failing = await waitForFailedAttempts(env.id, MAX_ATTEMPTS + 1);
      expect(failing.status).not.toBe('error');
      expect(failing.lastError).toMatch(ENGINE_DOWN);
      const history = await events(env.id);
      expect(history.some((e) => e.type === 'error')).toBe(false);
      const retries = history.filter((e) => e.type === 'retry').map((e) => e.data.attempts);
      expect(retries.slice(0, MAX_ATTEMPTS + 1)).toEqual([1, 2, 3]);
    } finally {
      await engine!.start();
    }

    const stopped = await waitForStatus(admin, env.id, 'stopped');
    expect(stopped.desiredState).toBe('stopped');
    expect((await container(env.id).inspect()).State.Running).toBe(false);
    await deleteAndWait(env.id);
  }, 120_000);

  it('starts an environment that should run again once resync can see the returned engine', async () => {
    const env = await createRunning();
    await engine!.stop();
    try {
      await expect(server!.services.resync.resync()).rejects.toThrow(ENGINE_DOWN);
    } finally {
      await engine!.start();
    }

    expect((await container(env.id).inspect()).State.Running).toBe(false);
    expect((await server!.services.resync.resync()).due).toBe(1);
    await waitFor('an exited event followed by running again', async () => {
      const list = await events(env.id);
      const exited = list.find((e) => e.type === 'exited');
      return exited && list.some((e) => e.seq > exited.seq && e.type === 'status' && e.status === 'running');
    });
    expect((await container(env.id).inspect()).State.Running).toBe(true);
    expect(await get(env.id)).toMatchObject({ status: 'running', attempts: 0, lastError: null });
    await deleteAndWait(env.id);
  }, 120_000);

  it('finishes a delete asked while the engine is down once it returns, leaving nothing of the install on the engine', async () => {
    const env = await createRunning();
    await engine!.stop();
    try {
      expect((await admin.delete(`/api/v1/environments/${env.id}`)).statusCode).toBe(202);
      expect((await waitForFailedAttempts(env.id, 1)).lastError).toMatch(ENGINE_DOWN);
    } finally {
      await engine!.start();
    }

    await waitForStatus(admin, env.id, 'deleted');
    await server!.services.resync.resync(); // removes the owner's network now that nothing uses it
    expect(await installObjects(engine!.docker, server!.installId)).toEqual({ containers: [], volumes: [], networks: [] });
  }, 120_000);
});
