import { createHmac } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import Docker from 'dockerode';
import type { App, AppEvent, ConfigVar } from '@berth/contracts';
import { and, eq } from 'drizzle-orm';
import { appConfigVars, appReleases, apps, auditLog } from '../packages/server/src/db/schema.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appOf, gitRepo, loadAcrossSwitch, nodeApp, privateGitServer, releaseSettles } from './support/apps.js';
import { inOrg, makeOrg } from './support/orgs.js';
import type { Caller } from './support/server.js';
import { useTestServer } from './support/test-server.js';
import { runningEnvironment, waitFor } from './support/wait.js';

/**
 * Apps end to end on the real engine: a git repository of the test's own, built into images by
 * Berth's detection, released, switched with zero failed requests, rolled back, configured with
 * secrets, and reached through Berth's own edge by Host header.
 */
describe('apps from git', { timeout: 180_000 }, () => {
  const { server, admin, users: { dev, eve } } = useTestServer({
    // BERTH_PUBLIC_URL: Berth's own name, which custom domains need (inject() speaks from http://localhost).
    env: { BERTH_APPS_ALLOW_LOCAL_SOURCES: 'true', BERTH_APPS_DRAIN_SECONDS: '3', BERTH_APPS_HEALTH_TIMEOUT_SECONDS: '20', BERTH_APPS_CHECK_SECONDS: '2', BERTH_PUBLIC_URL: 'http://localhost' },
    users: ['dev', 'eve'],
  });
  let repo: Awaited<ReturnType<typeof gitRepo>>;
  let app: App;
  let host: string;
  /** A request to the app through Berth's edge, by Host header, as a browser at its URL sends it. */
  const visit = (path = '/') => server.anonymous.get(path, { host });

  beforeAll(async () => {
    repo = await gitRepo();
    await repo.commit(nodeApp('v1'), 'v1');
  });
  afterAll(() => repo?.remove());

  it('deploys a branch: detected as Node.js, built, released and reachable at its own host', async () => {
    const res = await dev.post('/api/v1/apps', { name: 'hello', source: { kind: 'git', url: repo.url, branch: 'main' }, healthPath: '/health' });
    expect(res.statusCode, res.body).toBe(201);
    app = res.json<App>();
    expect(app.url).toMatch(/^http:\/\/hello-dev\.apps\.localhost:\d+$/);
    host = new URL(app.url).host;
    await releaseSettles(dev, app.id, 1, 'live');
    expect((await visit()).body).toBe('v1 - no-secret');
    expect(await appOf(dev, app.id)).toMatchObject({ status: 'running', currentRelease: 1 });
    const events = (await dev.get(`/api/v1/apps/${app.id}/events`)).json<{ items: AppEvent[] }>().items.map((e) => e.message);
    expect(events).toEqual(expect.arrayContaining([expect.stringMatching(/^commit [0-9a-f]{12}: Node\.js app: npm start/), 'release 1 is live']));
  });

  it('deploys the next commit with not one failed request while traffic moves', async () => {
    await repo.commit(nodeApp('v2'), 'v2');
    const { seen, failures } = await loadAcrossSwitch(
      async () => {
        const res = await visit();
        return { status: res.statusCode, body: res.body };
      },
      async () => {
        expect((await dev.post(`/api/v1/apps/${app.id}/deploys`)).statusCode).toBe(202);
        await releaseSettles(dev, app.id, 2, 'live');
      },
    );
    expect(failures).toEqual([]);
    expect(seen.get('v1 - no-secret')).toBeGreaterThan(0);
    expect(seen.get('v2 - no-secret')).toBeGreaterThan(0);
    expect([...seen.keys()].sort()).toEqual(['v1 - no-secret', 'v2 - no-secret']);
    expect((await visit()).body).toBe('v2 - no-secret');
  });

  it('rolls a release that never becomes healthy back by itself: the one before keeps serving', async () => {
    await repo.commit(nodeApp('v3', 500), 'v3 with a broken health check');
    await dev.post(`/api/v1/apps/${app.id}/deploys`);
    const failed = await releaseSettles(dev, app.id, 3, 'failed');
    expect(failed.error).toMatch(/not healthy within 20 s/);
    expect(await appOf(dev, app.id)).toMatchObject({ status: 'running', currentRelease: 2, lastError: expect.stringMatching(/^release 3: /) });
    expect((await visit()).body).toBe('v2 - no-secret');
    const events = (await dev.get(`/api/v1/apps/${app.id}/events`)).json<{ items: AppEvent[] }>().items.map((e) => e.message);
    expect(events).toContain('release 3 failed: its replicas were not healthy within 20 s; rolled back, release 2 keeps serving');
    // Its replicas went with it.
    const [three] = await server.database.db.select().from(appReleases).where(and(eq(appReleases.appId, app.id), eq(appReleases.number, 3)));
    expect((await server.services.runtime.listReplicas(app.id)).filter((r) => r.releaseId === three!.id)).toEqual([]);
  }, 180_000); // the health timeout (20 s) after a build, on a loaded machine

  it('rolls back by hand to any release that went live, as a new release of its image and config', async () => {
    const res = await dev.post(`/api/v1/apps/${app.id}/rollback`, { release: 1 });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toMatchObject({ number: 4, kind: 'rollback', rollbackOf: 1 });
    await releaseSettles(dev, app.id, 4, 'live');
    expect((await visit()).body).toBe('v1 - no-secret');
    // Release 3 never went live: there is nothing of it to go back to.
    const refused = await dev.post(`/api/v1/apps/${app.id}/rollback`, { release: 3 });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'nothing_to_roll_back_to' });
  });

  it('keeps a secret sealed at rest, masked in the API, and gives the app its value in a new release', async () => {
    const res = await dev.patch(`/api/v1/apps/${app.id}/config`, { set: { GREETING: { value: 'hello' }, SECRET_TOKEN: { value: 'hunter2-very-secret', secret: true } } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<{ items: ConfigVar[] }>().items).toEqual([
      { name: 'GREETING', value: 'hello', secret: false },
      { name: 'SECRET_TOKEN', value: '••••••••', secret: true },
    ]);
    await releaseSettles(dev, app.id, 5, 'live');
    expect((await visit()).body).toBe('v1 hello secret:19');
    // The raw rows: the variable's and the release's snapshot hold no plaintext.
    const [raw] = await server.database.db.select().from(appConfigVars).where(and(eq(appConfigVars.appId, app.id), eq(appConfigVars.name, 'SECRET_TOKEN')));
    expect(raw!.value).toMatch(/^v1\./);
    expect(raw!.value).not.toContain('hunter2');
    const releases = await server.database.db.select().from(appReleases).where(eq(appReleases.appId, app.id));
    for (const release of releases) expect(JSON.stringify(release.config)).not.toContain('hunter2');
    // Nor does the audit trail: names only.
    const audit = await server.database.db.select().from(auditLog).where(eq(auditLog.action, 'app.config'));
    expect(audit.map((a) => a.metadata)).toEqual([expect.objectContaining({ set: ['GREETING', 'SECRET_TOKEN'], unset: [] })]);
    expect(JSON.stringify(audit.map((a) => a.metadata))).not.toContain('hunter2');
  });

  it('blocks a release whose release phase fails: its output is in the events, the app keeps serving', async () => {
    expect((await dev.patch(`/api/v1/apps/${app.id}`, { releaseCommand: 'echo migrating the database; exit 3' })).statusCode).toBe(200);
    await dev.post(`/api/v1/apps/${app.id}/deploys`);
    const failed = await releaseSettles(dev, app.id, 6, 'failed');
    expect(failed.error).toBe('the release phase failed (exit 3)');
    const events = (await dev.get(`/api/v1/apps/${app.id}/events`)).json<{ items: AppEvent[] }>().items;
    expect(events.filter((e) => e.release === 6).map((e) => e.message)).toEqual(expect.arrayContaining(['release phase: echo migrating the database; exit 3', 'migrating the database']));
    expect((await visit()).body).toBe('v1 hello secret:19');
    expect((await dev.patch(`/api/v1/apps/${app.id}`, { releaseCommand: null })).statusCode).toBe(200);
  });

  it("shows what each replica of the serving release printed, with its state and restarts", async () => {
    const res = await dev.get(`/api/v1/apps/${app.id}/logs?tail=50`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ items: [{ replica: 0, release: 5, state: 'running', restarts: 0, output: expect.stringContaining('node server.js') }] });
    expect((await dev.get(`/api/v1/apps/${app.id}/logs?tail=0`)).statusCode).toBe(400);
  });

  it("counts what its visitors saw at the edge, minute by minute, and its replicas' restarts", async () => {
    const { minutes, restarts } = (await dev.get(`/api/v1/apps/${app.id}/metrics`)).json<{ minutes: { requests: number; errors: number; p50Ms: number | null }[]; restarts: number }>();
    expect(minutes).toHaveLength(60);
    // Every request of the tests before this one went through the edge: hundreds under the switch's load.
    const total = minutes.reduce((n, m) => n + m.requests, 0);
    expect(total).toBeGreaterThan(100);
    expect(minutes.some((m) => m.p50Ms !== null && m.p50Ms > 0)).toBe(true);
    expect(restarts).toBe(0);
    const before = total;
    await visit();
    const counted = async () => (await dev.get(`/api/v1/apps/${app.id}/metrics`)).json<{ minutes: { requests: number }[] }>().minutes.reduce((n, m) => n + m.requests, 0);
    await waitFor('the visit counted', async () => (await counted()) === before + 1, 10_000);
  });

  it('deploys on a signed push to its branch; an unsigned, wrongly signed or other-branch push changes nothing', async () => {
    const made = await dev.post(`/api/v1/apps/${app.id}/webhook`);
    expect(made.statusCode, made.body).toBe(201);
    const { url, secret } = made.json<{ url: string; secret: string }>();
    expect(url).toMatch(new RegExp(`/api/v1/apps/${app.id}/push$`));
    const [row] = await server.database.db.select().from(apps).where(eq(apps.id, app.id));
    expect(row!.webhookSecret).not.toContain(secret);
    const releasesNow = async () => (await dev.get(`/api/v1/apps/${app.id}/releases`)).json<{ items: unknown[] }>().items.length;
    const before = await releasesNow();
    const push = (body: string, signature?: string) =>
      server.anonymous.post(`/api/v1/apps/${app.id}/push`, body, { 'content-type': 'application/json', ...(signature ? { 'x-hub-signature-256': signature } : {}) });
    const sign = (body: string, key = secret) => `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
    const onMain = JSON.stringify({ ref: 'refs/heads/main', after: 'a'.repeat(40) });

    expect((await push(onMain)).statusCode).toBe(401);
    expect((await push(onMain, sign(onMain, 'not-the-secret'))).statusCode).toBe(401);
    // Signed for another body: the signature covers the bytes as sent.
    expect((await push(onMain, sign(onMain.replace('main', 'dev')))).statusCode).toBe(401);
    const otherBranch = JSON.stringify({ ref: 'refs/heads/feature' });
    expect((await push(otherBranch, sign(otherBranch))).statusCode).toBe(204);
    expect((await push('not json', sign('not json'))).statusCode).toBe(400);
    expect(await releasesNow()).toBe(before);
    const refused = await server.database.db.select().from(auditLog).where(and(eq(auditLog.action, 'app.deploy'), eq(auditLog.success, false)));
    expect(refused.length).toBeGreaterThanOrEqual(3);

    await repo.commit(nodeApp('v4'), 'v4, pushed');
    const accepted = await push(onMain, sign(onMain));
    expect(accepted.statusCode, accepted.body).toBe(202);
    const number = accepted.json<{ number: number }>().number;
    expect(number).toBe(before + 1);
    await releaseSettles(dev, app.id, number, 'live');
    const events = (await dev.get(`/api/v1/apps/${app.id}/events`)).json<{ items: AppEvent[] }>().items.map((e) => e.message);
    expect(events).toContain(`release ${number} requested by a push to main (aaaaaaaaaaaa)`);
    expect((await visit()).body).toMatch(/^v4 /);
    // A new secret: the old one signs nothing any more.
    const next = (await dev.post(`/api/v1/apps/${app.id}/webhook`)).json<{ secret: string }>().secret;
    expect(next).not.toBe(secret);
    expect((await push(onMain, sign(onMain))).statusCode).toBe(401);
  });

  it('runs its pre-deploy hook before traffic moves (a failure fails the release) and its post-deploy one after', async () => {
    const notes: { event: string; release: { number: number } }[] = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        notes.push(JSON.parse(body) as { event: string; release: { number: number } });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/deployed`;
    try {
      const set = await dev.patch(`/api/v1/apps/${app.id}`, { hooks: { preDeploy: { command: 'echo checking $PORT', url: hookUrl }, postDeploy: { url: hookUrl } } });
      expect(set.statusCode, set.body).toBe(200);
      const deployed = (await dev.post(`/api/v1/apps/${app.id}/deploys`)).json<{ number: number }>().number;
      await releaseSettles(dev, app.id, deployed, 'live');
      await waitFor('the post-deploy note', async () => notes.length === 2);
      expect(notes.map((n) => [n.event, n.release.number])).toEqual([['pre-deploy', deployed], ['post-deploy', deployed]]);
      const events = (await dev.get(`/api/v1/apps/${app.id}/events`)).json<{ items: AppEvent[] }>().items.filter((e) => e.release === deployed).map((e) => e.message);
      expect(events).toEqual(expect.arrayContaining(['pre-deploy hook: echo checking $PORT', 'checking 3000', expect.stringMatching(/^post-deploy hook 127\.0\.0\.1:\d+: answered 200$/)]));

      expect((await dev.patch(`/api/v1/apps/${app.id}`, { hooks: { preDeploy: { command: 'exit 4' } } })).statusCode).toBe(200);
      const refused = (await dev.post(`/api/v1/apps/${app.id}/deploys`)).json<{ number: number }>().number;
      expect((await releaseSettles(dev, app.id, refused, 'failed')).error).toBe('the pre-deploy command failed (exit 4)');
      expect((await appOf(dev, app.id)).currentRelease).toBe(deployed);
      expect((await dev.patch(`/api/v1/apps/${app.id}`, { hooks: {} })).statusCode).toBe(200);
      expect((await dev.patch(`/api/v1/apps/${app.id}`, { hooks: { postDeploy: {} } })).statusCode).toBe(400);
    } finally {
      receiver.close();
    }
  });

  it('serves a custom domain an organization admin adds, only while it is there, and never one of Berth\'s own', async () => {
    for (const host of ['localhost', 'x.localhost', 'other.apps.localhost', 'http://shop.example.test', 'shop.example.test:8080', '10.0.0.1']) {
      const res = await dev.post(`/api/v1/apps/${app.id}/domains`, { host });
      expect(res.statusCode, host).toBe(400);
    }
    const added = await dev.post(`/api/v1/apps/${app.id}/domains`, { host: 'Shop.Example.TEST' });
    expect(added.statusCode, added.body).toBe(201);
    expect(added.json()).toMatchObject({ host: 'shop.example.test' });
    expect((await dev.post(`/api/v1/apps/${app.id}/domains`, { host: 'shop.example.test' })).statusCode).toBe(409);
    expect((await dev.get(`/api/v1/apps/${app.id}/domains`)).json()).toEqual({ items: [{ host: 'shop.example.test', createdAt: expect.any(String) }] });
    const served = await server.anonymous.get('/', { host: 'shop.example.test' });
    expect(served.body).toBe((await visit()).body);
    expect((await server.anonymous.get('/api/v1/edge/ask?domain=shop.example.test')).statusCode).toBe(204);

    expect((await dev.delete(`/api/v1/apps/${app.id}/domains/shop.example.test`)).statusCode).toBe(204);
    expect((await dev.delete(`/api/v1/apps/${app.id}/domains/shop.example.test`)).statusCode).toBe(404);
    expect((await server.anonymous.get('/', { host: 'shop.example.test' })).body).not.toBe(served.body);
    expect((await server.anonymous.get('/api/v1/edge/ask?domain=shop.example.test')).statusCode).toBe(404);
  });

  it("is another organization's secret: not seen, not deployed, not configured, not deleted (404 each)", async () => {
    for (const [method, path, body] of [
      ['GET', `/api/v1/apps/${app.id}`],
      ['GET', `/api/v1/apps/${app.id}/config`],
      ['GET', `/api/v1/apps/${app.id}/events`],
      ['GET', `/api/v1/apps/${app.id}/releases`],
      ['POST', `/api/v1/apps/${app.id}/deploys`],
      ['POST', `/api/v1/apps/${app.id}/rollback`, { release: 1 }],
      ['PATCH', `/api/v1/apps/${app.id}/config`, { set: { X: { value: '1' } } }],
      ['PATCH', `/api/v1/apps/${app.id}`, { replicas: 2 }],
      ['DELETE', `/api/v1/apps/${app.id}`],
    ] as const) {
      const res = await eve.request(method, path, body);
      expect(res.statusCode, `${method} ${path}`).toBe(404);
    }
    expect((await eve.get('/api/v1/apps')).json()).toEqual({ items: [] });
    // An admin sees it (every organization's).
    expect((await admin.get(`/api/v1/apps/${app.id}`)).statusCode).toBe(200);
  });

  it('refuses bad input with a stable code, changing nothing', async () => {
    const cases: [unknown, number, string][] = [
      [{ name: 'Bad Name', source: { kind: 'git', url: repo.url } }, 400, 'validation_failed'],
      [{ name: '9lives', source: { kind: 'git', url: repo.url } }, 400, 'validation_failed'],
      [{ name: 'ok', source: { kind: 'git', url: 'ftp://example.com/x' } }, 400, 'validation_failed'],
      [{ name: 'ok', source: { kind: 'git', url: 'https://ci:tok@example.com/x.git' } }, 400, 'validation_failed'],
      [{ name: 'ok', source: { kind: 'git', url: repo.url }, replicas: 11 }, 400, 'validation_failed'],
      [{ name: 'ok', source: { kind: 'git', url: repo.url }, machineType: 'nope' }, 403, 'machine_type_not_allowed'],
      [{ name: 'hello', source: { kind: 'git', url: repo.url } }, 409, 'conflict'],
      [{ name: 'ok', source: { kind: 'workspace', environmentId: '00000000-0000-4000-8000-000000000000' } }, 404, 'not_found'],
    ];
    for (const [body, status, code] of cases) {
      const res = await dev.post('/api/v1/apps', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(status);
      expect(res.json()).toMatchObject({ code });
    }
    expect((await dev.get('/api/v1/apps')).json<{ items: App[] }>().items.map((a) => a.name)).toEqual(['hello']);
    expect((await dev.patch(`/api/v1/apps/${app.id}/config`, { set: { '1BAD': { value: 'x' } } })).statusCode).toBe(400);
    expect((await dev.post(`/api/v1/apps/${app.id}/rollback`, { release: 0 })).statusCode).toBe(400);
  });

  it('answers 404 for a host no app has, and never serves Berth there', async () => {
    const res = await server.anonymous.get('/api/v1/me', { host: 'nobody-here.apps.localhost' });
    expect(res.statusCode).toBe(404);
    // Berth's session cookie is not passed to an app, nor is its own accepted back.
    const me = await visit();
    expect(me.headers['set-cookie']).toBeUndefined();
  });

  it('clones a private repository with its credentials sealed, and shows only that it has some', async () => {
    const dir = new URL(repo.url).pathname;
    const git = await privateGitServer(path.dirname(dir), { username: 'ci', password: 'tok-3f9a-private' });
    try {
      const url = `${git.url}/${path.basename(dir)}`;
      const refused = (await dev.post('/api/v1/apps', { name: 'private-none', source: { kind: 'git', url } })).json<App>();
      expect((await releaseSettles(dev, refused.id, 1, 'failed')).error).toMatch(/could not clone/);
      expect((await dev.delete(`/api/v1/apps/${refused.id}`)).statusCode).toBe(202);

      const res = await dev.post('/api/v1/apps', { name: 'private', source: { kind: 'git', url, credentials: { username: 'ci', password: 'tok-3f9a-private' } } });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.body).not.toContain('tok-3f9a');
      const made = res.json<App>();
      expect(made.source).toEqual({ kind: 'git', url, branch: 'main', credentials: true });
      await releaseSettles(dev, made.id, 1, 'live');
      const [row] = await server.database.db.select().from(apps).where(eq(apps.id, made.id));
      expect(JSON.stringify(row!.source)).not.toContain('tok-3f9a');
      expect(row!.gitCredentials).toMatch(/^v1\./);
      expect(row!.gitCredentials).not.toContain('tok-3f9a');
      expect((await dev.get(`/api/v1/apps/${made.id}`)).body).not.toContain('tok-3f9a');
      expect((await dev.delete(`/api/v1/apps/${made.id}`)).statusCode).toBe(202);
    } finally {
      await git.close();
    }
  });

  it('deletes the app: replicas, images and route go', async () => {
    expect((await dev.delete(`/api/v1/apps/${app.id}`)).statusCode).toBe(202);
    await waitFor('the app gone', async () => (await dev.get(`/api/v1/apps/${app.id}`)).statusCode === 404, 60_000);
    await waitFor('its replicas gone', async () => (await server.services.runtime.listReplicas(app.id)).length === 0, 60_000);
    await waitFor('its images gone', async () => (await server.docker.listImages({ filters: { label: [`berth.app=${app.id}`] } })).length === 0, 60_000);
    await waitFor('its host to answer 404', async () => (await visit()).statusCode === 404, 30_000);
    expect((await visit()).json()).toMatchObject({ code: 'not_found' });
  });
});

