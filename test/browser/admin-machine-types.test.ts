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
let studentId = '';

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

    const { id, caller } = await server.signUp('student', 'a-long-enough-password');
    studentId = id;
    const created = await caller.post('/api/v1/environments', { type: 'medium' });
    expect(created.statusCode, created.body).toBe(202);
    const env = created.json<Environment>();
    expect(env.runtimeClass).toBe('sandboxed');
    await waitForStatus(caller, env.id, 'running');
    const uname = await caller.post(`/api/v1/environments/${env.id}/exec`, { command: 'uname -r' });
    expect(uname.json<{ stdout: string }>().stdout).toBe('4.4.0\n');
  });

  it('lets a user ask for sandboxed in the create dialog, shows it fixed for a sandboxed type, and badges the environment', async () => {
    // The student of the test before, in a browser context of their own (the admin's stays signed in).
    // Credits for a second medium beside the first: the dialog offers only the types one can afford.
    expect((await admin.patch(`/api/v1/users/${studentId}/quota`, { credits: 10 })).statusCode).toBe(200);
    const context = await page.context().browser()!.newContext();
    const student = await context.newPage();
    try {
      await signIn(student, base, 'student', 'a-long-enough-password');
      await student.getByRole('button', { name: 'New environment' }).click();
      const dialog = student.getByRole('dialog', { name: 'New environment' });
      const box = dialog.getByLabel(/Sandboxed/);
      // medium is sandboxed (the test before): the box is ticked, and the user cannot untick it.
      await dialog.getByRole('radio', { name: 'medium', exact: true }).check();
      expect(await box.isChecked()).toBe(true);
      expect(await box.isDisabled()).toBe(true);
      // small is not: the user may ask for it.
      await dialog.getByRole('radio', { name: 'small', exact: true }).check();
      expect(await box.isChecked()).toBe(false);
      await box.check();
      await dialog.getByLabel('Name').fill('asked-sandboxed');
      await dialog.getByRole('button', { name: 'Create' }).click();
      await expect.poll(() => dialog.getByTestId('provision-status').textContent(), { timeout: 90_000 }).toContain('running');
      await dialog.getByRole('button', { name: 'Done' }).click();
      const card = student.getByRole('article', { name: 'asked-sandboxed' });
      await expect.poll(() => card.getByTestId('env-runtime').textContent()).toBe('Sandboxed');
      await screenshot(student, 'create-sandboxed');
      const id = (await card.getAttribute('data-env-id')) ?? '';
      expect((await admin.get(`/api/v1/environments/${id}`)).json<Environment>()).toMatchObject({ type: 'small', runtimeClass: 'sandboxed' });
      // And in its IDE's header.
      await card.getByRole('link', { name: 'asked-sandboxed' }).click();
      await expect.poll(() => student.locator('.ide-header').getByTestId('env-runtime').textContent()).toBe('Sandboxed');
      // A standard environment has no badge (the admin's own, on the admin's dashboard).
      const plain = await admin.post('/api/v1/environments', { type: 'small', name: 'plain-box' });
      expect(plain.statusCode, plain.body).toBe(202);
      await page.goto(`${base}/`);
      const plainCard = page.getByRole('article', { name: 'plain-box' });
      await expect.poll(() => plainCard.count()).toBe(1);
      expect(await plainCard.getByTestId('env-runtime').count()).toBe(0);
    } finally {
      await context.close();
    }
  }, 120_000);
});
