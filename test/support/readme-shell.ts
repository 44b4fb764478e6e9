import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';
import { readmeBlock } from './readme.js';
import { ADMIN, startTestServer, type TestServer } from './server.js';

/**
 * The README's shell blocks, run by bash as a reader runs them, against a real Berth listening on a
 * port (started in beforeAll, closed in afterAll). Each run keeps the variables named in `keep`
 * (and `B` and `TOKEN`, the walkthrough's) for the next, in the walkthrough's folder (its cookie jars).
 */
export function useReadmeShell(options: { env?: Record<string, string>; keep?: string[] } = {}) {
  let server: TestServer | undefined;
  let url = '';
  let dir = '';
  const keep = `for v in ${['B', 'TOKEN', ...(options.keep ?? [])].join(' ')}; do declare -p $v 2>/dev/null || true; done > vars.sh`;

  beforeAll(async () => {
    server = await startTestServer(options.env);
    url = await server.app.listen({ host: '127.0.0.1', port: 0 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'berth-readme-'));
  });

  afterAll(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function run(lines: string): Promise<string> {
    const script = `set -eu\nif [ -f vars.sh ]; then . ./vars.sh; fi\n${lines}\n${keep}\n`;
    const { stdout } = await promisify(execFile)('bash', ['-c', script], { cwd: dir, env: { PATH: process.env.PATH }, timeout: 60_000 });
    return stdout;
  }

  return {
    get server(): TestServer {
      return server!;
    },
    get url(): string {
      return url;
    },
    /** The folder the blocks run in. */
    get dir(): string {
      return dir;
    },
    run,
    /** The walkthrough's first block, on this server, with the admin's password: signs in ($B, the jar, $TOKEN). */
    async signIn(): Promise<string> {
      const block = await readmeBlock('## Walkthrough: sign in, create a user and a token, call the API', 'sh');
      return run(block.replace('B=http://127.0.0.1:8080', `B=${url}`).replace('change-me-please', ADMIN.password));
    },
    /** A variable a run kept. */
    async variable(name: string): Promise<string | undefined> {
      return new RegExp(`${name}="?([^"\\n]*)`).exec(await readFile(path.join(dir, 'vars.sh'), 'utf8'))?.[1];
    },
  };
}
