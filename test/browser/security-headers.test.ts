import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Environment } from '@berth/contracts';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, signIn } from '../support/browser.js';
import { WEB_BUILD } from '../support/global-setup.js';
import { startTestServer, type Caller, type TestServer } from '../support/server.js';
import { runningEnvironment } from '../support/wait.js';

let server: TestServer;
let base: string;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
let ada: Caller;
let env: Environment;
/** Every Content-Security-Policy violation any page of the browser reported. */
const violations: string[] = [];

/** A page on another origin of the same site (127.0.0.1, another port): the browser sends Berth's cookie along. */
let attacker: http.Server;
let attackerBase: string;
let attackerPage = '';

/** Runs in every page before its own scripts (as a string: the tests compile without the DOM's types). */
const REPORT_VIOLATIONS = `document.addEventListener('securitypolicyviolation', (e) =>
  window.__cspViolation(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber))`;

beforeAll(async () => {
  server = await startTestServer({ BERTH_WEB_DIR: WEB_BUILD });
  base = await server.app.listen({ host: '127.0.0.1', port: 0 });
  ({ caller: ada } = await server.signUp('ada', 'ada-password-1234'));
  env = await runningEnvironment(ada, { type: 'small', name: 'csp-box' });
  const written = await ada.post(`/api/v1/environments/${env.id}/exec`, { command: 'echo hello-from-disk > /workspace/notes.txt' });
  expect(written.statusCode, written.body).toBe(200);

  attacker = http.createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end(attackerPage));
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  attackerBase = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;

  browser = await launchBrowser();
  await browser.context.exposeBinding('__cspViolation', (_source, text: string) => void violations.push(text));
  await browser.context.addInitScript({ content: REPORT_VIOLATIONS });
  page = await browser.context.newPage();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => attacker?.close(resolve));
  await server?.close();
});

