import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { App, ConfigVar, Release } from '@berth/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
