import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { ensureTestImage } from './images.js';
import { WEB_BUILD } from './paths.js';

export { WEB_BUILD };

const WEB = fileURLToPath(new URL('../../packages/web', import.meta.url));

/** Runs once before all test files: the tiny image environments use, and the built web app. */
export default async function setup(): Promise<void> {
  await ensureTestImage();
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
