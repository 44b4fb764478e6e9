import type { Environment } from '@berth/contracts';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWebApp, screenshot, signIn } from '../support/browser.js';
import { ADMIN, type TestServer } from '../support/server.js';

let server: TestServer;
let base: string;
let page: Page;
let close: () => Promise<void>;

beforeAll(async () => ({ server, base, page, close } = await openWebApp()));
afterAll(() => close?.());

describe('admin console: environments', () => {
  it("shows each environment's egress policy, with an allowlist's CIDRs", async () => {
    const admin = await server.login(ADMIN.username, ADMIN.password);
    const create = async (body: Record<string, unknown>) => (await admin.post('/api/v1/environments', { type: 'small', ...body })).json<Environment>();
    const [open, closed, listed] = await Promise.all([create({}), create({ egress: 'none' }), create({ egress: 'allowlist', egressAllow: ['10.20.0.0/16', '192.0.2.7/32'] })]);

    await signIn(page, base, ADMIN.username, ADMIN.password);
    await page.goto(`${base}/admin/environments`);
    const cell = (env: Environment) => page.locator(`tr[data-environment="${env.id}"] td[data-label="Egress"]`);
    await expect.poll(() => cell(listed).innerText()).toBe('allowlist 10.20.0.0/16, 192.0.2.7/32');
    expect(await cell(open).innerText()).toBe('internet');
    expect(await cell(closed).innerText()).toBe('none');
    expect(await page.getByRole('columnheader', { name: 'Egress' }).isVisible()).toBe(true);
    await screenshot(page, 'admin-environments-egress');
  });
});