/** A new organization of the caller's with one app, shop, from the repository, its first release live. */
async function liveShopInNewOrg(owner: Caller, slug: string, repo: Awaited<ReturnType<typeof gitRepo>>): Promise<{ org: Caller; shop: App }> {
  await repo.commit(nodeApp('v1'), 'v1');
  await makeOrg(owner, slug);
  const org = inOrg(owner, slug);
  const made = await org.post('/api/v1/apps', { name: 'shop', source: { kind: 'git', url: repo.url } });
  expect(made.statusCode, made.body).toBe(201);
  const shop = made.json<App>();
  await releaseSettles(org, shop.id, 1, 'live');
  return { org, shop };
}

describe("an organization's apps when the organization is deleted", { timeout: 180_000 }, () => {
  const { users: { dev } } = useTestServer({ env: { BERTH_APPS_ALLOW_LOCAL_SOURCES: 'true' }, users: ['dev'] });

  it('go with it: replicas, images and rows, before the organization is marked deleted', async () => {
    const repo = await gitRepo();
    try {
      const { shop } = await liveShopInNewOrg(dev, 'acme', repo);
      expect(shop.url).toMatch(/^http:\/\/shop-acme\.apps\.localhost:/);
      expect((await dev.delete('/api/v1/orgs/acme')).statusCode).toBe(202);
      // Marked deleted only once nothing of it is left: its apps included.
      await waitFor('acme deleted', async () => (await dev.api.call('orgs.list')).items.every((o) => o.slug !== 'acme'), 120_000, 250);
      const docker = new Docker();
      expect(await docker.listContainers({ all: true, filters: { label: [`berth.app=${shop.id}`] } })).toEqual([]);
      expect(await docker.listImages({ filters: { label: [`berth.app=${shop.id}`] } })).toEqual([]);
    } finally {
      await repo.remove();
    }
  });
});

