import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { listenPostgres, type ListenEvents, type Unlisten } from './listen.js';
import * as schema from './schema.js';

export type Schema = typeof schema;
/** A database handle or an open transaction: repositories accept either. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  /** Calls `onPayload` for every notification on `channel` (see db/listen.ts), until the returned function is called. */
  listen(channel: string, onPayload: (payload: string) => void, events?: ListenEvents): Promise<Unlisten>;
  close(): Promise<void>;
}

const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));
// Any constant works; it only has to be the same in every Berth process.
const MIGRATION_LOCK_KEY = 7_362_001;

/**
 * Where the data lives. In memory, `snapshot` (from `snapshotDatabase()`) starts from a copy
 * instead of an empty cluster: PGlite's initdb is most of a fresh database's start-up.
 */
export type DatabaseTarget = { url: string } | { dataDir: string } | { memory: true; snapshot?: Blob };

/** Opens the database and brings its schema up to date before anything uses it. */
export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  if ('url' in target) return openPostgres(target.url);
  let dataDir: string | undefined; // undefined: in memory
  if ('dataDir' in target) {
    dataDir = path.join(target.dataDir, 'pgdata');
    await fs.mkdir(dataDir, { recursive: true });
  }
  return openPglite(dataDir, 'snapshot' in target ? target.snapshot : undefined);
}

/** An empty in-memory database with every migration applied, as a data-directory tarball for `{ memory: true, snapshot }`. */
export async function snapshotDatabase(): Promise<Blob> {
  const client = new PGlite();
  try {
    await migratePglite(drizzlePglite({ client, schema }), { migrationsFolder });
    return await client.dumpDataDir('none');
  } finally {
    await client.close();
  }
}

async function openPglite(dataDir: string | undefined, snapshot?: Blob): Promise<Database> {
  const releaseLock = dataDir ? await lockDataDir(dataDir) : async () => undefined;
  const client = new PGlite({ dataDir, loadDataDir: snapshot });
  const db = drizzlePglite({ client, schema });
  // A snapshot's migrations are already applied (an older one's are brought up to date here).
  await migratePglite(db, { migrationsFolder });
  return {
    db: db as unknown as Db,
    kind: 'pglite',
    ping: async () => {
      await client.query('select 1');
    },
    // One in-process session: it hears its own notifications and cannot lose its connection.
    listen: (channel, onPayload) => client.listen(channel, onPayload),
    close: async () => {
      await client.close();
      await releaseLock();
    },
  };
}

/**
 * PGlite is one process's database: a second Berth on the same directory would
 * corrupt it. Refuse to start instead, unless the holder is gone.
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lockFile = path.join(dataDir, 'berth.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(lockFile, String(process.pid), { flag: 'wx' });
      return () => fs.rm(lockFile, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(await fs.readFile(lockFile, 'utf8').catch(() => ''));
      if (holder && holder !== process.pid && isAlive(holder)) {
        throw new Error(`Another Berth process (pid ${holder}) is using ${dataDir}; stop it or set a different BERTH_DATA_DIR`, { cause: err });
      }
      await fs.rm(lockFile, { force: true }); // left behind by a crash
    }
  }
  throw new Error(`Could not lock ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function openPostgres(url: string): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5_000 });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  const db = drizzlePg({ client: pool, schema });
  // Several processes may start at once against one server: let one migrate while the others wait.
  const lock = await pool.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await migratePg(db, { migrationsFolder });
  } finally {
    await lock.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    lock.release();
  }
  return {
    db: db as unknown as Db,
    kind: 'postgres',
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    listen: (channel, onPayload, events) => listenPostgres(url, channel, onPayload, events),
    close: () => pool.end(),
  };
}
