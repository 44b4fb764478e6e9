import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import pg from 'pg';
import { openDatabase, type Database } from '../../packages/server/src/db/client.js';
import { DATABASE_SNAPSHOT } from './paths.js';

export interface TestDatabase extends Database {
  /** Its postgres:// URL (TEST_DATABASE_URL runs), so another Berth process can share it; undefined on PGlite. */
  url?: string;
  /** Closes the handle and throws the database away. */
  dispose(): Promise<void>;
}

/**
 * A fresh, empty database on the TEST_DATABASE_URL server, for tests that run
 * Berth as a separate process; undefined when testing on PGlite.
 */
export async function createScratchPostgres(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) return undefined;
  const name = `berth_test_${randomBytes(6).toString('hex')}`;
  await onServer(serverUrl, `create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => onServer(serverUrl, `drop database if exists ${name} with (force)`) };
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

/**
 * An isolated, migrated database for one test file: a fresh in-memory PGlite
 * (from the run's snapshot, see global-setup), or, when TEST_DATABASE_URL is
 * set, a new database created on that server and dropped afterwards.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const scratch = await createScratchPostgres();
  if (!scratch) {
    const database = await openDatabase({ memory: true, snapshot: new Blob([await fs.readFile(DATABASE_SNAPSHOT)]) });
    return { ...database, dispose: () => database.close() };
  }
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