describe("an organization's apps when the organization is suspended", { timeout: 240_000 }, () => {
  const { server, users: { dev } } = useTestServer({ env: { BERTH_APPS_ALLOW_LOCAL_SOURCES: 'true' }, users: ['dev'] });

  it('stop serving (503 app_unavailable, no replica left, no deploy) and serve their release again once it is reactivated', async () => {
    const repo = await gitRepo();
    try {
      const { org, shop } = await liveShopInNewOrg(dev, 'paused-co', repo);
      const visit = () => server.anonymous.get('/', { host: new URL(shop.url).host });
      expect((await visit()).body).toBe('v1 - no-secret');
      const replicas = () => new Docker().listContainers({ all: true, filters: { label: [`berth.app=${shop.id}`, 'berth.release'] } });
      expect(await replicas()).toHaveLength(1);

      expect((await dev.post('/api/v1/orgs/paused-co/suspend')).statusCode).toBe(200);
      await waitFor('the app to be suspended', async () => (await appOf(org, shop.id)).status === 'suspended', 60_000);
      await waitFor('its replicas to be gone', async () => (await replicas()).length === 0, 60_000);
      const unavailable = await visit();
      expect(unavailable.statusCode, unavailable.body).toBe(503);
      expect(unavailable.json()).toMatchObject({ code: 'app_unavailable', detail: 'This app is unavailable' });
      // Nothing new is deployed meanwhile.
      expect((await org.post(`/api/v1/apps/${shop.id}/deploys`)).json()).toMatchObject({ code: 'organization_suspended' });
      const events = (await org.get(`/api/v1/apps/${shop.id}/events`)).json<{ items: AppEvent[] }>().items.map((e) => e.message);
      expect(events).toContain('stopped: its organization is suspended');

      expect((await dev.post('/api/v1/orgs/paused-co/reactivate')).statusCode).toBe(200);
      await waitFor('the app to serve again', async () => (await visit()).body === 'v1 - no-secret', 120_000, 250);
      expect(await appOf(org, shop.id)).toMatchObject({ status: 'running', currentRelease: 1 });
      expect(await replicas()).toHaveLength(1);
    } finally {
      await repo.remove();
    }
  });
});

