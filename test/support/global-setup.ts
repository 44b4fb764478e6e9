import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { snapshotDatabase } from '../../packages/server/src/db/client.js';
import { ensureTestImage } from './images.js';
import { DATABASE_SNAPSHOT, WEB_BUILD } from './paths.js';

export { WEB_BUILD };

const WEB = fileURLToPath(new URL('../../packages/web', import.meta.url));

/** Runs once before all test files: the tiny image environments use, the database snapshot, and the built web app. */
export default async function setup(): Promise<void> {
  await ensureTestImage();
  await writeDatabaseSnapshot();
  // While iterating on server code, BERTH_TEST_REUSE_WEB=1 keeps the last build (CI never sets it).
  if (process.env.BERTH_TEST_REUSE_WEB === '1' && existsSync(path.join(WEB_BUILD, 'index.html'))) return;
  // Browser tests get a build of their own, so a developer's rebuild cannot pull it from under them.
  // Vitest runs with NODE_ENV=test, which would give React's development build.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ root: WEB, mode: 'production', logLevel: 'warn', build: { outDir: WEB_BUILD, emptyOutDir: true } });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
}

/**
 * PGlite's initdb takes seconds of CPU, and a run opens a hundred databases: each starts from this
 * copy instead. Written whole under another name and renamed, so a concurrent run never reads half of one.
 */
async function writeDatabaseSnapshot(): Promise<void> {
  const partial = `${DATABASE_SNAPSHOT}.${process.pid}`;
  await fs.mkdir(path.dirname(DATABASE_SNAPSHOT), { recursive: true });
  await fs.writeFile(partial, Buffer.from(await (await snapshotDatabase()).arrayBuffer()));
  await fs.rename(partial, DATABASE_SNAPSHOT);
}
