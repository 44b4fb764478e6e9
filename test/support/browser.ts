import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { WEB_BUILD } from './paths.js';
import { startTestServer, type TestServer } from './server.js';

export const SCREENSHOTS = path.resolve('test-artifacts/screenshots');

/** Debian's Chromium, headless, with a fresh profile and no calls home. */
export async function launchBrowser(): Promise<{ context: BrowserContext; close: () => Promise<void>; consoleErrors: string[] }> {
  const profile = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1440, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const consoleErrors: string[] = [];
  context.on('page', (page) => watch(page, consoleErrors));
  for (const page of context.pages()) watch(page, consoleErrors);
  await fs.mkdir(SCREENSHOTS, { recursive: true });
  return {
    context,
    consoleErrors,
    close: async () => {
      await context.close();
      await fs.rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Chromium aborts requests in flight with ERR_NETWORK_CHANGED whenever the
 * host's interfaces change, which the other test files do all the time by
 * creating Docker networks: the machine's doing, not the app's.
 */
const HOST_NETWORK_NOISE = /ERR_NETWORK_CHANGED/;

function watch(page: Page, errors: string[]): void {
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !HOST_NETWORK_NOISE.test(msg.text())) errors.push(msg.text());
  });
  // Chromium's console line for a failed fetch does not say which: keep the method and URL too.
  page.on('response', (res) => {
    if (res.status() >= 400) errors.push(`${res.request().method()} ${new URL(res.url()).pathname} -> ${res.status()}`);
  });
  page.on('pageerror', (err) => errors.push(err.message));
}

export async function signIn(page: Page, base: string, username: string, password: string): Promise<void> {
  await page.goto(base);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => page.getByRole('button', { name: 'Sign out' }).isVisible(), { timeout: 15_000 }).toBe(true);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

export type Browser = Awaited<ReturnType<typeof launchBrowser>>;

/** What most browser tests start from: Berth serving the built web app on a free port, and a browser with a page open. */
export async function openWebApp(env: Record<string, string> = {}): Promise<{ server: TestServer; base: string; browser: Browser; page: Page; close: () => Promise<void> }> {
  const server = await startTestServer({ BERTH_WEB_DIR: WEB_BUILD, ...env });
  const base = await server.app.listen({ host: '127.0.0.1', port: 0 });
  const browser = await launchBrowser();
  const page = await browser.context.newPage();
  return { server, base, browser, page, close: async () => (await browser.close(), await server.close()) };
}