describe('apps and credits', () => {
  const { admin, users: { dev }, ids } = useTestServer({ env: { BERTH_APPS_ALLOW_LOCAL_SOURCES: 'true' }, users: ['dev'] });
  // Nothing is built: the source answers nothing, so releases fail at once; the app still holds its replicas' credits.
  const nowhere = { kind: 'git', url: 'https://127.0.0.1:9/none.git' };

  it("draws its replicas' credits while it exists, as running environments do, and gives them back when deleted", async () => {
    expect((await admin.patch(`/api/v1/users/${ids.dev}/quota`, { credits: 2 })).statusCode).toBe(200);
    const made = await dev.post('/api/v1/apps', { name: 'big', source: nowhere, replicas: 2 });
    expect(made.statusCode, made.body).toBe(201);
    const big = made.json<App>();
    const tooMany = await dev.post('/api/v1/apps', { name: 'more', source: nowhere });
    expect(tooMany.statusCode).toBe(409);
    expect(tooMany.json()).toMatchObject({ code: 'insufficient_credits' });
    expect((await dev.post('/api/v1/environments', { type: 'small' })).json()).toMatchObject({ code: 'insufficient_credits' });
    expect((await dev.get(`/api/v1/users/${ids.dev}/quota`, {})).statusCode).toBe(403);
    expect((await admin.get(`/api/v1/users/${ids.dev}/quota`)).json()).toMatchObject({ credits: 2, creditsUsed: 2 });
    const scaled = await dev.patch(`/api/v1/apps/${big.id}`, { replicas: 3 });
    expect(scaled.statusCode).toBe(409);
    expect(scaled.json()).toMatchObject({ code: 'insufficient_credits' });
    // Smaller: a replica's credit comes back.
    expect((await dev.patch(`/api/v1/apps/${big.id}`, { replicas: 1 })).statusCode).toBe(200);
    expect((await admin.get(`/api/v1/users/${ids.dev}/quota`)).json()).toMatchObject({ creditsUsed: 1 });
    expect((await dev.delete(`/api/v1/apps/${big.id}`)).statusCode).toBe(202);
    expect((await admin.get(`/api/v1/users/${ids.dev}/quota`)).json()).toMatchObject({ creditsUsed: 0 });
  });

  it("takes no custom domain while Berth does not know its own name (BERTH_PUBLIC_URL), so none can ever be Berth's", async () => {
    const app = (await dev.post('/api/v1/apps', { name: 'named', source: nowhere })).json<App>();
    const res = await dev.post(`/api/v1/apps/${app.id}/domains`, { host: 'shop.example.test' });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'forbidden', detail: expect.stringContaining('BERTH_PUBLIC_URL') });
    expect((await dev.get(`/api/v1/apps/${app.id}/domains`)).json()).toEqual({ items: [] });
  });
});

