import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Environment, EnvironmentEvent, Organization } from '@berth/contracts';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../packages/server/src/db/client.js';
import { installationId } from '../packages/server/src/db/installation.js';
import { LABEL_ENV, LABEL_INSTALL, LABEL_OWNER, containerName, networkName, volumeName } from '../packages/server/src/runtime/docker/labels.js';
import { createScratchPostgres } from './support/database.js';
import { installObjects, removeInstall } from './support/docker.js';
import { TEST_IMAGE } from './support/images.js';
import { serverProcesses, signedInCall, type ServerProcess } from './support/process.js';
import { ADMIN, startTestServer, type Caller, type TestServer } from './support/server.js';
import { waitFor, waitForStatus } from './support/wait.js';

const statusOf = (err: unknown) => (err as { statusCode?: number }).statusCode;

/** Whether a Docker object is gone: inspect answers 404. */
async function gone(inspect: () => Promise<unknown>): Promise<boolean> {
  try {
    await inspect();
    return false;
  } catch (err) {
    if (statusOf(err) === 404) return true;
    throw err;
  }
}

describe('a berth server killed with SIGKILL mid-operation', () => {
  const docker = new Docker();
  const { start, crash, stopAll } = serverProcesses(() => env);
  let dataDir: string;
  let scratch: Awaited<ReturnType<typeof createScratchPostgres>>;
  let env: Record<string, string>;
  let installId: string;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-crash-'));
    scratch = await createScratchPostgres();
    env = {
      ...(scratch ? { DATABASE_URL: scratch.url } : { BERTH_DATA_DIR: dataDir }),
      BERTH_ADMIN_PASSWORD: ADMIN.password,
      BERTH_DEFAULT_IMAGE: TEST_IMAGE,
      BERTH_RESYNC_SECONDS: '2',
      BERTH_STOP_GRACE_SECONDS: '1',
      // What the crashed server had claimed waits out its lease before the next one takes it: short here
      // (renewed every third of it while a live server works), as apps-crash.test.ts does.
      BERTH_RECONCILE_LEASE_SECONDS: '3',
    };
    // The install id is created with the database; read it before any server runs so cleanup always knows it.
    const database = await openDatabase(scratch ? { url: scratch.url } : { dataDir });
    installId = await installationId(database.db);
    await database.close();
  });

  afterAll(async () => {
    await stopAll();
    if (installId) await removeInstall(docker, installId);
    await scratch?.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  async function shutDown(p: ServerProcess): Promise<void> {
    p.child.kill('SIGTERM');
    expect(await p.exited, p.output()).toBe(0);
  }

  /** Signs in as the admin and returns a small JSON client for this process. */
  async function client(p: ServerProcess) {
    const call = await signedInCall(p, ADMIN);
    const waitForEnv = (id: string, status: Environment['status'], timeoutMs = 60_000) => {
      let seen: Environment | undefined;
      return waitFor(
        `environment ${id} to be ${status}`,
        async () => {
          seen = (await call<Environment>('GET', `/environments/${id}`)).body;
          if (seen.status === 'error') throw new Error(`environment went to error: ${seen.lastError}`);
          return seen.status === status ? seen : undefined;
        },
        timeoutMs,
      );
    };
    return { call, waitForEnv };
  }

  const containersOf = (id: string) => docker.listContainers({ all: true, filters: { label: [`${LABEL_ENV}=${id}`] } });

  async function createRunning(p: ServerProcess): Promise<Environment> {
    const api = await client(p);
    const created = await api.call<Environment>('POST', '/environments', { type: 'small' });
    expect(created.status).toBe(202);
    return api.waitForEnv(created.body.id, 'running');
  }

  async function expectInstallEmpty(): Promise<void> {
    // Networks go with the next resync pass (every 2 s here) once their owner has nothing left.
    const left = await waitFor('every object labelled with the install to be removed', async () => {
      const objects = await installObjects(docker, installId);
      return objects.containers.length + objects.volumes.length + objects.networks.length === 0 ? objects : undefined;
    });
    expect(left).toEqual({ containers: [], volumes: [], networks: [] });
  }

  it('provisions an environment accepted just before the crash once a new server starts, and deleting it leaves nothing labelled', async () => {
    const first = await start();
    const created = await (await client(first)).call<Environment>('POST', '/environments', { type: 'small' });
    expect(created.status).toBe(202);
    expect(['pending', 'provisioning']).toContain(created.body.status);
    await crash(first);

    const second = await start();
    const api = await client(second);
    const running = await api.waitForEnv(created.body.id, 'running');
    expect(running.desiredState).toBe('running');
    const containers = await containersOf(created.body.id);
    expect(containers).toHaveLength(1); // the crash did not leave a second container behind
    expect(containers[0]!.State).toBe('running');
    expect(containers[0]!.Labels[LABEL_INSTALL]).toBe(installId);

    expect((await api.call('DELETE', `/environments/${created.body.id}`)).status).toBe(202);
    await api.waitForEnv(created.body.id, 'deleted');
    await expectInstallEmpty();
    await shutDown(second);
  }, 120_000);

  it('finishes a stop accepted just before the crash once a new server starts', async () => {
    const first = await start();
    const env1 = await createRunning(first);
    const stop = await (await client(first)).call<Environment>('POST', `/environments/${env1.id}/stop`);
    expect(stop.status).toBe(202);
    await crash(first);

    const second = await start();
    const api = await client(second);
    const stopped = await api.waitForEnv(env1.id, 'stopped');
    expect(stopped.desiredState).toBe('stopped');
    const [container] = await containersOf(env1.id);
    expect(container?.State).toBe('exited');

    expect((await api.call('DELETE', `/environments/${env1.id}`)).status).toBe(202);
    await api.waitForEnv(env1.id, 'deleted');
    await shutDown(second);
  }, 120_000);

  it('finishes a delete accepted just before the crash once a new server starts, leaving nothing labelled', async () => {
    const first = await start();
    const env1 = await createRunning(first);
    const del = await (await client(first)).call<Environment>('DELETE', `/environments/${env1.id}`);
    expect(del.status).toBe(202);
    await crash(first);

    const second = await start();
    await (await client(second)).waitForEnv(env1.id, 'deleted');
    expect(await containersOf(env1.id)).toEqual([]);
    await expectInstallEmpty();
    await shutDown(second);
  }, 120_000);

  it("finishes an organization's deletion accepted just before the crash: no environment, workspace or network of it is left", async () => {
    const first = await start();
    const api = await client(first);
    expect((await api.call<Organization>('POST', '/orgs', { slug: 'crash-co', name: 'Crash Co' })).status).toBe(202);
    await waitFor('crash-co to be provisioned', async () => (await api.call<Organization>('GET', '/orgs/crash-co')).body.status === 'active');
    const ids: string[] = [];
    for (const name of ['one', 'two']) {
      const created = await api.call<Environment>('POST', '/environments', { type: 'small', name }, { 'berth-org': 'crash-co' });
      expect(created.status).toBe(202);
      ids.push(created.body.id);
    }
    for (const id of ids) await api.waitForEnv(id, 'running');
    const deleting = await api.call<Organization>('DELETE', '/orgs/crash-co');
    expect(deleting.status).toBe(202);
    expect(deleting.body.status).toBe('deleting');
    await crash(first);

    const second = await start();
    const again = await client(second);
    await waitFor('crash-co to be gone', async () => (await again.call('GET', '/orgs/crash-co')).status === 404, 60_000);
    for (const id of ids) expect((await again.call<Environment>('GET', `/environments/${id}`)).body.status).toBe('deleted');
    await expectInstallEmpty();
    await shutDown(second);
  }, 120_000);
});

