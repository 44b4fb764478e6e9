import type { WarmPool } from '@berth/contracts';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWebApp, screenshot, signIn, type Browser } from '../support/browser.js';
import { ADMIN, type Caller, type TestServer } from '../support/server.js';

/**
 * The admin console's warm pools, driven through the browser: a pool made with the form fills
 * to one ready environment while the page polls, is resized to nothing and deleted after a
 * confirmation; the API agrees at each step.
 */
let server: TestServer;
let base: string;
let browser: Browser;
let page: Page;
let close: () => Promise<void>;
let admin: Caller;

beforeAll(async () => {
  ({ server, base, browser, page, close } = await openWebApp());
  admin = await server.login(ADMIN.username, ADMIN.password);
});
afterAll(() => close?.());

const pools = async () => (await admin.get('/api/v1/pools')).json<{ items: WarmPool[] }>().items;

/** The environments a pool of the test image starts in seconds; building one may still take a while on a busy machine. */
const FILL_TIMEOUT_MS = 60_000;

describe('admin console: warm pools', () => {
  let pool: WarmPool;
  const row = () => page.locator(`tr[data-pool="${pool.id}"]`);
  const cell = (label: string) => row().locator(`td[data-label="${label}"]`);
  // What the section says it did; an empty one is hidden, so found by its place rather than its role.
  const notice = () => page.locator('section[aria-labelledby="admin-pools-title"] > p[role="status"]');

  it('makes a pool of a machine type with the form, and shows it fill to one ready environment', async () => {
    await signIn(page, base, ADMIN.username, ADMIN.password);
    await page.goto(`${base}/admin`);
    await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Warm pools' }).click();
    await expect.poll(() => page.getByText('No warm pools yet.').isVisible()).toBe(true);

    await page.getByRole('button', { name: 'New pool' }).click();
    const form = page.getByRole('form', { name: 'New warm pool' });
    await form.getByLabel('Machine type').selectOption('small');
    expect(await form.getByLabel('Template').inputValue()).toBe('');
    await form.getByLabel('Size').fill('1');
    await form.getByRole('button', { name: 'Create pool' }).click();
    await expect.poll(() => notice().textContent()).toBe('The small pool was created.');
    expect(await form.count()).toBe(0);

    const listed = await pools();
    expect(listed).toHaveLength(1);
    pool = listed[0]!;
    expect(pool).toMatchObject({ machineType: 'small', templateId: null, image: null, size: 1, claimed: 0 });

    expect(await row().getByRole('rowheader').innerText()).toBe('small');
    expect(await cell('Made from').innerText()).toBe("machine type's image");
    expect(await cell('Size').innerText()).toBe('1');
    // The list is polled: the row moves from building to ready without a reload.
    await expect.poll(() => cell('State').innerText(), { timeout: FILL_TIMEOUT_MS, interval: 500 }).toBe('1 ready');
    expect(await cell('Claimed').innerText()).toBe('0');
    expect((await pools())[0]).toMatchObject({ id: pool.id, ready: 1, building: 0, failed: 0, draining: 0 });
    await screenshot(page, 'admin-warm-pool-ready');
  });

  it("refuses a second pool of the same machine type, template and image, and says why in the form", async () => {
    await page.getByRole('button', { name: 'New pool' }).click();
    const form = page.getByRole('form', { name: 'New warm pool' });
    await form.getByLabel('Machine type').selectOption('small');
    await form.getByRole('button', { name: 'Create pool' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toBe('There is already a pool for this machine type, template and image');
    await screenshot(page, 'admin-warm-pool-conflict');
    await form.getByRole('button', { name: 'Cancel' }).click();
    expect(await form.count()).toBe(0);
    expect(await pools()).toHaveLength(1);
  });

  it('resizes the pool to nothing, which drains its environment', async () => {
    await row().getByRole('button', { name: 'Resize' }).click();
    const form = page.getByRole('form', { name: 'Resize the small pool' });
    expect(await form.getByLabel('Size').inputValue()).toBe('1');
    await form.getByLabel('Size').fill('0');
    await form.getByRole('button', { name: 'Save size' }).click();
    await expect.poll(() => notice().textContent()).toBe('The small pool now keeps 0 started.');
    expect(await form.count()).toBe(0);
    expect(await cell('Size').innerText()).toBe('0');
    await expect.poll(() => cell('State').innerText(), { timeout: FILL_TIMEOUT_MS, interval: 500 }).toBe('0 ready');
    expect((await pools())[0]).toMatchObject({ id: pool.id, size: 0, ready: 0, building: 0, failed: 0, draining: 0 });
  });

  it('deletes the pool after a confirmation that says its unclaimed environments go with it', async () => {
    await row().getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete the small pool?' });
    await expect.poll(() => dialog.isVisible()).toBe(true);
    expect(await dialog.innerText()).toContain('Its unclaimed environments (0 now) are deleted with it.');
    await screenshot(page, 'admin-warm-pool-delete');
    await dialog.getByRole('button', { name: 'Delete pool' }).click();

    await expect.poll(() => row().count()).toBe(0);
    expect(await dialog.isVisible()).toBe(false);
    expect(await notice().textContent()).toBe('The small pool was deleted.');
    expect(await page.getByText('No warm pools yet.').isVisible()).toBe(true);
    expect(await pools()).toEqual([]);
    // Before signing in, the app asks who is signed in and is told no one; the second pool was refused.
    const expected = /status of (401|409)|-> 401|POST \/api\/v1\/pools -> 409/;
    expect(browser.consoleErrors.filter((e) => !expected.test(e))).toEqual([]);
  });
});