describe('apps from a folder of an environment', { timeout: 180_000 }, () => {
  const { users: { dev, eve } } = useTestServer({ env: { BERTH_APPS_DRAIN_SECONDS: '2' }, users: ['dev', 'eve'] });

  it('deploys /workspace/app as it is now: a static site, detected and served', async () => {
    const env = await runningEnvironment(dev);
    const written = await dev.put(`/api/v1/environments/${env.id}/files/content?path=app/index.html`, '<h1>from my workspace</h1>\n', { 'content-type': 'text/plain' });
    expect(written.statusCode, written.body).toBe(201);
    const res = await dev.post('/api/v1/apps', { name: 'site', source: { kind: 'workspace', environmentId: env.id, path: '/workspace/app' } });
    expect(res.statusCode, res.body).toBe(201);
    const site = res.json<App>();
    await releaseSettles(dev, site.id, 1, 'live');
    expect((await dev.get('/', { host: new URL(site.url).host })).body).toBe('<h1>from my workspace</h1>\n');
    const events = (await dev.get(`/api/v1/apps/${site.id}/events`)).json<{ items: AppEvent[] }>().items.map((e) => e.message);
    expect(events).toEqual(expect.arrayContaining([expect.stringMatching(/^Static site/)]));
    // Someone who cannot use that environment cannot deploy from it.
    const theirs = await eve.post('/api/v1/apps', { name: 'stolen', source: { kind: 'workspace', environmentId: env.id, path: '/workspace/app' } });
    expect(theirs.statusCode).toBe(404);
  });
});

