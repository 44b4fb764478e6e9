import type { NodeList } from '@berth/contracts';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWebApp, screenshot, signIn } from '../support/browser.js';
import { ADMIN, type Caller, type TestServer } from '../support/server.js';
import { startSwarm, type TestSwarm } from '../support/swarm.js';

/**
 * The admin console's nodes, driven through the browser, Berth on the manager of a real one-engine
 * swarm (in a network namespace of the test's): the node is listed as the swarm sees it, drained
 * and made active again with its buttons; the swarm agrees at each step.
 */
let swarm: TestSwarm;
let server: TestServer;
let base: string;
let page: Page;
let close: () => Promise<void>;
let admin: Caller;

beforeAll(async () => {
  swarm = await startSwarm(1);
  ({ server, base, page, close } = await openWebApp({ DOCKER_HOST: `unix://${swarm.manager.socketPath}` }));
  admin = await server.login(ADMIN.username, ADMIN.password);
}, 120_000);
afterAll(async () => {
  try {
    await close?.();
  } finally {
    await swarm?.dispose();
  }
}, 120_000);

describe('admin console: nodes', () => {
  const row = () => page.locator(`tr[data-node="${swarm.manager.id}"]`);
  const cell = (label: string) => row().locator(`td[data-label="${label}"]`);
  const availability = async () => ((await swarm.manager.docker.getNode(swarm.manager.id).inspect()) as { Spec: { Availability: string } }).Spec.Availability;

  it('lists the swarm node, drains it and makes it active again', async () => {
    await signIn(page, base, ADMIN.username, ADMIN.password);
    await page.goto(`${base}/admin`);
    await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Nodes' }).click();
    await expect.poll(() => row().count()).toBe(1);
    expect(await row().getByRole('rowheader').innerText()).toBe(`${swarm.manager.name} manager`);
    expect(await cell('State').innerText()).toBe('ready');
    expect(await cell('Availability').innerText()).toBe('active');
    expect(await cell('Address').innerText()).toBe(swarm.manager.ip);
    // Its engine reads the machine's daemon.json, where scripts/setup-docker.sh registered gVisor.
    expect(await cell('Runtimes').innerText()).toBe('standard, sandboxed (gVisor)');
    await screenshot(page, 'admin-nodes');

    await row().getByRole('button', { name: 'Drain' }).click();
    await expect.poll(() => cell('Availability').innerText()).toBe('drain');
    expect(await availability()).toBe('drain');
    expect((await admin.get('/api/v1/nodes')).json<NodeList>().items[0]?.availability).toBe('drain');

    await row().getByRole('button', { name: 'Activate' }).click();
    await expect.poll(() => cell('Availability').innerText()).toBe('active');
    expect(await availability()).toBe('active');
  });
});
