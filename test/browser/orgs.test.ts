import type { CreatedInvitation, Environment, Team } from '@berth/contracts';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWebApp, screenshot, signIn, type Browser } from '../support/browser.js';
import type { Caller, TestServer } from '../support/server.js';
import { waitFor, waitForStatus } from '../support/wait.js';

/**
 * The README's organization walkthrough, seen by the teammate: olga owns acme
 * and shares an environment of it with the team core at "use"; ada, in core,
 * picks acme in the header, opens the environment's terminal, and watches it
 * stop when olga suspends acme.
 */
let server: TestServer;
let base: string;
let browser: Browser;
let page: Page;
let close: () => Promise<void>;
let olga: Caller;
let shared: Environment;
const PASSWORD = 'a-long-enough-password';
let errorsBeforeSuspension = 0;

beforeAll(async () => {
  ({ server, base, browser, page, close } = await openWebApp());
  ({ caller: olga } = await server.signUp('olga', PASSWORD));
  const { caller: ada } = await server.signUp('ada', PASSWORD);
  expect((await olga.post('/api/v1/orgs', { slug: 'acme', name: 'Acme' })).statusCode).toBe(202);
  const invitation = await olga.post('/api/v1/orgs/acme/invitations', { username: 'ada' });
  expect(invitation.statusCode, invitation.body).toBe(201);
  expect((await ada.post(`/api/v1/invitations/${invitation.json<CreatedInvitation>().id}/accept`)).statusCode).toBe(200);
  const team = (await olga.post('/api/v1/orgs/acme/teams', { slug: 'core', name: 'Core' })).json<Team>();
  expect((await olga.put('/api/v1/orgs/acme/teams/core/members/ada', { role: 'member' })).statusCode).toBe(200);
  const env = await olga.post('/api/v1/environments', { type: 'small', name: 'team-box' }, { 'berth-org': 'acme' });
  expect(env.statusCode, env.body).toBe(202);
  shared = await waitForStatus(olga, env.json<Environment>().id, 'running');
  expect((await olga.put(`/api/v1/environments/${shared.id}/shares/${team.id}`, { level: 'use' })).statusCode).toBe(200);
}, 120_000);
afterAll(() => close?.());

const card = (name: string) => page.getByRole('article', { name });

describe('a teammate in a real browser', () => {
  it('switches to the organization in the header and finds the environment shared with their team', async () => {
    await signIn(page, base, 'ada', PASSWORD);
    expect(await card('team-box').count()).toBe(0);
    const switcher = page.getByRole('combobox', { name: 'Organization' });
    await switcher.selectOption('acme');
    await expect.poll(() => card('team-box').getByTestId('env-status').textContent(), { timeout: 30_000 }).toBe('running');
    // She may use it, not stop or delete it: those buttons are not hers to press.
    expect(await card('team-box').getByRole('button', { name: 'Stop' }).count()).toBe(0);
    await screenshot(page, 'org-switched');
    // The choice outlives a reload.
    await page.reload();
    await expect.poll(() => card('team-box').count(), { timeout: 30_000 }).toBe(1);
  });

  it('opens its terminal and runs a command', async () => {
    await card('team-box').getByRole('link').first().click();
    await expect.poll(() => page.getByTestId('env-status').textContent(), { timeout: 30_000 }).toBe('running');
    const terminal = page.getByTestId('terminal');
    await terminal.click();
    await expect.poll(() => terminal.innerText(), { timeout: 15_000 }).toMatch(/[$#]/);
    await page.keyboard.type('echo teammate-$((6*7))\n');
    await expect.poll(() => terminal.innerText(), { timeout: 15_000 }).toContain('teammate-42');
    expect(await page.locator('.ide-header').getByRole('button', { name: 'Stop' }).count()).toBe(0);
    await screenshot(page, 'org-teammate-terminal');
  });

  it('watches it stop, without a reload, when the owner suspends the organization', async () => {
    errorsBeforeSuspension = browser.consoleErrors.length;
    expect((await olga.post('/api/v1/orgs/acme/suspend')).statusCode).toBe(200);
    await expect.poll(() => page.getByTestId('env-status').textContent(), { timeout: 30_000 }).toBe('stopped');
    await screenshot(page, 'org-suspended');
  });

  it('goes back to the personal organization when the chosen one is gone', async () => {
    expect((await olga.post('/api/v1/orgs/acme/reactivate')).statusCode).toBe(200);
    expect((await olga.delete('/api/v1/orgs/acme')).statusCode).toBe(202);
    await waitForStatus(olga, shared.id, 'deleted');
    await waitFor('acme to be gone', async () => (await olga.get('/api/v1/orgs/acme')).statusCode === 404);
    await page.goto(base);
    await expect.poll(() => page.getByRole('heading', { name: 'Environments' }).isVisible(), { timeout: 30_000 }).toBe(true);
    expect(await card('team-box').count()).toBe(0);
    expect(await page.evaluate('localStorage.getItem("berth.org")')).toBeNull();
  });

  it('logged no console errors but the expected ones', () => {
    // Before signing in, /me answers 401.
    const signedOut = /status of 401|GET \/api\/v1\/me -> 401/;
    expect(browser.consoleErrors.slice(0, errorsBeforeSuspension).filter((e) => !signedOut.test(e))).toEqual([]);
    // Once acme is suspended, a poll of the IDE may still ask a stopping environment for stats (409) before the
    // event saying so arrives; once acme is gone, the first call in it answers 404 and the app forgets it.
    const later = /status of (409|404)|\/api\/v1\/environments\/[^ ]+\/(stats|files|ports) -> 409|GET \/api\/v1\/[a-z/]+ -> 404/;
    expect(browser.consoleErrors.slice(errorsBeforeSuspension).filter((e) => !later.test(e))).toEqual([]);
  });
});
