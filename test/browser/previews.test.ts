import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import type { Environment, ListeningPort, Token, User } from '@berth/contracts';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, signIn } from '../support/browser.js';
import { WEB_BUILD } from '../support/global-setup.js';
import { ADMIN, startTestServer, type Caller, type TestServer } from '../support/server.js';
import { runningEnvironment, waitFor } from '../support/wait.js';

/**
 * Previews in real Chromium. By default Berth is reached at http://localhost:PORT
 * and its previews at http://8000-<id>.localhost:PORT (each its own site, since
 * browsers take `localhost` for a top-level name); at the end, Berth at
 * http://preview.localhost:PORT with previews under it, the same site, where
 * only origins (and Berth's Origin check) keep them apart.
 */
let server: TestServer;
let base: string;
let admin: Caller;
let ada: Caller;
let env: Environment;
let adminBrowser: Awaited<ReturnType<typeof launchBrowser>>;
let visitorBrowser: Awaited<ReturnType<typeof launchBrowser>>;
let adminPage: Page;
let visitor: Page;

const previewOrigin = () => `http://8000-${env.id}.localhost:${new URL(base).port}`;

/** What a user's app might do to whoever views it: the admin takeover of issue 11, from both origins. */
const attackScript = (berth: string) => `
const json = (body) => ({ method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const attempts = {
  tokenAtBerth: [${JSON.stringify(berth)} + '/api/v1/tokens', json({ name: 'stolen' })],
  tokenAtBerthSimple: [${JSON.stringify(berth)} + '/api/v1/tokens', { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: '{"name":"stolen-simple"}' }],
  tokenRelative: ['/api/v1/tokens', json({ name: 'stolen-relative' })],
  adminAtBerth: [${JSON.stringify(berth)} + '/api/v1/users', json({ username: 'evil', password: 'evil-password-1234', isAdmin: true })],
  adminRelative: ['/api/v1/users', json({ username: 'evil2', password: 'evil-password-1234', isAdmin: true })],
};
const results = {};
for (const [name, [url, init]] of Object.entries(attempts)) {
  try {
    const res = await fetch(url, init);
    results[name] = res.type === 'opaque' ? 'opaque' : res.status;
  } catch (err) {
    results[name] = 'blocked';
  }
}
document.body.dataset.results = JSON.stringify(results);
document.body.dataset.cookie = document.cookie;
document.title = 'attack done';
`;

/** A server inside whose CGI tries to set Berth's session cookie for the whole `domain`, Berth's host included. */
const site = (domain: string) =>
  [
    'mkdir -p /workspace/site/cgi-bin',
    String.raw`printf "#!/bin/sh\necho Content-Type: text/html\necho \"Set-Cookie: berth_session=evil; Domain=${domain}; Path=/\"\necho \"Set-Cookie: app_cookie=kept; Path=/\"\necho\necho '<title>cookies</title>cookies set'\n" > /workspace/site/cgi-bin/cookies`,
    'chmod +x /workspace/site/cgi-bin/cookies',
    'httpd -p 8000 -h /workspace/site',
  ].join(' && ');

async function serve(caller: Caller, id: string, domain: string): Promise<void> {
  const started = await caller.post(`/api/v1/environments/${id}/exec`, { command: site(domain) });
  expect(started.json<{ exitCode: number }>().exitCode, started.body).toBe(0);
  await waitFor('port 8000 to listen', async () => (await caller.get(`/api/v1/environments/${id}/ports`)).json<{ items: ListeningPort[] }>().items.some((p) => p.port === 8000));
}