describe('resync against the runtime', () => {
  let server: TestServer;
  let admin: Caller;

  beforeAll(async () => {
    server = await startTestServer();
    admin = await server.login(ADMIN.username, ADMIN.password);
  });
  afterAll(async () => {
    await server?.close();
  });

  async function createRunning(): Promise<Environment> {
    const res = await admin.post('/api/v1/environments', { type: 'small' });
    expect(res.statusCode, res.body).toBe(202);
    return waitForStatus(admin, res.json<Environment>().id, 'running');
  }

  async function events(id: string): Promise<EnvironmentEvent[]> {
    const res = await admin.get(`/api/v1/environments/${id}/events`);
    expect(res.statusCode).toBe(200);
    return res.json<{ items: EnvironmentEvent[] }>().items;
  }

  async function killAndWaitExited(id: string): Promise<void> {
    const container = server.docker.getContainer(containerName(id));
    await container.kill();
    await waitFor(`container of ${id} to exit`, async () => !(await container.inspect()).State.Running);
  }

  it('removes a container, a workspace and a network labelled with this install that no environment owns, and leaves a real environment alone', async () => {
    const real = await createRunning();
    const realBefore = await server.docker.getContainer(containerName(real.id)).inspect();

    const orphan = randomUUID();
    const strayWorkspace = randomUUID();
    const strayOwner = randomUUID();
    const labels = (envId: string) => ({ [LABEL_INSTALL]: server.installId, [LABEL_ENV]: envId });
    await server.docker.createVolume({ Name: volumeName(orphan), Labels: labels(orphan) });
    const orphanContainer = await server.docker.createContainer({
      name: containerName(orphan),
      Image: TEST_IMAGE,
      Cmd: ['sleep', '3600'],
      Labels: labels(orphan),
      HostConfig: { NetworkMode: 'none', Mounts: [{ Type: 'volume', Source: volumeName(orphan), Target: '/workspace' }] },
    });
    await orphanContainer.start();
    await server.docker.createVolume({ Name: volumeName(strayWorkspace), Labels: labels(strayWorkspace) });
    const strayNetwork = networkName(server.installId, strayOwner);
    await server.docker.createNetwork({ Name: strayNetwork, Driver: 'bridge', Labels: { [LABEL_INSTALL]: server.installId, [LABEL_OWNER]: strayOwner } });

    const report = await server.services.resync.resync();

    expect(report).toEqual({ due: 0, orphanInstances: 1, orphanWorkspaces: 1 });
    expect(await gone(() => orphanContainer.inspect())).toBe(true);
    expect(await gone(() => server.docker.getVolume(volumeName(orphan)).inspect())).toBe(true);
    expect(await gone(() => server.docker.getVolume(volumeName(strayWorkspace)).inspect())).toBe(true);
    expect(await gone(() => server.docker.getNetwork(strayNetwork).inspect())).toBe(true);

    const realAfter = await server.docker.getContainer(containerName(real.id)).inspect();
    expect(realAfter.Id).toBe(realBefore.Id);
    expect(realAfter.State.Running).toBe(true);
    expect(realAfter.State.StartedAt).toBe(realBefore.State.StartedAt);
    expect(await gone(() => server.docker.getVolume(volumeName(real.id)).inspect())).toBe(false);
    expect((await admin.get(`/api/v1/environments/${real.id}`)).json<Environment>().status).toBe('running');
  });

  it('restarts a container that died while its environment should run, and records that it exited', async () => {
    const env1 = await createRunning();
    const before = await server.docker.getContainer(containerName(env1.id)).inspect();
    await killAndWaitExited(env1.id);

    // A pass counts it once the worker has let go of the row (the reconcile that brought it up releases it just after "running").
    await waitFor('a resync pass to find the environment drifted', async () => (await server.services.resync.resync()).due === 1);

    const restarted = await waitFor('an exited event followed by running again', async () => {
      const list = await events(env1.id);
      const exited = list.find((e) => e.type === 'exited');
      const runningAgain = exited && list.find((e) => e.seq > exited.seq && e.type === 'status' && e.status === 'running');
      return runningAgain ? exited : undefined;
    });
    expect(restarted.message).toMatch(/exit code 137/);
    const after = await server.docker.getContainer(containerName(env1.id)).inspect();
    expect(after.Id).toBe(before.Id); // started again, not re-created: the workspace is the same
    expect(after.State.Running).toBe(true);
    expect(after.State.StartedAt).not.toBe(before.State.StartedAt);
    const env2 = (await admin.get(`/api/v1/environments/${env1.id}`)).json<Environment>();
    expect(env2).toMatchObject({ status: 'running', desiredState: 'running', attempts: 0, lastError: null });
  });

  it('leaves a container that died while its environment should be stopped stopped, pass after pass', async () => {
    const env1 = await createRunning();
    // Hold the worker so the stop intent is recorded but not acted on when the container dies.
    await server.services.worker.stop();
    let intentSeq: number;
    try {
      const stop = await admin.post(`/api/v1/environments/${env1.id}/stop`);
      expect(stop.statusCode).toBe(202);
      expect(stop.json<Environment>()).toMatchObject({ desiredState: 'stopped', status: 'running' });
      intentSeq = (await events(env1.id)).at(-1)!.seq;
      await killAndWaitExited(env1.id);
    } finally {
      server.services.worker.start();
    }

    await waitForStatus(admin, env1.id, 'stopped');
    for (let pass = 0; pass < 2; pass++) {
      expect((await server.services.resync.resync()).due).toBe(0);
    }
    const container = await server.docker.getContainer(containerName(env1.id)).inspect();
    expect(container.State.Running).toBe(false);
    expect(container.State.ExitCode).toBe(137);
    const after = (await events(env1.id)).filter((e) => e.seq > intentSeq);
    expect(after.filter((e) => e.type === 'status').map((e) => e.status)).toEqual(['stopped']);
    expect((await admin.get(`/api/v1/environments/${env1.id}`)).json<Environment>()).toMatchObject({ status: 'stopped', desiredState: 'stopped' });
  });
});
