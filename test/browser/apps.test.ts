import type { App } from '@berth/contracts';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitRepo, nodeApp, visitApp } from '../support/apps.js';
import { launchBrowser, screenshot, signIn, type Browser } from '../support/browser.js';
import { WEB_BUILD } from '../support/paths.js';
import { startTestServer, type Caller, type TestServer } from '../support/server.js';

/**
 * Apps in the browser: one made with the form from a git repository of the test's own, its build
 * followed in the Activity panel until it is live, configured with a secret (masked on the page, in
 * the app's answer once the new release is live), its requests counted and charted in Traffic, its
 * replica's output read in Logs, rolled back to its first release, given a push webhook, and deleted
 * after a confirmation. At each step the app itself is asked, through Berth's edge by Host header,
 * what it answers.
 */
const PASSWORD = 'a-long-enough-password';
/** A build of the small Node app takes seconds; a busy machine may take many more. */
const RELEASE_TIMEOUT_MS = 120_000;

let server: TestServer;
let base: string;
let browser: Browser;
let page: Page;
let dev: Caller;
let repo: Awaited<ReturnType<typeof gitRepo>>;

beforeAll(async () => {
  repo = await gitRepo();
  await repo.commit(nodeApp('v1'), 'v1');
  server = await startTestServer({ BERTH_WEB_DIR: WEB_BUILD, BERTH_APPS_ALLOW_LOCAL_SOURCES: 'true', BERTH_APPS_DRAIN_SECONDS: '2' });
  base = await server.app.listen({ host: '127.0.0.1', port: 0 });
  dev = (await server.signUp('dev', PASSWORD)).caller;
  browser = await launchBrowser();
  page = await browser.context.newPage();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await repo?.remove();
});

const apps = async () => (await dev.get('/api/v1/apps')).json<{ items: App[] }>().items;

/** What the app answers on `/` through Berth's listening port, as a browser at its URL would. */
const visit = (host: string) => visitApp(new URL(base).port, host);

/** Waits until the Activity panel says `line` (the panel polls the app's events every second). */
async function activityShows(activity: Locator, line: string): Promise<void> {
  await expect.poll(() => activity.innerText(), { timeout: RELEASE_TIMEOUT_MS, interval: 500 }).toContain(line);
}