/** A port nothing listens on now, for a server whose preview domain must name its port before it listens. */
async function freePort(): Promise<number> {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** An environment serving the attack page and the cookie-planting CGI on port 8000. */
async function hostile(caller: Caller, id: string, berth: string, cookieDomain: string): Promise<void> {
  const write = async (path: string, content: string) => {
    const res = await caller.put(`/api/v1/environments/${id}/files/content?path=${path}`, content, { 'content-type': 'text/plain' });
    expect(res.statusCode, res.body).toBe(201);
  };
  await write('site/index.html', '<!doctype html><title>preview</title><h1>hello from inside</h1><script type="module" src="/attack.js"></script>');
  await write('site/attack.js', attackScript(berth));
  await serve(caller, id, cookieDomain);
}

/** An admin opens the preview through Berth; its script tries the takeover. Nothing may come of it. */
async function attackAsAdmin(page: Page, berth: string, berthAdmin: Caller, id: string, origin: string): Promise<void> {
  await signIn(page, berth, ADMIN.username, ADMIN.password);
  await page.goto(`${berth}/preview/${id}/8000?path=/index.html`);
  await page.waitForURL(`${origin}/index.html`, { timeout: 15_000 });
  await expect.poll(() => page.title(), { timeout: 15_000 }).toBe('attack done');
  const results = JSON.parse((await page.locator('body').getAttribute('data-results')) ?? '{}') as Record<string, unknown>;
  // Cross-origin: blocked by CORS, or sent without a readable answer (and refused by Berth);
  // relative: answered by the app itself (busybox httpd's 501 to a POST it cannot run), never by Berth.
  expect(results).toEqual({ tokenAtBerth: 'blocked', tokenAtBerthSimple: 'opaque', adminAtBerth: 'blocked', tokenRelative: 501, adminRelative: 501 });
  const tokens = (await berthAdmin.get('/api/v1/tokens')).json<{ items: Token[] }>().items;
  expect(tokens.filter((t) => t.name.startsWith('stolen'))).toEqual([]);
  const users = (await berthAdmin.get('/api/v1/users')).json<{ items: User[] }>().items;
  expect(users.filter((u) => u.username.startsWith('evil'))).toEqual([]);
}

beforeAll(async () => {
  server = await startTestServer({ BERTH_WEB_DIR: WEB_BUILD });
  base = (await server.app.listen({ host: '127.0.0.1', port: 0 })).replace('127.0.0.1', 'localhost');
  admin = await server.login(ADMIN.username, ADMIN.password);
  await server.createUser('ada', 'ada-password-1234');
  await server.createUser('bob', 'bob-password-1234');
  ada = await server.login('ada', 'ada-password-1234');
  env = await runningEnvironment(ada, { type: 'small', name: 'attacker' });
  await hostile(ada, env.id, base, 'localhost');
  [adminBrowser, visitorBrowser] = await Promise.all([launchBrowser(), launchBrowser()]);
  [adminPage, visitor] = await Promise.all([adminBrowser.context.newPage(), visitorBrowser.context.newPage()]);
}, 120_000);
afterAll(async () => {
  await adminBrowser?.close();
  await visitorBrowser?.close();
  await server?.close();
});

const setSharing = async (sharing: string) => expect((await ada.put(`/api/v1/environments/${env.id}/ports/8000/sharing`, { sharing })).statusCode).toBe(200);

describe('an admin viewing a hostile preview', () => {
  it('opens it through the grant flow, and its script can neither create a token nor an admin, against Berth or relative', async () => {
    await attackAsAdmin(adminPage, base, admin, env.id, previewOrigin());
    await screenshot(adminPage, 'preview-attack');
  });

  it("cannot read Berth's cookie", async () => {
    const cookie = (await adminPage.locator('body').getAttribute('data-cookie')) ?? '';
    expect(cookie).not.toContain('berth_session');
    expect(cookie).not.toContain('berth_preview');
  });

});

describe('sharing, from a second browser', () => {
  it("keeps an 'owner' port from a signed-out visitor, with a link to open it through Berth", async () => {
    await visitor.goto(`${previewOrigin()}/index.html`);
    expect(await visitor.locator('h1').textContent()).toContain('not open to you');
    expect(await visitor.getByRole('link', { name: 'Open it through Berth' }).getAttribute('href')).toBe(`${base}/preview/${env.id}/8000?path=%2Findex.html`);
  });

  it("lets a signed-out visitor in when the port is 'public'", async () => {
    await setSharing('public');
    await visitor.goto(`${previewOrigin()}/index.html`);
    expect(await visitor.locator('h1').textContent()).toBe('hello from inside');
    await setSharing('owner');
  });

  it("keeps an 'owner' port from another signed-in user", async () => {
    await signIn(visitor, base, 'bob', 'bob-password-1234');
    await visitor.goto(`${base}/preview/${env.id}/8000`);
    await expect.poll(() => visitor.getByRole('alert').textContent()).toContain('not shared it with you');
    await visitor.goto(`${previewOrigin()}/index.html`);
    expect(await visitor.locator('h1').textContent()).toContain('not open to you');
  });

  it("lets another signed-in user in through the grant flow when the port is 'authenticated'", async () => {
    await setSharing('authenticated');
    await visitor.goto(`${previewOrigin()}/index.html`);
    await visitor.getByRole('link', { name: 'Open it through Berth' }).click();
    await visitor.waitForURL(`${previewOrigin()}/index.html`, { timeout: 15_000 });
    await expect.poll(() => visitor.locator('h1').textContent()).toBe('hello from inside');
    await screenshot(visitor, 'preview-authenticated');
  });
});

describe('the IDE', () => {
  it('shows the preview URL, lets the owner change sharing, and opens the preview through the grant flow', async () => {
    await visitor.goto(base);
    await visitor.getByRole('button', { name: 'Sign out' }).click();
    await signIn(visitor, base, 'ada', 'ada-password-1234');
    await visitor.goto(`${base}/environments/${env.id}`);
    const row = visitor.locator('.ide-port-list li[data-port="8000"]');
    await expect.poll(() => row.getByTestId('port-url').textContent(), { timeout: 30_000 }).toBe(`${previewOrigin()}/`);

    await row.getByRole('combobox', { name: 'Who may open port 8000' }).selectOption('public');
    await expect.poll(async () => (await ada.get(`/api/v1/environments/${env.id}/ports`)).json<{ items: ListeningPort[] }>().items.find((p) => p.port === 8000)?.sharing).toBe('public');
    await row.getByRole('combobox', { name: 'Who may open port 8000' }).selectOption('owner');
    await expect.poll(async () => (await ada.get(`/api/v1/environments/${env.id}/ports`)).json<{ items: ListeningPort[] }>().items.find((p) => p.port === 8000)?.sharing).toBe('owner');
    await screenshot(visitor, 'ide-ports');

    const [tab] = await Promise.all([visitorBrowser.context.waitForEvent('page'), row.getByTestId('port-open').click()]);
    await tab.waitForURL(`${previewOrigin()}/`, { timeout: 15_000 });
    await expect.poll(() => tab.locator('h1').textContent()).toBe('hello from inside');
  });
});

describe('with Berth on the parent domain of its previews', () => {
  // Berth at http://preview.localhost:PORT, previews at http://8000-<id>.preview.localhost:PORT: one site,
  // so Berth's cookie rides along on the preview's requests to Berth, and a preview's Set-Cookie with
  // Domain=preview.localhost would land on Berth's host, were it passed on.
  let parent: TestServer;
  let parentBase: string;
  let box: Environment;
  const boxOrigin = () => `http://8000-${box.id}.preview.localhost:${new URL(parentBase).port}`;
  beforeAll(async () => {
    const port = await freePort();
    parent = await startTestServer({ BERTH_WEB_DIR: WEB_BUILD, BERTH_PREVIEW_DOMAIN: `preview.localhost:${port}` });
    await parent.app.listen({ host: '127.0.0.1', port });
    parentBase = `http://preview.localhost:${port}`;
    await parent.createUser('eve', 'eve-password-1234');
    const eve = await parent.login('eve', 'eve-password-1234');
    box = await runningEnvironment(eve, { type: 'small', name: 'hostile' });
    await hostile(eve, box.id, parentBase, 'preview.localhost');
  }, 120_000);
  afterAll(() => parent?.close());

  it('gives the admin viewing a hostile preview nothing to lose either', async () => {
    const page = await adminBrowser.context.newPage();
    await attackAsAdmin(page, parentBase, await parent.login(ADMIN.username, ADMIN.password), box.id, boxOrigin());
    await page.close();
  });

  it("keeps the app's Set-Cookie for Berth's session from reaching Berth's origin, and passes the app's own", async () => {
    const page = await adminBrowser.context.newPage();
    const before = (await adminBrowser.context.cookies(parentBase)).filter((c) => c.name === 'berth_session');
    await page.goto(`${boxOrigin()}/cgi-bin/cookies`);
    await expect.poll(() => page.title()).toBe('cookies');
    expect((await adminBrowser.context.cookies(parentBase)).filter((c) => c.name === 'berth_session')).toEqual(before);
    expect(before.map((c) => c.value)).not.toContain('evil');
    expect((await adminBrowser.context.cookies(page.url())).map((c) => c.name)).toContain('app_cookie');
    await page.close();
  });
});
