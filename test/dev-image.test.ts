import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Environment, EnvironmentEvent, TemplateSummary } from '@berth/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_IMAGE } from '../packages/server/src/runtime/docker/images.js';
import { execIn } from './support/environments.js';
import { runBerth } from './support/cli.js';
import { createScratchPostgres } from './support/database.js';
import { startServerProcess, type ServerProcess } from './support/process.js';
import type { Caller } from './support/server.js';
import { useTestServer } from './support/test-server.js';
import { runningEnvironment, waitFor } from './support/wait.js';

/**
 * The default image as a new user meets it: a dev box that has what the starter
 * templates need, made on the machine when missing, and a clear failure within
 * seconds where it cannot be made.
 */

const sh = (caller: Caller, id: string, command: string, timeoutMs = 60_000) => execIn(caller, id, command, timeoutMs);

/** Runs `server` in the background, fetches `url` from inside once it answers (10 s at most), and stops it. */
const serveAndFetch = (server: string, url: string) =>
  `(${server}) >/tmp/serve.log 2>&1 & pid=$!; ` +
  `for i in $(seq 1 50); do curl -sf ${url} && { kill $pid; exit 0; }; sleep 0.2; done; ` +
  'cat /tmp/serve.log >&2; kill $pid; exit 1';

describe('the default development image', () => {
  // The first run on a new machine builds the image (debootstrap and the packages): a few minutes.
  const { admin, users: { dev }, ids } = useTestServer({ env: { BERTH_DEFAULT_IMAGE: DEV_IMAGE }, users: ['dev'] });
  let env: Environment;
  beforeAll(async () => {
    // One environment here and one for each starter template.
    expect((await admin.patch(`/api/v1/users/${ids.dev}/quota`, { credits: 10, maxEnvironments: 10 })).statusCode).toBe(200);
    env = await runningEnvironment(dev, { type: 'small' }, 600_000);
  }, 620_000);

  it('is a dev box: git, curl, compilers, Python 3 with pip and venv, Node.js with npm', async () => {
    const result = await sh(
      dev,
      env.id,
      'set -e; git --version; curl --version | head -1; gcc --version | head -1; make --version | head -1; ' +
        'python3 --version; python3 -m pip --version >/dev/null; python3 -m venv /tmp/venv && /tmp/venv/bin/python -c "print(\'venv ok\')"; ' +
        'node -e "console.log(\'node\', process.versions.node)"; npm --version >/dev/null; echo $TERM; pwd',
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/git version[\s\S]*curl [\s\S]*gcc[\s\S]*GNU Make[\s\S]*Python 3[\s\S]*venv ok\nnode \d+[\s\S]*xterm-256color\n\/workspace\n$/);
  }, 90_000); // pip, venv and node start cold: tens of seconds on a loaded machine

  it('has a non-root account `user` (uid 1000) that owns /workspace', async () => {
    const result = await sh(dev, env.id, 'id -u user; stat -c %U /workspace; su user -c "touch /workspace/mine && id -u"; stat -c %U /workspace/mine');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('1000\nuser\n1000\nuser\n');
  });

  it('runs every starter template as its README says', async () => {
    const checks: Record<string, string> = {
      'python-hello': `python3 hello.py && ${serveAndFetch('./serve.sh', 'http://127.0.0.1:8000/hello.py')}`,
      'node-http': serveAndFetch('npm start', 'http://127.0.0.1:3000/ping'),
      'static-site': serveAndFetch('python3 -m http.server 8080', 'http://127.0.0.1:8080/'),
    };
    const expected: Record<string, RegExp> = {
      'python-hello': /^Hello from Berth!\nprint\("Hello from Berth!"\)\n$/,
      'node-http': /^Hello from Berth: GET \/ping\n$/,
      'static-site': /<h1>Hello from Berth<\/h1>/,
    };
    const templates = (await dev.get('/api/v1/templates')).json<{ items: TemplateSummary[] }>().items.filter((t) => t.public);
    // A new starter template needs a check here.
    expect(templates.map((t) => t.slug).sort()).toEqual(Object.keys(checks).sort());
    await Promise.all(
      templates.map(async (template) => {
        const made = await runningEnvironment(dev, { type: 'small', templateId: template.id });
        await waitFor(`${template.slug}'s files`, async () => (await sh(dev, made.id, 'ls README.md')).exitCode === 0);
        const result = await sh(dev, made.id, checks[template.slug]!);
        expect(result.exitCode, `${template.slug}: ${result.stderr}`).toBe(0);
        expect(result.stdout).toMatch(expected[template.slug]!);
      }),
    );
  }, 180_000);
});

describe('a machine where the default image cannot be made', () => {
  // No debootstrap on PATH (it lives in /usr/sbin) and a registry that does not exist: nothing can make it.
  const image = `berth/dev:missing-${randomUUID().slice(0, 8)}`;
  const env = { PATH: '/usr/local/bin:/usr/bin:/bin', BERTH_DEFAULT_IMAGE: image, BERTH_DEV_BASE_IMAGE: 'registry.invalid/debian:bookworm-slim' };
  let dataDir: string;
  let scratch: Awaited<ReturnType<typeof createScratchPostgres>>;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-no-image-'));
    scratch = await createScratchPostgres();
  });
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    await scratch?.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('`berth build-image` fails saying what to install', async () => {
    const run = await runBerth(['build-image'], { home: dataDir, env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot build ${image}: debootstrap is not installed on this machine (apt-get install debootstrap)`);
  });

  it('an environment fails at once with image_unavailable and that message, never an endless retry', async () => {
    const password = 'admin-password-for-this-test';
    server = await startServerProcess({ ...env, BERTH_ADMIN_USERNAME: 'admin', BERTH_ADMIN_PASSWORD: password, ...(scratch ? { DATABASE_URL: scratch.url } : { BERTH_DATA_DIR: dataDir }) });
    const login = await fetch(`${server.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
    const headers = { cookie: login.headers.get('set-cookie')!.split(';')[0]!, origin: server.url, 'content-type': 'application/json' };
    const created = await fetch(`${server.url}/api/v1/environments`, { method: 'POST', headers, body: JSON.stringify({ type: 'small' }) });
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as Environment;
    const failed = await waitFor('status error', async () => {
      const now = (await (await fetch(`${server!.url}/api/v1/environments/${id}`, { headers })).json()) as Environment;
      return now.status === 'error' ? now : undefined;
    });
    expect(failed).toMatchObject({ errorCode: 'image_unavailable', attempts: 1 });
    expect(failed.lastError).toContain('apt-get install debootstrap');
    const events = ((await (await fetch(`${server.url}/api/v1/environments/${id}/events`, { headers })).json()) as { items: EnvironmentEvent[] }).items;
    expect(events.filter((e) => e.type === 'retry')).toEqual([]);
    expect(events.at(-1)).toMatchObject({ type: 'error', status: 'error', data: { code: 'image_unavailable' } });
    // What the engine said (its resolver, its registry URL) stays in the server's log.
    expect(JSON.stringify(events)).not.toMatch(/no such host|dial tcp|https:\/\//);
  });
});
