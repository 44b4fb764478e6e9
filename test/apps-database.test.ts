import type { App, AppDatabase, ConfigVar } from '@berth/contracts';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appDatabases } from '../packages/server/src/db/schema.js';
import { POSTGRES_IMAGE } from '../packages/server/src/runtime/docker/images.js';
import { gitRepo, releaseSettles } from './support/apps.js';
import { useTestServer } from './support/test-server.js';
import { waitFor } from './support/wait.js';

/**
 * An app's managed PostgreSQL on the real engine: attached (DATABASE_URL in a new release), used by
 * the app, backed up and restored, and deleted only when the caller names the app.
 */

/** An app on the PostgreSQL image (for its psql), counting its visits in a table. */
const counterApp = {
  Dockerfile: [`FROM ${POSTGRES_IMAGE}`, 'USER root', 'WORKDIR /app', 'COPY server.js .', 'USER 1000:1000', 'ENTRYPOINT []', 'CMD ["node", "server.js"]'].join('\n'),
  'server.js': [
    "const { execFileSync } = require('child_process');",
    "const sql = (q) => execFileSync('psql', [process.env.DATABASE_URL, '-qtAc', q]).toString().trim();",
    "require('http').createServer((req, res) => {",
    "  if (req.url === '/health') return res.end('ok');",
    "  if (!process.env.DATABASE_URL) return res.end('no database');",
    "  try { res.end(sql('create table if not exists hits (n int); insert into hits values (1); select count(*) from hits')); }",
    "  catch (err) { res.writeHead(500); res.end(String(err.stderr || err)); }",
    '}).listen(Number(process.env.PORT), "0.0.0.0");',
  ].join('\n'),
};

describe('a managed PostgreSQL for an app', { timeout: 180_000 }, () => {
  const { server, users: { dev } } = useTestServer({ env: { BERTH_APPS_ALLOW_LOCAL_SOURCES: 'true', BERTH_APPS_DRAIN_SECONDS: '2' }, users: ['dev'] });
  let repo: Awaited<ReturnType<typeof gitRepo>>;
  let app: App;
  const visit = async () => (await server.anonymous.get('/', { host: new URL(app.url).host })).body;

  beforeAll(async () => {
    // Built once per machine (`berth build-image berth/postgres:15-1`): Debian's PostgreSQL on the dev image.
    await server.services.runtime.ensureImage(POSTGRES_IMAGE, () => undefined);
    repo = await gitRepo();
    await repo.commit(counterApp, 'counter');
    const res = await dev.post('/api/v1/apps', { name: 'counter', source: { kind: 'git', url: repo.url }, healthPath: '/health' });
    expect(res.statusCode, res.body).toBe(201);
    app = res.json<App>();
    await releaseSettles(dev, app.id, 1, 'live');
  }, 600_000);
  afterAll(() => repo?.remove());

  it('attaches one: its own container and volume, DATABASE_URL set as a secret in a new release the app uses', async () => {
    expect(await visit()).toBe('no database');
    const res = await dev.post(`/api/v1/apps/${app.id}/database`);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json<AppDatabase>()).toMatchObject({ engine: 'postgresql', name: 'counter', username: 'counter', status: 'provisioning' });
    expect((await dev.post(`/api/v1/apps/${app.id}/database`)).statusCode).toBe(409);
    await releaseSettles(dev, app.id, 2, 'live');
    expect((await dev.get(`/api/v1/apps/${app.id}/database`)).json<AppDatabase>().status).toBe('available');
    expect((await dev.get(`/api/v1/apps/${app.id}/config`)).json<{ items: ConfigVar[] }>().items).toEqual([{ name: 'DATABASE_URL', value: '••••••••', secret: true }]);
    expect(await visit()).toBe('1');
    expect(await visit()).toBe('2');
    // The password is sealed in its row.
    const [row] = await server.database.db.select().from(appDatabases).where(eq(appDatabases.appId, app.id));
    expect(row!.password).toMatch(/^v1\./);
  }, 180_000);

  it('backs up as plain SQL and restores it: the data is as it was at the backup', async () => {
    const backup = await dev.get(`/api/v1/apps/${app.id}/database/backup`);
    expect(backup.statusCode).toBe(200);
    expect(backup.headers['content-type']).toMatch(/^application\/sql/);
    expect(backup.body).toMatch(/CREATE TABLE public\.hits/);
    expect(await visit()).toBe('3');
    const restored = await dev.post(`/api/v1/apps/${app.id}/database/restore`, backup.body, { 'content-type': 'application/sql' });
    expect(restored.statusCode, restored.body).toBe(204);
    // Two rows at the backup, and this visit's.
    expect(await visit()).toBe('3');
    const broken = await dev.post(`/api/v1/apps/${app.id}/database/restore`, 'select * from no_such_table;', { 'content-type': 'application/sql' });
    expect(broken.statusCode).toBe(422);
    expect(broken.json()).toMatchObject({ code: 'restore_failed' });
  });

  it('is deleted only when the app is named: its container and volume go, and DATABASE_URL with them', async () => {
    const unconfirmed = await dev.delete(`/api/v1/apps/${app.id}/database`);
    expect(unconfirmed.statusCode).toBe(400);
    const wrong = await dev.delete(`/api/v1/apps/${app.id}/database?confirm=not-it`);
    expect(wrong.statusCode).toBe(409);
    expect(wrong.json()).toMatchObject({ code: 'confirmation_required' });
    expect((await dev.get(`/api/v1/apps/${app.id}/database`)).statusCode).toBe(200);

    expect((await dev.delete(`/api/v1/apps/${app.id}/database?confirm=counter`)).statusCode).toBe(202);
    await waitFor('the database gone', async () => (await dev.get(`/api/v1/apps/${app.id}/database`)).statusCode === 404, 60_000);
    await waitFor('its container gone', async () => (await server.services.runtime.listReplicas(app.id)).every((r) => r.releaseId !== 'database'), 60_000);
    const volumes = (await server.docker.listVolumes({ filters: { label: [`berth.app=${app.id}`] } })).Volumes ?? [];
    expect(volumes).toEqual([]);
    await releaseSettles(dev, app.id, 3, 'live');
    expect(await visit()).toBe('no database');
  }, 180_000);
});
