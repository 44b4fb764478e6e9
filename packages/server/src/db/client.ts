import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';
import { listenPostgres, type ListenEvents, type Unlisten } from './listen.js';
import { importPglite } from './pglite-import.js';
import * as schema from './schema.js';

export type Schema = typeof schema;
/** A database handle or an open transaction: repositories accept either. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface Database {
  db: Db;
  /** Berth's own PostgreSQL in its data directory, or a server at DATABASE_URL. */
  kind: 'embedded' | 'postgres';
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  /** Calls `onPayload` for every notification on `channel` (see db/listen.ts), until the returned function is called. */
  listen(channel: string, onPayload: (payload: string) => void, events?: ListenEvents): Promise<Unlisten>;
  close(): Promise<void>;
}

const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));
// Any constant works; it only has to be the same in every Berth process.
const MIGRATION_LOCK_KEY = 7_362_001;

/** Where the data lives: a PostgreSQL server, or Berth's embedded one in a data directory. */
export type DatabaseTarget = { url: string } | { dataDir: string };

/** Opens the database and brings its schema up to date before anything uses it. */
export async function openDatabase(target: DatabaseTarget, log?: (message: string) => void): Promise<Database> {
  if ('url' in target) return openPostgres(target.url);
  return openEmbedded(target.dataDir, log);
}

/**
 * The embedded database: a PostgreSQL server Berth starts in `<dataDir>/postgres` (see
 * embedded-postgres.ts), one Berth process per directory. A directory an earlier Berth kept its
 * PGlite database in (`<dataDir>/pgdata`) is brought over on the first start.
 */
async function openEmbedded(dataDir: string, log: (message: string) => void = () => undefined): Promise<Database> {
  await fs.mkdir(dataDir, { recursive: true });
  const releaseLock = await lockDataDir(dataDir);
  let server: EmbeddedPostgres | undefined;
  let database: Awaited<ReturnType<typeof openPostgres>> | undefined;
  try {
    server = await startEmbeddedPostgres(path.join(dataDir, 'postgres'));
    await ensureDatabase(server.url('postgres'), 'berth');
    database = await openPostgres(server.url('berth'));
    const pglite = path.join(dataDir, 'pgdata');
    if (existsSync(path.join(pglite, 'PG_VERSION'))) {
      log(`bringing the PGlite database in ${pglite} over to the embedded PostgreSQL`);
      const { tables, rows } = await importPglite(pglite, database.pool, migrationsFolder);
      log(`brought ${rows} rows of ${tables} tables over; the PGlite folder is kept as ${pglite}.imported`);
    }
    const [open, stop] = [database, server.stop];
    return {
      ...open,
      kind: 'embedded',
      close: async () => {
        await open.close();
        await stop();
        await releaseLock();
      },
    };
  } catch (err) {
    await database?.close().catch(() => undefined);
    await server?.stop();
    await releaseLock();
    throw err;
  }
}

async function ensureDatabase(serverUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
}

/**
 * One Berth process per data directory: a second one is refused with a clear word (rather than by
 * its database server's lock), unless the holder is gone.
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

async function openPostgres(url: string): Promise<Database & { pool: pg.Pool }> {
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
    pool,
    kind: 'postgres',
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    listen: (channel, onPayload, events) => listenPostgres(url, channel, onPayload, events),
    close: () => pool.end(),
  };
}
