import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWebApp, screenshot, signIn, type Browser } from '../support/browser.js';
import { ADMIN, type TestServer } from '../support/server.js';

let server: TestServer;
let base: string;
let browser: Browser;
let page: Page;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ server, base, browser, page, close } = await openWebApp());
  await server.createUser('ada', 'ada-password-1234');
});
afterAll(() => close?.());

describe('signing in', () => {
  it('says "Invalid username or password" for wrong credentials', async () => {
    await page.goto(base);
    await screenshot(page, 'sign-in');
    await page.getByLabel('Username').fill('ada');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Invalid username or password');
  });

  it('signs in, shows the dashboard with the credits meter, and signs out', async () => {
    await signIn(page, base, 'ada', 'ada-password-1234');
    await expect.poll(() => page.locator('.topbar .credits').innerText()).toContain('Credits 0 / 3');
    await screenshot(page, 'dashboard-empty');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Sign in' }).isVisible()).toBe(true);
  });

  it('keeps an ordinary user out of the admin pages: no link, and the page refuses', async () => {
    await signIn(page, base, 'ada', 'ada-password-1234');
    expect(await page.getByRole('link', { name: 'Admin' }).count()).toBe(0);
    await page.goto(`${base}/admin/users`);
    await expect.poll(() => page.getByRole('heading', { name: 'Not allowed' }).isVisible()).toBe(true);
    await screenshot(page, 'admin-refused');
    await page.getByRole('button', { name: 'Sign out' }).click();
  });

  it('opens the admin console for administrators, section by section', async () => {
    await signIn(page, base, ADMIN.username, ADMIN.password);
    await page.getByRole('link', { name: 'Admin' }).click();
    const sections = page.getByRole('navigation', { name: 'Admin sections' });
    for (const [link, shot] of [['Users', 'admin-users'], ['Machine types', 'admin-machine-types'], ['Config', 'admin-config'], ['Audit log', 'admin-audit'], ['Environments', 'admin-environments']] as const) {
      await sections.getByRole('link', { name: link }).click();
      await expect.poll(() => page.getByRole('heading', { name: link, level: 2 }).isVisible()).toBe(true);
      await screenshot(page, shot);
    }
    // The audit log shows this session's sign-ins.
    await sections.getByRole('link', { name: 'Audit log' }).click();
    await expect.poll(() => page.getByRole('cell', { name: 'user.login', exact: true }).first().isVisible()).toBe(true);
  });

  it('logs no console errors in normal use', () => {
    // The wrong-password 401 is the browser reporting a failed fetch, which is expected.
    expect(browser.consoleErrors.filter((e) => !/status of 401|-> 401/.test(e))).toEqual([]);
  });
});