describe('the web app under its Content-Security-Policy', () => {
  it('signs in, and serves the page with the policy and the dashboard', async () => {
    await signIn(page, base, 'ada', 'ada-password-1234');
    const response = await page.goto(base);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await expect.poll(() => page.getByRole('article', { name: 'csp-box' }).isVisible(), { timeout: 15_000 }).toBe(true);
  });

  it('runs the IDE\'s terminal (xterm.js) over its WebSocket', async () => {
    await page.goto(`${base}/environments/${env.id}`);
    const terminal = page.getByTestId('terminal');
    await terminal.click();
    await expect.poll(() => terminal.innerText(), { timeout: 15_000 }).toMatch(/[$#]/);
    await page.keyboard.type('echo csp-$((6*7))\n');
    await expect.poll(() => terminal.innerText(), { timeout: 15_000 }).toContain('csp-42');
  });

  it('opens a file in the editor (CodeMirror), whose run-time styles apply', async () => {
    await page.getByRole('treeitem', { name: 'notes.txt' }).click({ timeout: 20_000 });
    const editor = page.locator('.cm-content');
    await expect.poll(() => editor.innerText(), { timeout: 15_000 }).toContain('hello-from-disk');
    // `.cm-scroller { display: flex }` comes only from the <style> element CodeMirror injects.
    expect(await page.evaluate("getComputedStyle(document.querySelector('.cm-scroller')).display")).toBe('flex');
    await screenshot(page, 'csp-ide');
  });

  it('renders the API explorer at /api/docs', async () => {
    await page.goto(`${base}/api/docs/`);
    await expect.poll(() => page.locator('.swagger-ui .info .title').textContent(), { timeout: 15_000 }).toContain('Berth API');
    await page.getByText('/api/v1/me', { exact: true }).first().click();
    await expect.poll(() => page.getByRole('button', { name: 'Try it out' }).isVisible()).toBe(true);
  });

  it('reported no CSP violation in any of that', () => {
    expect(violations).toEqual([]);
    expect(browser.consoleErrors.filter((e) => /Content Security Policy|Refused to/i.test(e))).toEqual([]);
  });

  it('enforces the policy: a script injected into the page does not run, and eval is refused', async () => {
    await page.goto(base);
    await expect.poll(() => page.getByRole('button', { name: 'Sign out' }).isVisible(), { timeout: 15_000 }).toBe(true);

    // What an HTML injection would try: an inline <script>, an inline event handler, and eval.
    const ran = await page.evaluate(`(async () => {
      const script = document.createElement('script');
      script.textContent = 'window.injected = true';
      document.head.append(script);
      const image = document.createElement('img');
      image.setAttribute('onerror', 'window.injected = true');
      const failed = new Promise((resolve) => image.addEventListener('error', resolve));
      image.src = 'data:,not-an-image';
      document.body.append(image);
      await failed;
      let evaluated = false;
      try { evaluated = (0, eval)('true'); } catch { /* refused */ }
      return { inline: window.injected === true, evaluated };
    })()`);

    expect(ran).toEqual({ inline: false, evaluated: false });
    await expect.poll(() => violations.filter((v) => /^script-src/.test(v)).length).toBeGreaterThanOrEqual(3);
  });
});

describe('a page on another origin of the same site, visited by a signed-in user', () => {
  // The victim's browser holds a session cookie for Berth, as a sign-in through the page leaves it.
  beforeAll(async () => {
    const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'ada', password: 'ada-password-1234' }) });
    const [name, value] = login.headers.get('set-cookie')!.split(';')[0]!.split('=') as [string, string];
    await browser.context.addCookies([{ name, value, url: base, httpOnly: true, sameSite: 'Lax' }]);
  });

  /** The attacker's page: opens Berth's socket with the victim's cookie and says what happened in its title. */
  const opener = (url: string) => `<!doctype html><title>pending</title><script>
    const ws = new WebSocket(${JSON.stringify(url)});
    ws.onopen = () => { document.title = 'opened'; ws.send(new TextEncoder().encode('echo hijacked > /workspace/pwned\\n')); };
    ws.onerror = () => { if (document.title !== 'opened') document.title = 'refused'; };
  </script>`;

  it.each([
    ['terminal', () => `/api/v1/environments/${env.id}/terminal?session=hijack`],
    ['events', () => `/api/v1/environments/${env.id}/events/ws`],
  ])('cannot open the %s socket with the victim\'s cookie', async (_name, path) => {
    attackerPage = opener(`${base.replace('http', 'ws')}${path()}`);
    const evil = await browser.context.newPage();
    try {
      await evil.goto(attackerBase);
      await expect.poll(() => evil.title(), { timeout: 15_000 }).not.toBe('pending');
      expect(await evil.title()).toBe('refused');
    } finally {
      await evil.close();
    }
    const exists = await ada.post(`/api/v1/environments/${env.id}/exec`, { command: 'test -e /workspace/pwned && echo yes || echo no' });
    expect(exists.json<{ stdout: string }>().stdout).toBe('no\n');
  });

  it('while Berth\'s own page opens the same socket with the same cookie', async () => {
    await page.goto(base);
    const url = `${base.replace('http', 'ws')}/api/v1/environments/${env.id}/events/ws`;
    const state = await page.evaluate(`new Promise((resolve) => {
      const ws = new WebSocket(${JSON.stringify(url)});
      ws.onopen = () => { ws.close(); resolve('opened'); };
      ws.onerror = () => resolve('refused');
    })`);
    expect(state).toBe('opened');
  });

  it('cannot frame Berth (frame-ancestors \'none\')', async () => {
    attackerPage = `<!doctype html><iframe src="${base}/" width="800" height="600"></iframe>`;
    const evil = await browser.context.newPage();
    try {
      await evil.goto(attackerBase);
      await expect.poll(() => evil.frames().length).toBe(2);
      // A refused frame holds Chromium's error page, never Berth's.
      await expect.poll(() => evil.frames()[1]!.url(), { timeout: 15_000 }).toMatch(/^chrome-error:/);
    } finally {
      await evil.close();
    }
  });
});
