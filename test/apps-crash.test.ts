import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { App, AppEvent, Release } from '@berth/contracts';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../packages/server/src/db/client.js';
import { installationId } from '../packages/server/src/db/installation.js';
import { DEV_IMAGE } from '../packages/server/src/runtime/docker/images.js';
import { LABEL_APP } from '../packages/server/src/runtime/docker/labels.js';
import { gitRepo, nodeApp, visitApp } from './support/apps.js';
import { createScratchPostgres } from './support/database.js';
import { removeInstall } from './support/docker.js';
import { serverProcesses, signedInCall, type ServerProcess } from './support/process.js';
import { ADMIN } from './support/server.js';
import { waitFor } from './support/wait.js';

/** A Berth killed with SIGKILL in the middle of a deploy, and of a deletion: the next one converges. */
describe('apps when the server is killed mid-way', () => {
  const docker = new Docker();
  const { start, crash, stopAll } = serverProcesses(() => env);
  const client = (p: ServerProcess) => signedInCall(p, ADMIN);
  let dataDir: string;
  let scratch: Awaited<ReturnType<typeof createScratchPostgres>>;
  let env: Record<string, string>;
  let installId: string;
  let repo: Awaited<ReturnType<typeof gitRepo>>;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-apps-crash-'));
    scratch = await createScratchPostgres();
    env = {
      ...(scratch ? { DATABASE_URL: scratch.url } : { BERTH_DATA_DIR: dataDir }),
      BERTH_ADMIN_PASSWORD: ADMIN.password,
      BERTH_APPS_ALLOW_LOCAL_SOURCES: 'true',
      BERTH_APPS_DRAIN_SECONDS: '2',
      // A claim held by a killed server lapses quickly, so the next one takes the app up soon.
      BERTH_RECONCILE_LEASE_SECONDS: '3',
      BERTH_STOP_GRACE_SECONDS: '1',
    };
    const database = await openDatabase(scratch ? { url: scratch.url } : { dataDir });
    installId = await installationId(database.db);
    await database.close();
    repo = await gitRepo();
    // A build that takes a moment (a RUN step of its own), so the kill lands while it runs.
    await repo.commit({ ...nodeApp('v1'), Dockerfile: `FROM ${DEV_IMAGE}\nWORKDIR /app\nRUN echo ${Date.now()} && sleep 3\nCOPY . .\nUSER 1000:1000\nCMD ["node", "server.js"]\n` }, 'v1');
  }, 120_000);

  afterAll(async () => {
    await stopAll();
    if (installId) await removeInstall(docker, installId);
    await scratch?.drop();
    await repo?.remove();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  /** GET / of the app through this server's own edge, by Host header. */
  const visit = (p: ServerProcess, host: string) => visitApp(new URL(p.url).port, host);

  it('finishes a deploy whose build was cut short by a kill, once a server runs again', async () => {
    const first = await start();
    const call = await client(first);
    const created = await call<App>('POST', '/apps', { name: 'tough', source: { kind: 'git', url: repo.url }, healthPath: '/health' });
    expect(created.status).toBe(201);
    const id = created.body.id;
    // Killed while release 1 builds: once its build said so (the status turns "building" a moment before that is written).
    await waitFor('release 1 to build', async () => (await call<{ items: AppEvent[] }>('GET', `/apps/${id}/events`)).body.items.some((e) => e.message.startsWith('building release 1')), 60_000);
    await crash(first);

    const second = await start();
    const again = await client(second);
    const release = await waitFor(
      'release 1 live on the next server',
      async () => {
        const [r] = (await again<{ items: Release[] }>('GET', `/apps/${id}/releases`)).body.items;
        if (r?.status === 'failed') throw new Error(`release 1 failed: ${r.error}`);
        return r?.status === 'live' ? r : undefined;
      },
      240_000,
      250,
    );
    expect(release.number).toBe(1);
    const host = new URL(created.body.url).hostname;
    expect(await visit(second, host)).toBe('200 v1 - no-secret');
    const events = (await again<{ items: AppEvent[] }>('GET', `/apps/${id}/events`)).body.items.map((e) => e.message);
    expect(events.filter((m) => m.startsWith('building release 1')).length).toBe(2);

    // Killed right after the deletion was asked for: the next server removes everything of it.
    expect((await again('DELETE', `/apps/${id}`)).status).toBe(202);
    await crash(second);
    const third = await start();
    await waitFor('no container of the app left', async () => (await docker.listContainers({ all: true, filters: { label: [`${LABEL_APP}=${id}`] } })).length === 0, 60_000);
    await waitFor('no image of the app left', async () => (await docker.listImages({ filters: { label: [`${LABEL_APP}=${id}`] } })).length === 0, 60_000);
    const after = await client(third);
    expect((await after('GET', `/apps/${id}`)).status).toBe(404);
    expect(await visit(third, host)).toMatch(/^404 /);
  }, 400_000);
});
