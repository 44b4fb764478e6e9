import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Environment } from '@berth/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_IMAGE } from './support/images.js';
import { freePort } from './support/ports.js';
import { startServerProcess, type ServerProcess } from './support/process.js';
import { readmeBlock } from './support/readme.js';
import { ADMIN, startTestServer, type TestServer } from './support/server.js';
import { TerminalClient } from './support/terminal.js';
import { waitFor } from './support/wait.js';

const HEADING = '### Two replicas behind a proxy';

/**
 * The README's "Two replicas behind a proxy", as written: two `berth server` processes on one
 * database on the ports it names, and Caddy run with its command and its Caddyfile (ports moved to
 * free ones). Everything goes through the proxy, and a terminal opened through it survives the
 * process it went through being killed outright.
 */
describe('README: two replicas behind a proxy', () => {
  let setup: TestServer;
  let caddy: ChildProcess | undefined;
  let caddyDir: string;
  let proxy: string;
  let ports: [number, number];
  const replicas = new Map<number, ServerProcess>();
  let env: Record<string, string>;

  const startReplica = async (port: number) => replicas.set(port, await startServerProcess({ ...env, BERTH_PORT: String(port) }));
  const api = async (route: string, init: RequestInit & { cookie?: string } = {}) =>
    fetch(`${proxy}/api/v1${route}`, { ...init, headers: { origin: proxy, 'content-type': 'application/json', ...(init.cookie ? { cookie: init.cookie } : {}), ...(init.headers as Record<string, string>) } });

  beforeAll(async () => {
    const block = await readmeBlock(HEADING, 'sh');
    // What the block runs: two processes on 3001 and 3002 with the variables it exports, and Caddy.
    const exported = /^export (.+)$/m.exec(block)![1]!;
    expect(exported).toMatch(/DATABASE_URL=postgres:\/\/\S+ DOCKER_CERT_PATH=\S+ BERTH_TRUST_PROXY=true/);
    expect(block).toContain('BERTH_PORT=3001 npm start &\nBERTH_PORT=3002 npm start &\n');
    const caddyCommand = /^caddy run .+$/m.exec(block)![0];

    setup = await startTestServer();
    ports = [await freePort(), await freePort()];
    const proxyPort = await freePort();
    // The README's variables, with this test's database; no swarm here, so no client certificate.
    env = { DATABASE_URL: setup.database.url, BERTH_TRUST_PROXY: 'true', BERTH_ADMIN_PASSWORD: ADMIN.password, BERTH_DEFAULT_IMAGE: TEST_IMAGE, BERTH_LOG_LEVEL: 'warn' };
    for (const port of ports) await startReplica(port);

    caddyDir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-readme-proxy-'));
    const caddyfile = (await readmeBlock(HEADING, 'caddyfile')).replace(':8080', `http://127.0.0.1:${proxyPort}`).replace('127.0.0.1:3001', `127.0.0.1:${ports[0]}`).replace('127.0.0.1:3002', `127.0.0.1:${ports[1]}`);
    await fs.writeFile(path.join(caddyDir, 'Caddyfile'), `{\n\tadmin off\n}\n${caddyfile}`);
    const [bin, ...args] = caddyCommand.split(' ');
    caddy = spawn(bin!, args, { cwd: caddyDir, env: { PATH: process.env.PATH, HOME: caddyDir, XDG_DATA_HOME: caddyDir, XDG_CONFIG_HOME: caddyDir }, stdio: 'ignore' });
    proxy = `http://127.0.0.1:${proxyPort}`;
    await waitFor('Caddy to proxy to Berth', async () => (await fetch(`${proxy}/readyz`).catch(() => null))?.status === 200, 30_000, 100);
  }, 180_000);

  afterAll(async () => {
    caddy?.kill('SIGTERM');
    for (const p of replicas.values()) p.child.kill('SIGKILL');
    await Promise.all([...replicas.values()].map((p) => p.exited));
    await setup?.close();
    if (caddyDir) await fs.rm(caddyDir, { recursive: true, force: true });
  });

  it('serves through either process, and a terminal outlives the one it went through', async () => {
    expect((await api('/users', { method: 'POST', cookie: await login(ADMIN), body: JSON.stringify({ username: 'lea', password: 'lea-password-1234' }) })).status).toBe(201);
    const cookie = await login({ username: 'lea', password: 'lea-password-1234' });
    const created = (await (await api('/environments', { method: 'POST', cookie, body: JSON.stringify({ type: 'small', name: 'behind-proxy' }) })).json()) as Environment;
    await waitFor('the environment to run', async () => ((await (await api(`/environments/${created.id}`, { cookie })).json()) as Environment).status === 'running', 60_000, 200);

    const open = () => TerminalClient.open(`${proxy.replace('http', 'ws')}/api/v1/environments/${created.id}/terminal?session=proxied`, { cookie });
    const first = open();
    await first.opened;
    first.type('MARK=through-$((6*7)); echo before-the-kill\n');
    await first.expect(/before-the-kill/);

    // The process the proxy sent it to (each says how many terminals it holds), killed outright.
    const holding = await waitFor('the process holding the terminal', async () => {
      for (const port of ports) if (/^berth_terminal_sessions 1$/m.test(await metricsOf(port))) return port;
      return undefined;
    });
    const victim = replicas.get(holding)!;
    victim.child.kill('SIGKILL');
    await victim.exited;
    expect(await first.closed).toBe(1006);

    const second = open();
    await second.opened;
    await second.expect(/before-the-kill/);
    second.type('echo "mark=$MARK"\n');
    await second.expect(/mark=through-42/);
    await second.close();
  }, 120_000);

  /** A process's own /metrics, asked directly (an administrator's). */
  async function metricsOf(port: number): Promise<string> {
    const at = `http://127.0.0.1:${port}`;
    const res = await fetch(`${at}/api/v1/auth/login`, { method: 'POST', headers: { origin: at, 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
    return (await fetch(`${at}/metrics`, { headers: { cookie: res.headers.get('set-cookie')!.split(';')[0]! } })).text();
  }

  async function login(credentials: { username: string; password: string }): Promise<string> {
    const res = await api('/auth/login', { method: 'POST', body: JSON.stringify(credentials) });
    expect(res.status).toBe(200);
    return res.headers.get('set-cookie')!.split(';')[0]!;
  }
});
