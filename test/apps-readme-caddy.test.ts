import { expect, it } from 'vitest';
import { caddyEdge } from './support/apps.js';
import { useAppsWalkthrough } from './support/apps-walkthrough.js';
import { readmeBlock } from './support/readme.js';
import { useReadmeShell } from './support/readme-shell.js';
import { ADMIN } from './support/server.js';

/**
 * The README's "Deploy an app" started with BERTH_EDGE=caddy, as its "Through Caddy" says: the same
 * block works as written, and the app answers through the Caddy Berth started, on Caddy's port.
 */
const { httpPort, env } = await caddyEdge();
const shell = useReadmeShell({ env: { ...env, BERTH_APPS_DRAIN_SECONDS: '2' }, keep: ['APP'] });
const walk = useAppsWalkthrough(shell);

it('deploys the README\'s app behind Caddy, which serves every release at the app\'s URL on its port', async () => {
  const throughCaddy = (await readmeBlock('### Through Caddy', 'sh')).replace('127.0.0.1:8081', `127.0.0.1:${httpPort}`);
  await walk(() => shell.run(throughCaddy));
  const [app] = (await (await shell.server.login(ADMIN.username, ADMIN.password)).api.call('apps.list')).items;
  expect(app?.url).toBe(`http://hello-admin.apps.localhost:${httpPort}`);
}, 600_000);
