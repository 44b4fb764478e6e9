import type { CreatedInvitation, Environment, Share, Team } from '@berth/contracts';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openWebApp, screenshot, signIn, type Browser } from '../support/browser.js';
import type { Caller, TestServer } from '../support/server.js';
import { waitForStatus } from '../support/wait.js';

/**
 * Sharing an environment through the share dialog, and what each teammate then
 * sees: olga owns acme and shares team-box with the team core at "use"; ada, a
 * member in core, works in its terminal; vic, a viewer in core, sees it read-only.
 */
let server: TestServer;
let base: string;
let owner: Browser;
let teammate: Browser;
let page: Page;
let other: Page;
let close: () => Promise<void>;
let olga: Caller;
let team: Team;
let shared: Environment;
const PASSWORD = 'a-long-enough-password';

async function join(username: string, role: 'member' | 'viewer'): Promise<void> {
  const { caller } = await server.signUp(username, PASSWORD);
  const invitation = await olga.post('/api/v1/orgs/acme/invitations', { username, role });
  expect(invitation.statusCode, invitation.body).toBe(201);
  expect((await caller.post(`/api/v1/invitations/${invitation.json<CreatedInvitation>().id}/accept`)).statusCode).toBe(200);
  expect((await olga.put(`/api/v1/orgs/acme/teams/core/members/${username}`, { role: 'member' })).statusCode).toBe(200);
}

beforeAll(async () => {
  ({ server, base, browser: owner, page, close } = await openWebApp());
  teammate = await launchBrowser();
  other = await teammate.context.newPage();
  ({ caller: olga } = await server.signUp('olga', PASSWORD));
  expect((await olga.post('/api/v1/orgs', { slug: 'acme', name: 'Acme' })).statusCode).toBe(202);
  team = (await olga.post('/api/v1/orgs/acme/teams', { slug: 'core', name: 'Core' })).json<Team>();
  await join('ada', 'member');
  await join('vic', 'viewer');
  const env = await olga.post('/api/v1/environments', { type: 'small', name: 'team-box' }, { 'berth-org': 'acme' });
  expect(env.statusCode, env.body).toBe(202);
  shared = await waitForStatus(olga, env.json<Environment>().id, 'running');
}, 120_000);
afterAll(async () => {
  await teammate?.close();
  await close?.();
});

const cardOn = (p: Page, name: string) => p.getByRole('article', { name });
const shares = async () => (await olga.get(`/api/v1/environments/${shared.id}/shares`)).json<{ items: Share[] }>().items;

async function signInTo(p: Page, username: string): Promise<void> {
  await signIn(p, base, username, PASSWORD);
  await p.getByRole('combobox', { name: 'Organization' }).selectOption('acme');
  await expect.poll(() => cardOn(p, 'team-box').getByTestId('env-status').textContent(), { timeout: 30_000 }).toBe('running');
}

describe('an environment shared with a team, in real browsers', () => {
  it("is shared at use from its card's share dialog", async () => {
    await signInTo(page, 'olga');
    await cardOn(page, 'team-box').getByRole('button', { name: 'Share' }).click();
    const dialog = page.getByRole('dialog', { name: 'Share team-box' });
    const level = dialog.getByRole('combobox', { name: 'Access for Core' });
    await expect.poll(() => level.inputValue(), { timeout: 15_000 }).toBe('none');
    await level.selectOption('use');
    await expect.poll(() => dialog.getByRole('status').textContent(), { timeout: 15_000 }).toBe('Saved.');
    expect(await shares()).toEqual([{ team: { id: team.id, slug: 'core', name: 'Core' }, level: 'use' }]);
    await screenshot(page, 'share-dialog');
    await dialog.getByRole('button', { name: 'Done' }).click();
  });

  it('shows the share in the dialog the IDE header opens too', async () => {
    await cardOn(page, 'team-box').getByRole('link').first().click();
    await expect.poll(() => page.getByTestId('env-status').textContent(), { timeout: 30_000 }).toBe('running');
    await page.locator('.ide-header').getByRole('button', { name: 'Share' }).click();
    const dialog = page.getByRole('dialog', { name: 'Share team-box' });
    await expect.poll(() => dialog.getByRole('combobox', { name: 'Access for Core' }).inputValue(), { timeout: 15_000 }).toBe('use');
    await dialog.getByRole('button', { name: 'Done' }).click();
  });

  it('lets a teammate with use open it from the dashboard and work in its terminal', async () => {
    await signInTo(other, 'ada');
    const card = cardOn(other, 'team-box');
    expect(await card.getByTestId('env-access').textContent()).toBe('Shared');
    for (const name of ['Start', 'Stop', 'Share', 'Delete']) expect(await card.getByRole('button', { name, exact: true }).count(), name).toBe(0);
    await card.getByRole('link').first().click();
    await expect.poll(() => other.getByTestId('env-status').textContent(), { timeout: 30_000 }).toBe('running');
    const terminal = other.getByTestId('terminal');
    await terminal.click();
    await expect.poll(() => terminal.innerText(), { timeout: 15_000 }).toMatch(/[$#]/);
    await other.keyboard.type('echo shared-$((6*7))\n');
    await expect.poll(() => terminal.innerText(), { timeout: 15_000 }).toContain('shared-42');
    const header = other.locator('.ide-header');
    for (const name of ['Start', 'Stop', 'Restart', 'Share']) expect(await header.getByRole('button', { name, exact: true }).count(), name).toBe(0);
    await screenshot(other, 'shared-use-terminal');
    await other.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => other.getByRole('button', { name: 'Sign in' }).isVisible()).toBe(true);
  });

  it('shows a viewer of the same team the environment read-only, saying so', async () => {
    await signInTo(other, 'vic');
    const card = cardOn(other, 'team-box');
    expect(await card.getByTestId('env-access').textContent()).toBe('View only');
    expect(await card.getByRole('button').count()).toBe(0);
    expect(await other.getByRole('button', { name: 'New environment' }).count()).toBe(0);
    await card.getByRole('link').first().click();
    await expect.poll(() => other.getByTestId('env-status').textContent(), { timeout: 30_000 }).toBe('running');
    await expect.poll(() => other.getByRole('heading', { name: 'View only' }).isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await other.locator('.ide-header').getByTestId('env-access').textContent()).toBe('View only');
    // Status, stats and events, and nothing to type into, edit, upload or press.
    await expect.poll(() => other.getByTestId('env-stats').textContent(), { timeout: 15_000 }).toContain('%');
    expect(await other.getByTestId('terminal').count()).toBe(0);
    expect(await other.getByRole('toolbar', { name: 'File actions' }).count()).toBe(0);
    expect(await other.locator('.xterm-helper-textarea, .cm-content, input[type=file]').count()).toBe(0);
    for (const name of ['Start', 'Stop', 'Restart', 'Share', 'New terminal', 'New file']) expect(await other.getByRole('button', { name, exact: true }).count(), name).toBe(0);
    await screenshot(other, 'shared-view-only');
  });

  it('logged no console errors', () => {
    // Before signing in, /me answers 401.
    const signedOut = /status of 401|GET \/api\/v1\/me -> 401/;
    expect(owner.consoleErrors.filter((e) => !signedOut.test(e))).toEqual([]);
    // Ada signs out from the IDE: a call of its page in flight then may be answered 401.
    const signingOut = /GET \/api\/v1\/environments\/[^ ]+ -> 401/;
    expect(teammate.consoleErrors.filter((e) => !signedOut.test(e) && !signingOut.test(e))).toEqual([]);
  });
});
