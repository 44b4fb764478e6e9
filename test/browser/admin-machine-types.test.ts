import type { Environment, MachineType } from '@berth/contracts';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWebApp, screenshot, signIn } from '../support/browser.js';
import { ADMIN, type Caller, type TestServer } from '../support/server.js';
import { waitForStatus } from '../support/wait.js';

/**
 * The admin console marks a machine type sandboxed, driven through the browser: the form's
 * checkbox, the table's badge, and a user's environment of that type running under gVisor.
 */
let server: TestServer;
let base: string;
let page: Page;
let close: () => Promise<void>;
let admin: Caller;

beforeAll(async () => {
  ({ server, base, page, close } = await openWebApp());
  admin = await server.login(ADMIN.username, ADMIN.password);
});
afterAll(() => close?.());

const typeOf = async (name: string) => (await admin.get('/api/v1/machine-types')).json<{ items: MachineType[] }>().items.find((t) => t.name === name);

describe('admin console: machine types', () => {
  const row = () => page.locator('tr[data-machine-type="medium"]');

  it('marks a machine type sandboxed, and a user\'s environment of it runs under gVisor', async () => {
    await signIn(page, base, ADMIN.username, ADMIN.password);
    await page.goto(`${base}/admin`);
    await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Machine types' }).click();
    expect(await row().locator('td[data-label="Runtime"]').innerText()).toBe('standard');

    await row().getByRole('button', { name: 'Edit' }).click();
    const form = page.getByRole('form', { name: 'Edit medium' });
    await form.getByLabel(/Sandboxed/).check();
    await form.getByRole('button', { name: 'Save machine type' }).click();
    await expect.poll(() => row().locator('td[data-label="Runtime"]').innerText()).toBe('sandboxed');
    expect((await typeOf('medium'))?.runtimeClass).toBe('sandboxed');
    await screenshot(page, 'admin-machine-type-sandboxed');

    const { caller } = await server.signUp('student', 'a-long-enough-password');
    const created = await caller.post('/api/v1/environments', { type: 'medium' });
    expect(created.statusCode, created.body).toBe(202);
    const env = created.json<Environment>();
    expect(env.runtimeClass).toBe('sandboxed');
    await waitForStatus(caller, env.id, 'running');
    const uname = await caller.post(`/api/v1/environments/${env.id}/exec`, { command: 'uname -r' });
    expect(uname.json<{ stdout: string }>().stdout).toBe('4.4.0\n');
  });
});
