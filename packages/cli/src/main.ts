import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
const USAGE = `Usage: berth <command>

Commands:
  server         Run the Berth server (API and web app) on BERTH_HOST:BERTH_PORT
  build-image    Build the default development image (Debian, via debootstrap) if missing

Configuration is read from environment variables; see the README.`;

/** In a checkout, `npm start` serves a built web app: build it the first time. */
async function buildWebIfMissing(): Promise<void> {
  const webRoot = fileURLToPath(new URL('../../web', import.meta.url));
  if (process.env.BERTH_WEB_DIR || !existsSync(path.join(webRoot, 'package.json')) || existsSync(path.join(webRoot, 'dist', 'index.html'))) return;
  process.stdout.write('Building the web app (first start only)…\n');
  const { build } = await import('vite');
  await build({ root: webRoot, logLevel: 'warn' });
}

export async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (command === 'server') {
    await buildWebIfMissing();
    const { runServer } = await import('@berth/server');
    try {
      await runServer();
    } catch (err) {
      // Startup problems (configuration, a busy port or data directory) are the operator's to fix: say what, not where.
      process.stderr.write(`berth server: ${(err as Error).message}\n`);
      return 1;
    }
    return -1; // keeps running until a signal
  }
  if (command === 'build-image') {
    const { buildDefaultImage } = await import('@berth/server');
    try {
      await buildDefaultImage(process.env, (line) => process.stdout.write(`${line}\n`));
      return 0;
    } catch (err) {
      process.stderr.write(`berth build-image: ${(err as Error).message}\n`);
      return 1;
    }
  }
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  process.stderr.write(`berth: unknown command "${command}"\n\n${USAGE}\n`);
  return 1;
}
