import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { useAppsWalkthrough } from './support/apps-walkthrough.js';
import { freePort } from './support/ports.js';
import { readmeBlock } from './support/readme.js';
import { useReadmeShell } from './support/readme-shell.js';
import { ADMIN } from './support/server.js';

/**
 * The README's "Deploy an app" started with BERTH_EDGE=caddy, as its "Through Caddy" says: the same
 * block works as written, and the app answers through the Caddy Berth started, on Caddy's port.
 */
const [httpPort, adminPort] = [await freePort(), await freePort()];
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-readme-caddy-'));
afterAll(() => fs.rm(dataDir, { recursive: true, force: true }));

const shell = useReadmeShell({
  env: {
    BERTH_EDGE: 'caddy',
    BERTH_EDGE_HTTP_ADDRESS: `127.0.0.1:${httpPort}`,
    BERTH_EDGE_ADMIN_ADDRESS: `127.0.0.1:${adminPort}`,
    BERTH_DATA_DIR: dataDir,
    BERTH_APPS_ALLOW_LOCAL_SOURCES: 'true',
    BERTH_APPS_DRAIN_SECONDS: '2',
  },
  keep: ['APP'],
});
const walk = useAppsWalkthrough(shell);

it('deploys the README\'s app behind Caddy, which serves every release at the app\'s URL on its port', async () => {
  const throughCaddy = (await readmeBlock('### Through Caddy', 'sh')).replace('127.0.0.1:8081', `127.0.0.1:${httpPort}`);
  await walk(() => shell.run(throughCaddy));
  const [app] = (await (await shell.server.login(ADMIN.username, ADMIN.password)).api.call('apps.list')).items;
  expect(app?.url).toBe(`http://hello-admin.apps.localhost:${httpPort}`);
}, 600_000);
