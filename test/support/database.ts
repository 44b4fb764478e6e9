import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { openDatabase, type Database, type Db } from '../../packages/server/src/db/client.js';
import { waitFor } from './wait.js';

export interface TestDatabase extends Database {
  /** Its postgres:// URL, so another Berth process can share it. */
  url: string;
  /** Closes the handle and throws the database away. */
  dispose(): Promise<void>;
}

/**
 * The PostgreSQL server the run's databases are made on: TEST_DATABASE_URL's, or else the embedded
 * one global-setup started (Berth's own default, in a folder of the run's).
 */
function testServer(): string {
  const url = process.env.TEST_DATABASE_URL ?? process.env.BERTH_TEST_EMBEDDED_URL;
  if (!url) throw new Error('no test database server: global-setup starts one unless TEST_DATABASE_URL names it');
  return url;
}

/** A fresh, empty database on the run's server, dropped with `drop()`. */
export async function createScratchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const serverUrl = testServer();
  const name = `berth_test_${randomBytes(6).toString('hex')}`;
  await onServer(serverUrl, `create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => onServer(serverUrl, `drop database if exists ${name} with (force)`) };
}

/**
 * A scratch database on the TEST_DATABASE_URL server, for tests that run Berth as a separate
 * process; undefined on the embedded run, where such a process starts its own embedded
 * PostgreSQL in its data directory, as `berth server` does by default.
 */
export async function createScratchPostgres(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  return process.env.TEST_DATABASE_URL ? createScratchDatabase() : undefined;
}

async function onServer(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** An isolated, migrated database for one test file: a new database on the run's server, dropped afterwards. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const scratch = await createScratchDatabase();
  const database = await openDatabase({ url: scratch.url });
  return {
    ...database,
    url: scratch.url,
    dispose: async () => {
      await database.close();
      await scratch.drop();
    },
  };
}

/**
 * Cuts every connection LISTENing on `channel` in this database (the processes sharing it), and
 * waits until each of the `processes` listens again on a new one.
 */
export async function cutListeners(db: Db, channel: string, processes: number): Promise<void> {
  const listeners = async (): Promise<number[]> => {
    const result = (await db.execute(sql`select pid from pg_stat_activity where datname = current_database() and query ilike ${`listen %${channel}%`}`)) as unknown as { rows: { pid: number }[] };
    return result.rows.map((r) => r.pid);
  };
  const before = await waitFor(`${processes} processes to listen on ${channel}`, async () => ((await listeners()).length === processes ? await listeners() : undefined));
  await db.execute(sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query ilike ${`listen %${channel}%`}`);
  await waitFor(`${processes} processes to listen on ${channel} again`, async () => {
    const now = await listeners();
    return now.length === processes && now.every((pid) => !before.includes(pid));
  }, 15_000);
}