describe('apps in the browser', () => {
  let host: string;
  const activity = () => page.getByRole('log', { name: 'Activity log' });
  const release = (n: number) => page.getByRole('table', { name: 'Releases' }).locator(`tr[data-release="${n}"]`);

  it('makes an app from a git branch with the form, and follows its build in the Activity panel until it is live at its URL', async () => {
    await signIn(page, base, 'dev', PASSWORD);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Apps' }).click();
    await expect.poll(() => page.getByText('No apps yet.').isVisible()).toBe(true);

    await page.getByRole('button', { name: 'New app' }).click();
    const form = page.getByRole('form', { name: 'New app' });
    // The form checks what the API would refuse before sending anything.
    await form.getByLabel('Name').fill('Hello!');
    await form.getByRole('button', { name: 'Create app' }).click();
    expect(await form.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');
    expect(await form.getByText('lower-case letters, digits and "-", starting with a letter, at most 31 characters').isVisible()).toBe(true);
    expect(await form.getByText('an https://, ssh://, git:// (or, where an administrator allows it, file://) URL, or user@host:path').isVisible()).toBe(true);
    expect(await apps()).toEqual([]);
    await screenshot(page, 'app-new-refused');

    await form.getByLabel('Name').fill('hello');
    await form.getByLabel('Git URL').fill(repo.url);
    expect(await form.getByLabel('Branch').inputValue()).toBe('main');
    expect(await form.getByLabel('Port').inputValue()).toBe('3000');
    await form.getByLabel('Health path').fill('/health');
    await form.getByRole('button', { name: 'Create app' }).click();

    await expect.poll(() => page.getByRole('heading', { level: 1, name: 'hello' }).isVisible()).toBe(true);
    const [made] = await apps();
    expect(made).toMatchObject({ name: 'hello', source: { kind: 'git', url: repo.url, branch: 'main' }, port: 3000, healthPath: '/health' });
    expect(new URL(page.url()).pathname).toBe(`/apps/${made!.id}`);

    await activityShows(activity(), 'release 1 is live');
    // The build's own lines are in the log before it: the commit, what was detected, the build.
    expect(await activity().innerText()).toMatch(/commit [0-9a-f]{12}: Node\.js app: npm start/);
    await expect.poll(() => release(1).innerText()).toContain('live');

    const link = page.getByRole('link', { name: /^hello-dev\.apps\.localhost:\d+/ });
    const url = await link.getAttribute('href');
    expect(url).toBe(`http://hello-dev.apps.localhost:${new URL(base).port}`);
    expect(await link.getAttribute('target')).toBe('_blank');
    host = new URL(url!).host;
    expect(await visit(host)).toBe('200 v1 - no-secret');
    await screenshot(page, 'app-live');
  });

  it("counts the requests Berth's edge carried in Traffic, and charts them", async () => {
    // The app has answered once already (above); these come on top.
    const more = 5;
    for (let i = 0; i < more; i++) expect(await visit(host)).toBe('200 v1 - no-secret');
    const traffic = page.getByRole('region', { name: 'Traffic' });
    const counted = async () => Number(/(\d+) requests? in the last hour/.exec(await traffic.innerText())?.[1] ?? 0);
    // The section asks again every 10 s.
    await expect.poll(counted, { timeout: 30_000, interval: 500 }).toBeGreaterThanOrEqual(more + 1);
    expect(await traffic.innerText()).toMatch(/in the last hour, 0 server errors, p95 up to [\d.]+ ms, 0 restarts/);
    expect(await traffic.getByRole('img', { name: /^Requests per minute for the last hour/ }).isVisible()).toBe(true);
    expect(await traffic.getByRole('img', { name: /^p95 latency per minute/ }).isVisible()).toBe(true);
    await screenshot(page, 'app-traffic');
  });

  it('sets a secret config variable: masked on the page, and the app has it once the new release is live', async () => {
    const form = page.getByRole('form', { name: 'Config variable' });
    await form.getByLabel('Name').fill('GREETING');
    await form.getByLabel('Secret: stored encrypted, masked when read back').check();
    await form.getByLabel('Value').fill('hello');
    await form.getByRole('button', { name: 'Save variable' }).click();

    const row = page.getByRole('table', { name: 'Config variables' }).locator('tr[data-config="GREETING"]');
    await expect.poll(() => row.innerText()).toContain('••••••••');
    expect(await row.innerText()).not.toContain('hello');
    await activityShows(activity(), 'release 2 is live');
    await expect.poll(() => release(2).innerText()).toContain('config');
    expect(await visit(host)).toBe('200 v1 hello no-secret');
  });

  it("shows the replica's output in Logs", async () => {
    const logs = page.getByRole('region', { name: 'Logs' });
    await logs.getByRole('button', { name: 'Refresh logs' }).click();
    await expect.poll(() => logs.innerText(), { timeout: 30_000, interval: 500 }).toContain('release 2 · running · 0 restarts');
    // npm's banner: the replica runs the app's start script.
    expect(await logs.getByLabel('Output of replica 0').innerText()).toContain('node server.js');
    await screenshot(page, 'app-logs');
  });

  it('rolls back to release 1, its image and config, as a new release', async () => {
    const rollback = page.getByRole('form', { name: 'Roll back' });
    await rollback.getByLabel('Roll back to').selectOption('1');
    await rollback.getByRole('button', { name: 'Roll back' }).click();
    await activityShows(activity(), 'release 3 is live');
    await expect.poll(() => release(3).innerText()).toContain('rollback to 1');
    expect(await visit(host)).toBe('200 v1 - no-secret');
  });

  it('makes the push webhook and shows its URL and secret once', async () => {
    const section = page.getByRole('region', { name: 'Webhook' });
    await section.getByRole('button', { name: 'Create webhook' }).click();
    const secret = section.getByRole('region', { name: 'Webhook secret' });
    await expect.poll(() => secret.isVisible()).toBe(true);
    expect(await secret.innerText()).toContain('it will not be shown again');
    const [made] = await apps();
    expect(await section.getByLabel('Webhook URL').innerText()).toBe(`${base}/api/v1/apps/${made!.id}/push`);
    expect(await secret.locator('code').innerText()).toMatch(/^[\w-]{43}$/);
    await secret.getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => secret.count()).toBe(0);
    expect(await section.getByRole('button', { name: 'Create webhook' }).isVisible()).toBe(true);
  });

  it('lists the app, and deletes it after a confirmation', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Apps' }).click();
    const row = page.getByRole('table', { name: 'Apps' }).getByRole('row', { name: /hello/ });
    await expect.poll(() => row.innerText()).toMatch(/hello\s+running\s+release 3\s+hello-dev\.apps\.localhost/);
    await screenshot(page, 'apps-list');
    await row.getByRole('link', { name: 'hello', exact: true }).click();

    await page.getByRole('button', { name: 'Delete app' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete hello?' });
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await dialog.getByRole('button', { name: 'Delete app' }).click();
    await expect.poll(() => page.getByText('No apps yet.').isVisible()).toBe(true);
    expect(new URL(page.url()).pathname).toBe('/apps');
    expect(await apps()).toEqual([]);
    // Before signing in the app asks who is signed in and is told no one, and an app without a
    // database is answered 404 for it (Chromium's line for each says no more than "404"); nothing else failed.
    const noDatabase = browser.consoleErrors.filter((e) => /^GET \/api\/v1\/apps\/[^/]+\/database -> 404$/.test(e)).length;
    expect(noDatabase).toBeGreaterThan(0);
    const others = browser.consoleErrors.filter((e) => !/status of 401|-> 401|\/database -> 404$/.test(e));
    expect(others).toEqual(Array<string>(noDatabase).fill('Failed to load resource: the server responded with a status of 404 (Not Found)'));
  });
});
