import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { startEmbeddedPostgres } from '../../packages/server/src/db/embedded-postgres.js';
import { ensureTestImage } from './images.js';
import { WEB_BUILD } from './paths.js';

export { WEB_BUILD };

const WEB = fileURLToPath(new URL('../../packages/web', import.meta.url));

/** Runs once before all test files: the tiny image environments use, the database server, and the built web app. */
export default async function setup(): Promise<() => Promise<void>> {
  await ensureTestImage();
  const stopDatabase = process.env.TEST_DATABASE_URL ? async () => undefined : await startEmbeddedServer();
  // While iterating on server code, BERTH_TEST_REUSE_WEB=1 keeps the last build (CI never sets it).
  if (process.env.BERTH_TEST_REUSE_WEB === '1' && existsSync(path.join(WEB_BUILD, 'index.html'))) return stopDatabase;
  // Browser tests get a build of their own, so a developer's rebuild cannot pull it from under them.
  // Vitest runs with NODE_ENV=test, which would give React's development build.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ root: WEB, mode: 'production', logLevel: 'warn', build: { outDir: WEB_BUILD, emptyOutDir: true } });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
  return stopDatabase;
}

/**
 * Without TEST_DATABASE_URL, the run's databases are on an embedded PostgreSQL, as Berth's own
 * default is: one server in a folder of the run's (each file makes a database of its own there),
 * named to the test files by BERTH_TEST_EMBEDDED_URL. Stopped (and its folder removed) when the run ends.
 */
async function startEmbeddedServer(): Promise<() => Promise<void>> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-test-pg-'));
  // Every test file's Berth holds up to 10 connections (a file may run several), with three files at a
  // time: Berth's own 40 would run out (a login then failed with 500, "too many clients already").
  const server = await startEmbeddedPostgres(path.join(dir, 'postgres'), { maxConnections: 300 });
  process.env.BERTH_TEST_EMBEDDED_URL = server.url('postgres');
  return async () => {
    await server.stop();
    await fs.rm(dir, { recursive: true, force: true });
  };
}
