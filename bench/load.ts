/**
 * `npm run bench:load`: the control plane's own throughput and memory, on the embedded database
 * and (with BENCH_DATABASE_URL) a PostgreSQL server, in one run. A `berth server` process with
 * BENCH_LOAD_ENVIRONMENTS running environments answers authenticated API reads from 20 keep-alive
 * connections (wrk, Debian's package), beside /healthz (the same server, no database: its floor). Prints requests per
 * second, the server's RSS and the embedded PostgreSQL's memory (PSS, so shared buffers count once).
 *
 *   BENCH_LOAD_SECONDS (default 5)        per measurement
 *   BENCH_LOAD_ENVIRONMENTS (default 50)  running while measuring
 *   BENCH_DATABASE_URL                    also on this PostgreSQL server (a database of its own there),
 *                                         and there with two replicas at once (each half the connections)
 */
import { randomBytes } from 'node:crypto';
import { readFile, readdir, mkdtemp, rm } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { ensureTestImage, TEST_IMAGE } from '../test/support/images.js';
import { signedInCall, startServerProcess, type ServerProcess } from '../test/support/process.js';

const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 5);
const ENVIRONMENTS = Number(process.env.BENCH_LOAD_ENVIRONMENTS ?? 50);
const CONNECTIONS = 20;
const ADMIN = { username: 'admin', password: 'bench-load-admin-password' };

/**
 * Requests per second from `wrk` (Debian's package: a load generator in C, so the measurement is the
 * server's and not the client's), CONNECTIONS keep-alive connections for SECONDS; answers other than
 * 2xx/3xx are counted as failed.
 */
async function load(url: string, headers: Record<string, string>, connections = CONNECTIONS): Promise<{ perSecond: number; failed: number }> {
  const args = [`-t${Math.min(2, connections)}`, `-c${connections}`, `-d${SECONDS}s`, ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url];
  const { stdout } = await promisify(execFile)('wrk', args);
  const perSecond = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  if (!Number.isFinite(perSecond)) throw new Error(`wrk said:\n${stdout}`);
  return { perSecond, failed: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0) };
}

/** A value of /proc/<pid>/<file> in kB (VmRSS of status, Pss of smaps_rollup), as MB; 0 once gone. */
async function procMb(pid: number, file: string, field: string): Promise<number> {
  const text = await readFile(`/proc/${pid}/${file}`, 'utf8').catch(() => '');
  return Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0) / 1024;
}

/** Every process below `pid`. */
async function descendants(pid: number): Promise<number[]> {
  const all = (await readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number);
  const parentOf = new Map<number, number>();
  for (const p of all) {
    const stat = await readFile(`/proc/${p}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid) parentOf.set(p, ppid);
  }
  const below = (p: number): number[] => [...parentOf].filter(([, parent]) => parent === p).flatMap(([child]) => [child, ...below(child)]);
  return below(pid);
}

/** On a shared database: a second replica beside the first, each given half the connections at once. */
async function measure(name: string, env: Record<string, string>, options: { replicas?: boolean } = {}): Promise<void> {
  const server: ServerProcess = await startServerProcess({ ...env, BERTH_ADMIN_PASSWORD: ADMIN.password, BERTH_DEFAULT_IMAGE: TEST_IMAGE, BERTH_LOG_LEVEL: 'warn' });
  try {
    const call = await signedInCall(server, ADMIN);
    const me = (await call<{ id: string }>('GET', '/me')).body;
    await call('PATCH', `/users/${me.id}/quota`, { credits: ENVIRONMENTS + 10, maxEnvironments: ENVIRONMENTS + 10 });
    const { body: token } = await call<{ token: string }>('POST', '/tokens', { name: 'load' });
    const ids: string[] = [];
    for (let i = 0; i < ENVIRONMENTS; i++) {
      const created = await call<{ id: string }>('POST', '/environments', { type: 'small' });
      if (created.status !== 202 && created.status !== 201) throw new Error(`create answered ${created.status}: ${JSON.stringify(created.body)}`);
      ids.push(created.body.id);
    }
    for (const id of ids) {
      const deadline = Date.now() + 180_000;
      while ((await call<{ status: string }>('GET', `/environments/${id}`)).body.status !== 'running') {
        if (Date.now() > deadline) throw new Error(`environment ${id} did not run within 3 minutes`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    const auth = { authorization: `Bearer ${token.token}` };
    const pid = server.child.pid!;
    const idleRss = await procMb(pid, 'status', 'VmRSS');
    const floor = await load(`${server.url}/healthz`, {});
    const meLoad = await load(`${server.url}/api/v1/me`, auth);
    const listLoad = await load(`${server.url}/api/v1/environments`, auth);
    const rss = await procMb(pid, 'status', 'VmRSS');
    let dbPss = 0;
    for (const p of await descendants(pid)) if ((await readFile(`/proc/${p}/comm`, 'utf8').catch(() => '')).trim() === 'postgres') dbPss += await procMb(p, 'smaps_rollup', 'Pss');
    const row = (label: string, r: { perSecond: number; failed: number }) => `  ${label.padEnd(34)} ${r.perSecond.toFixed(0).padStart(7)} req/s${r.failed ? ` (${r.failed} failed)` : ''}`;
    console.log(`\n${name}, ${ENVIRONMENTS} environments running, ${CONNECTIONS} connections, ${SECONDS} s each`);
    console.log(row('GET /healthz (no database: floor)', floor));
    console.log(row('GET /api/v1/me (token)', meLoad));
    console.log(row('GET /api/v1/environments (token)', listLoad));
    console.log(`  server RSS ${idleRss.toFixed(0)} MB before the load, ${rss.toFixed(0)} MB after${dbPss ? `; its PostgreSQL ${dbPss.toFixed(0)} MB (PSS, all processes)` : ''}`);
    if (options.replicas) {
      const second = await startServerProcess({ ...env, BERTH_ADMIN_PASSWORD: ADMIN.password, BERTH_DEFAULT_IMAGE: TEST_IMAGE, BERTH_LOG_LEVEL: 'warn' });
      try {
        const both = await Promise.all([server, second].map((s) => load(`${s.url}/api/v1/me`, auth, CONNECTIONS / 2)));
        const sum = { perSecond: both[0]!.perSecond + both[1]!.perSecond, failed: both[0]!.failed + both[1]!.failed };
        console.log(`${row('GET /api/v1/me, two replicas', sum)}  (${(sum.perSecond / meLoad.perSecond).toFixed(2)}× one)`);
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
    }
    for (const id of ids) await call('DELETE', `/environments/${id}`);
    for (const id of ids) {
      const deadline = Date.now() + 120_000;
      while ((await call<{ status: string }>('GET', `/environments/${id}`)).body.status !== 'deleted' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
}

async function main(): Promise<void> {
  await promisify(execFile)('wrk', ['--version']).catch((err: { code?: string }) => {
    if (err.code === 'ENOENT') throw new Error('bench:load drives the server with wrk: apt-get install wrk');
  });
  await ensureTestImage();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'berth-load-'));
  try {
    await measure('embedded PostgreSQL', { BERTH_DATA_DIR: dataDir });
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
  const serverUrl = process.env.BENCH_DATABASE_URL;
  if (!serverUrl) return;
  const name = `berth_load_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  try {
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    await measure(`PostgreSQL at ${new URL(serverUrl).host}`, { DATABASE_URL: url.toString() }, { replicas: true });
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

await main();