describe('app sources on a server that does not allow local ones', () => {
  const { users: { dev } } = useTestServer({ users: ['dev'] });
  it("refuses a hook URL that reaches Berth's own machine or network (loopback, private, metadata)", async () => {
    for (const url of ['http://127.0.0.1:9/x', 'http://localhost/x', 'http://169.254.169.254/latest', 'http://10.1.2.3/', 'http://[::1]/']) {
      const res = await dev.post('/api/v1/apps', { name: 'hooked', source: { kind: 'git', url: 'https://127.0.0.1:9/none.git' }, hooks: { postDeploy: { url } } });
      expect(res.statusCode, url).toBe(403);
      expect(res.json()).toMatchObject({ code: 'source_not_allowed', detail: expect.stringMatching(/^hooks\.postDeploy\.url /) });
    }
    expect((await dev.get('/api/v1/apps')).json()).toEqual({ items: [] });
  });

  it("refuses a repository on Berth's own machine or network (loopback, private, metadata), in any form", async () => {
    for (const url of ['https://127.0.0.1/x.git', 'git://localhost/x', 'ssh://git@10.0.0.5/x.git', 'git@192.168.1.2:me/x.git', 'http://169.254.169.254/latest']) {
      const res = await dev.post('/api/v1/apps', { name: 'inside', source: { kind: 'git', url } });
      expect(res.statusCode, url).toBe(403);
      expect(res.json()).toMatchObject({ code: 'source_not_allowed', detail: expect.stringContaining('does not reach a public address') });
    }
  });

  it('refuses a file:// repository (the server\'s own files) with source_not_allowed', async () => {
    const res = await dev.post('/api/v1/apps', { name: 'sneaky', source: { kind: 'git', url: 'file:///etc' } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'source_not_allowed' });
    expect((await dev.get('/api/v1/apps')).json()).toEqual({ items: [] });
  });
});

