import type { App, Environment } from '@berth/contracts';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseSettles, visitApp } from '../support/apps.js';
import { openWebApp, screenshot, signIn, type Browser } from '../support/browser.js';
import type { Caller, TestServer } from '../support/server.js';
import { runningEnvironment } from '../support/wait.js';

/**
 * "Deploy" from the IDE's header: /workspace/app of a running environment becomes an app (a static
 * site, built on Berth's base image from the folder's files) whose URL the dialog shows once it is
 * live; deployed again, the folder as it is then becomes its second release. The app itself is asked,
 * through Berth's edge by Host header, what it answers.
 */
const PASSWORD = 'a-long-enough-password';
/** A static site builds in seconds; a busy machine may take more. */
const RELEASE_TIMEOUT_MS = 45_000;

let server: TestServer;
let base: string;
let browser: Browser;
let page: Page;
let close: () => Promise<void>;
let dev: Caller;
let env: Environment;

beforeAll(async () => {
  ({ server, base, browser, page, close } = await openWebApp());
  dev = (await server.signUp('dev', PASSWORD)).caller;
  env = await runningEnvironment(dev, { type: 'small', name: 'site-box' });
});
afterAll(() => close?.());

/** Writes /workspace/app/index.html: made (201) the first time, replaced (200) after. */
async function writeIndex(html: string, status: 200 | 201): Promise<void> {
  const res = await dev.put(`/api/v1/environments/${env.id}/files/content?path=app/index.html`, html, { 'content-type': 'text/plain' });
  expect(res.statusCode, res.body).toBe(status);
}

/** What the app answers on `/` through Berth's listening port, as a browser at its URL would. */
const visit = (host: string) => visitApp(new URL(base).port, host);

const apps = async () => (await dev.get('/api/v1/apps')).json<{ items: App[] }>().items;
const dialog = () => page.getByRole('dialog', { name: 'Deploy from site-box' });
/** The dialog's link to the app's own address, shown once the release it follows is live. */
const urlLink = () => dialog().getByRole('link', { name: /^site-dev\.apps\.localhost:\d+/ });

describe('Deploy from the IDE', { timeout: 90_000 }, () => {
  let app: App;

  it('makes an app of /workspace/app with the dialog and shows its URL once it is live', async () => {
    await writeIndex('<h1>hello from the IDE</h1>', 201);
    await signIn(page, base, 'dev', PASSWORD);
    await page.goto(`${base}/environments/${env.id}`);
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();

    const form = dialog().getByRole('form', { name: 'New app' });
    expect(await form.getByLabel('Folder').inputValue()).toBe('/workspace/app');
    expect(await form.getByLabel('Port').inputValue()).toBe('3000');
    // The name is checked as the API checks it, before anything is sent.
    await form.getByLabel('Name').fill('Site!');
    await form.getByRole('button', { name: 'Create and deploy' }).click();
    expect(await form.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');
    expect(await apps()).toEqual([]);

    await form.getByLabel('Name').fill('site');
    await form.getByRole('button', { name: 'Create and deploy' }).click();
    await expect.poll(() => urlLink().isVisible(), { timeout: RELEASE_TIMEOUT_MS, interval: 250 }).toBe(true);
    await screenshot(page, 'ide-deploy-live');

    const made = await apps();
    expect(made).toHaveLength(1);
    app = made[0]!;
    expect(app).toMatchObject({ name: 'site', source: { kind: 'workspace', environmentId: env.id, path: '/workspace/app' }, port: 3000, healthPath: null, currentRelease: 1 });
    expect(await dialog().getByRole('link', { name: 'its page in Apps' }).getAttribute('href')).toBe(`/apps/${app.id}`);
    const url = await urlLink().getAttribute('href');
    expect(url).toBe(app.url);
    expect(await visit(new URL(url!).host)).toBe('200 <h1>hello from the IDE</h1>');
    await dialog().getByRole('button', { name: 'Done' }).click();
  });

  it('deploys the same app again from the folder as it is now, as release 2', async () => {
    await writeIndex('<h1>hello again</h1>', 200);
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await dialog().getByRole('button', { name: 'Deploy site again' }).click();

    await releaseSettles(dev, app.id, 2, 'live', RELEASE_TIMEOUT_MS);
    await expect.poll(() => dialog().getByRole('status').innerText()).toMatch(/^Release 2 of site is live at site-dev\.apps\.localhost:\d+/);
    expect(await visit(new URL(app.url).host)).toBe('200 <h1>hello again</h1>');
    expect(await apps()).toHaveLength(1);
    await screenshot(page, 'ide-deploy-again');
    // Before signing in the app asks who is signed in and is told no one; nothing else failed.
    expect(browser.consoleErrors.filter((e) => !/status of 401|-> 401/.test(e))).toEqual([]);
  });
});
