import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { WEBHOOK_SIGNATURE_HEADER, type App, type AppDatabase, type ConfigVar, type Release } from '@berth/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_IMAGE } from '../packages/server/src/runtime/docker/images.js';
import { gitRepo, nodeApp, releaseSettles } from './support/apps.js';
import { BERTH_BIN, runBerth, type Run } from './support/cli.js';
import { useTestServer } from './support/test-server.js';
import { waitFor } from './support/wait.js';

/**
 * `berth apps` as users run it: a real subprocess per invocation, against a real server that
 * builds a real git repository and serves the app through its own edge. Each invocation costs
 * about a second, so the tests share one app and use as few as they can.
 */
describe('berth apps (subprocess against a real server)', () => {
  const { server, users: { dev } } = useTestServer({ env: { BERTH_APPS_ALLOW_LOCAL_SOURCES: 'true', BERTH_APPS_DRAIN_SECONDS: '2' }, users: ['dev'] });
  let repo: Awaited<ReturnType<typeof gitRepo>>;
  let home: string;
  let cliEnv: Record<string, string>;
  let app: App;
  /** A request to the app through Berth's edge, by the Host header of its URL. */
  const visit = () => server.anonymous.get('/', { host: new URL(app.url).host });
  const berth = (args: string[]): Promise<Run> => runBerth(args, { home, env: cliEnv });
  /** Runs and insists on exit code 0, showing what it said when not. */
  async function ok(args: string[]): Promise<Run> {
    const run = await berth(args);
    expect(run.code, `berth ${args.join(' ')}\n${run.stdout}\n${run.stderr}`).toBe(0);
    return run;
  }
  const releasesOf = async () => (await dev.api.call('apps.releases', { params: { id: app.id } })).items;
  const configOf = async () => (await dev.api.call('apps.config', { params: { id: app.id } })).items;

  beforeAll(async () => {
    repo = await gitRepo();
    await repo.commit(nodeApp('v1'), 'v1');
    const url = await server.app.listen({ host: '127.0.0.1', port: 0 });
    // A token of dev's in BERTH_TOKEN: the CLI needs no login of its own (an invocation saved).
    const { token } = await dev.api.call('tokens.create', { body: { name: 'cli-apps' } });
    home = await mkdtemp(path.join(os.tmpdir(), 'berth-cli-apps-home-'));
    cliEnv = { BERTH_URL: url, BERTH_TOKEN: token };
  });
  afterAll(async () => {
    await repo?.remove();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('create --git --follow prints the first release\'s events until it is live and the URL; the app answers at it', async () => {
    const run = await ok(['apps', 'create', 'hello', '--git', repo.url, '--health', '/health', '--follow']);
    expect(run.stderr).toMatch(/^\[release 1\] commit [0-9a-f]{12}: Node\.js app/m);
    expect(run.stderr).toMatch(/release 1 of hello is live at http:\/\/hello-dev\.apps\.localhost/);
    const url = run.stdout.trim();
    expect(url).toMatch(/^http:\/\/hello-dev\.apps\.localhost:\d+$/);
    app = (await dev.api.call('apps.list')).items[0]!;
    expect(app).toMatchObject({ name: 'hello', url, status: 'running', currentRelease: 1, healthPath: '/health' });
    expect((await visit()).body).toBe('v1 - no-secret');

    const listed = (await ok(['apps'])).stdout;
    expect(listed).toMatch(/^NAME\s+STATUS\s+RELEASE\s+URL$/m);
    expect(listed).toMatch(new RegExp(`^hello\\s+running\\s+1\\s+${url.replace(/\./g, '\\.')}$`, 'm'));
  }, 300_000);

  it('env set --secret masks the secret in its output; a plain variable shows; the app gets both in the releases they make', async () => {
    const secret = await ok(['apps', 'env', 'set', 'hello', 'SECRET_TOKEN=hunter2-very-secret', '--secret']);
    expect(`${secret.stdout}${secret.stderr}`).not.toContain('hunter2');
    expect(secret.stdout).toMatch(/^SECRET_TOKEN\s+••••••••\s+yes$/m);
    await releaseSettles(dev, app.id, 2, 'live');
    const plain = await ok(['apps', 'env', 'set', 'hello', 'GREETING=hello=world']);
    expect(plain.stdout).toMatch(/^GREETING\s+hello=world$/m);
    await releaseSettles(dev, app.id, 3, 'live');
    expect((await visit()).body).toBe('v1 hello=world secret:19');
  }, 180_000);

  it('refuses a malformed env set before calling the API: exit 1, every bad argument named, nothing changed', async () => {
    const before = { config: await configOf(), releases: (await releasesOf()).length };
    const run = await berth(['apps', 'env', 'set', 'hello', 'GREETING=bye', 'NOEQUALS', '1BAD=x']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('"NOEQUALS" is not NAME=VALUE');
    expect(run.stderr).toMatch(/"1BAD" is not a variable name \(letters, digits and "_", not starting with a digit\); nothing was changed/);
    expect(await configOf()).toEqual(before.config);
    expect((await releasesOf()).length).toBe(before.releases);
    // The listing shows what the API holds, the secret masked as the API masks it.
    const listed = (await ok(['apps', 'env', 'hello', '--json'])).stdout;
    expect(JSON.parse(listed) as ConfigVar[]).toEqual(before.config);
    expect(listed).not.toContain('hunter2');
  });

  it('deploy --follow of a source that does not build exits 1 with the reason; the live release keeps serving', async () => {
    await repo.commit({ Dockerfile: 'FROM scratch\nRUN false\n' }, 'a Dockerfile that cannot build');
    const run = await berth(['apps', 'deploy', 'hello', '--follow']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/^\[release 4\] building release 4 from/m);
    expect(run.stderr).toMatch(/berth: release 4 of hello failed: the build failed/);
    expect((await visit()).body).toBe('v1 hello=world secret:19');
  }, 180_000);

  it('releases lists each release with its kind, status, commit and error; rollback 1 --follow goes live with release 1\'s image and config', async () => {
    const table = (await ok(['apps', 'releases', 'hello'])).stdout;
    const commit = (await releasesOf()).find((r) => r.number === 1)!.sourceRef!.slice(0, 12);
    expect(table).toMatch(/^NUMBER\s+KIND\s+STATUS\s+COMMIT\s+CREATED\s+ERROR$/m);
    // A release that failed to build has no commit of its own: the server notes it only on success.
    expect(table).toMatch(/^4\s+build\s+failed\s+-\s+\d+[smhd] ago\s+the build failed: /m);
    expect(table).toMatch(new RegExp(`^3\\s+config\\s+live\\s+${commit}\\s+\\d+[smhd] ago$`, 'm'));
    expect(table).toMatch(new RegExp(`^2\\s+config\\s+superseded\\s+${commit}\\s`, 'm'));
    expect(table).toMatch(new RegExp(`^1\\s+build\\s+superseded\\s+${commit}\\s`, 'm'));

    const run = await ok(['apps', 'rollback', 'hello', '1', '--follow', '--json']);
    expect(run.stderr).toMatch(/^\[release 5\] release 5 is live$/m);
    expect(JSON.parse(run.stdout) as Release).toMatchObject({ number: 5, kind: 'rollback', rollbackOf: 1, status: 'live' });
    expect((await visit()).body).toBe('v1 - no-secret');
  }, 180_000);

  it('logs prints every event as [release N] message, build output included; --follow prints new ones as they come until Ctrl-C', async () => {
    const all = (await ok(['apps', 'logs', 'hello'])).stdout.split('\n');
    expect(all).toEqual(expect.arrayContaining(['[release 1] release 1 requested by dev', expect.stringMatching(/^\[release 1\] commit [0-9a-f]{12}: Node\.js app: npm start/), '[release 5] release 5 is live']));
    expect(all.filter((l) => l.startsWith('[release 1] Step ')).length).toBeGreaterThan(3);

    // A follower of our own (runBerth waits for the end; this one is interrupted as a user would).
    const follower = spawn(process.execPath, [BERTH_BIN, 'apps', 'logs', 'hello', '--follow'], { env: { PATH: process.env.PATH ?? '', HOME: home, ...cliEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    follower.stdout.on('data', (d: Buffer) => (out += d.toString()));
    follower.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => follower.once('close', resolve));
    try {
      await waitFor(() => `the backlog (so far: ${out} ${err})`, async () => out.includes('[release 5] release 5 is live'), 30_000);
      // Unsetting a variable of a live app makes a config release: the follower shows it as it happens.
      const unset = await ok(['apps', 'env', 'unset', 'hello', 'GREETING']);
      expect(unset.stdout).not.toMatch(/^GREETING/m);
      await waitFor(() => `release 6 followed (so far: ${out} ${err})`, async () => out.includes('[release 6] release 6 is live'), 120_000);
      follower.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      if (follower.exitCode === null) follower.kill('SIGKILL');
    }
    expect(out).toMatch(/^\[release 6\] release 6: config changed by dev$/m);
    expect((await visit()).body).toBe('v1 - secret:19');
  }, 180_000);

  it('webhook prints a push URL and a secret shown once that signs pushes, and how to add it to GitHub and Gitea', async () => {
    const run = await ok(['apps', 'webhook', 'hello']);
    const url = /^URL\s+(\S+)$/m.exec(run.stdout)?.[1];
    const secret = /^Secret\s+(\S+)$/m.exec(run.stdout)?.[1];
    expect(url).toBe(`${cliEnv.BERTH_URL}/api/v1/apps/${app.id}/push`);
    expect(secret).toMatch(/^[\w-]{32,}$/);
    expect(run.stderr).toContain('The secret is shown this once');
    expect(run.stderr).toContain('a push to main deploys hello');
    expect(run.stderr).toMatch(/GitHub: .*Content type: application\/json/);
    expect(run.stderr).toMatch(/Gitea, Forgejo: .*\n.*Content type: application\/json; Secret: the secret; Trigger on: Push events/);
    // The git host's side: a push signed with that secret is accepted (another branch: nothing to deploy), an unsigned one is not.
    const body = JSON.stringify({ ref: 'refs/heads/elsewhere' });
    const push = (signature?: string) => fetch(url!, { method: 'POST', body, headers: { 'content-type': 'application/json', ...(signature ? { [WEBHOOK_SIGNATURE_HEADER]: signature } : {}) } });
    expect((await push(`sha256=${createHmac('sha256', secret!).update(body).digest('hex')}`)).status).toBe(204);
    expect((await push()).status).toBe(401);
  });

  it('scale 2 runs two replicas at once; set changes the settings the next release uses; logs --replicas shows what each printed', async () => {
    expect((await ok(['apps', 'scale', 'hello', '2'])).stderr).toContain('Scaling hello from 1 to 2 replicas');
    expect((await dev.api.call('apps.get', { params: { id: app.id } })).replicas).toBe(2);
    const set = await ok(['apps', 'set', 'hello', '--port', '3000', '--no-health', '--json']);
    expect(set.stderr).toContain('Changed hello: port 3000, health check: the port accepting connections; its next release uses them');
    expect(JSON.parse(set.stdout) as App).toMatchObject({ replicas: 2, port: 3000, healthPath: null });

    const logsOf = () => dev.api.call('apps.logs', { params: { id: app.id } });
    await waitFor('both replicas running', async () => (await logsOf()).items.filter((r) => r.state === 'running' && r.output.includes('node server.js')).length === 2, 60_000);
    const out = (await ok(['apps', 'logs', 'hello', '--replicas', '--tail', '20'])).stdout;
    expect(out).toMatch(/^== replica 0 \(release 6, running, 0 restarts\) ==$/m);
    expect(out).toMatch(/^== replica 1 \(release 6, running, 0 restarts\) ==$/m);
    expect(out.match(/node server\.js/g)?.length).toBe(2);
  }, 90_000);

  describe('db', () => {
    const databaseOf = () => dev.get(`/api/v1/apps/${app.id}/database`);
    let backupFile: string;

    beforeAll(async () => {
      // Built once per machine (`berth build-image`): here it is only looked for.
      await server.services.runtime.ensureImage(POSTGRES_IMAGE, () => undefined);
      backupFile = path.join(home, 'hello.sql');
    }, 600_000);

    it('db create --wait returns once the database is available; backup streams plain SQL to a file or stdout; restore runs a file, and stops at an error in stdin', async () => {
      const created = await ok(['apps', 'db', 'create', 'hello', '--wait']);
      expect(created.stderr).toContain('the database of hello is available');
      expect(created.stdout).toMatch(/^PostgreSQL 15\s+available\s+hello\s+hello\s+\d+s ago$/m);
      expect((await databaseOf()).json<AppDatabase>().status).toBe('available');

      const saved = await ok(['apps', 'db', 'backup', 'hello', '-o', backupFile]);
      const sql = await readFile(backupFile, 'utf8');
      expect(sql).toContain('PostgreSQL database dump complete');
      expect(saved.stdout).toBe('');
      expect(saved.stderr).toContain(`Backed up the database of hello to ${backupFile} (${Buffer.byteLength(sql)} bytes)`);
      await expect(stat(`${backupFile}.partial`)).rejects.toThrow(/ENOENT/);
      const printed = await ok(['apps', 'db', 'backup', 'hello']);
      expect(printed.stdout).toMatch(/^-- PostgreSQL database dump\n[\s\S]*-- PostgreSQL database dump complete\n/m);

      expect((await ok(['apps', 'db', 'restore', 'hello', backupFile])).stderr).toContain(`Restored the database of hello from ${backupFile}`);
      const broken = await runBerth(['apps', 'db', 'restore', 'hello', '-'], { home, env: cliEnv, input: 'select * from no_such_table;\n' });
      expect(broken.code).toBe(1);
      expect(broken.stderr).toContain('psql stopped at an error: ERROR:  relation "no_such_table" does not exist');
      expect(broken.stderr).toContain('(restore_failed)');
    }, 180_000);

    it('db delete refuses without --confirm before calling the API; with the app named it deletes the database and db says there is none', async () => {
      const refused = await berth(['apps', 'db', 'delete', 'hello']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("deleting the database deletes its data: confirm with the app's name (berth apps db delete hello --confirm hello)");
      expect((await databaseOf()).statusCode).toBe(200);

      expect((await ok(['apps', 'db', 'delete', 'hello', '--confirm', 'hello'])).stderr).toContain('Deleting the database of hello and its data');
      await waitFor('its container gone', async () => (await server.services.runtime.listReplicas(app.id)).every((r) => r.releaseId !== 'database'), 60_000);
      expect((await databaseOf()).statusCode).toBe(404);
      const none = await berth(['apps', 'db', 'hello']);
      expect(none.code).toBe(1);
      expect(none.stderr).toContain('berth: hello has no database');
      expect(none.stderr).toContain('hint: attach one with `berth apps db create hello`');
    }, 90_000);
  });

  it('rm refuses without --yes when it cannot ask; delete --yes deletes the app', async () => {
    const refused = await berth(['apps', 'rm', 'hello']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('add --yes to confirm');
    expect((await dev.api.call('apps.get', { params: { id: app.id } })).status).not.toBe('deleting');

    expect((await ok(['apps', 'delete', 'hello', '--yes'])).stderr).toContain('Deleting hello');
    await waitFor('the app gone', async () => (await dev.api.call('apps.list')).items.length === 0, 60_000);
    await waitFor('its host to answer 404', async () => (await visit()).statusCode === 404, 30_000);
  }, 90_000);
});
