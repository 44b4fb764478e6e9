import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Environment } from '@berth/contracts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEV_IMAGE } from '../packages/server/src/runtime/docker/images.js';
import { readmeBlock } from './support/readme.js';
import { startTestServer, type TestServer } from './support/server.js';

/**
 * The README promises that its agent script works as written with three
 * variables set: this runs that very script, taken from the README, in its own
 * Node process, against a Berth on the real default image (Debian, python3; /home/user is
 * its user's home, with the shell's dotfiles).
 */
let server: TestServer;
let url: string;

beforeAll(async () => {
  server = await startTestServer({ BERTH_DEFAULT_IMAGE: DEV_IMAGE });
  url = await server.app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await server?.close();
});

it('runs the README\'s agent script unchanged with the three variables it names', async () => {
  const { caller } = await server.signUp('readme-agent', 'a-long-enough-password');
  const token = (await caller.post('/api/v1/tokens', { name: 'agent' })).json<{ token: string }>().token;
  // Inside the repository, so `import 'e2b'` resolves as it does in a project that installed it.
  const file = path.resolve('test-artifacts/readme-agent.mjs');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, await readmeBlock('## Use Berth as a self-hosted E2B', 'js'));

  const { stdout } = await promisify(execFile)(process.execPath, [file], {
    env: { PATH: process.env.PATH, E2B_API_KEY: token, E2B_API_URL: url, E2B_SANDBOX_URL: url },
    timeout: 120_000,
  });

  expect(stdout).toBe(`${[0, 1, 1, 2, 3, 5, 8, 13, 21, 34].join('\n')}\nexit code 0; files: [ '.bash_logout', '.bashrc', '.profile', 'fib.py' ]\n`);
  const environments = (await caller.get('/api/v1/environments')).json<{ items: Environment[] }>().items;
  expect(environments.map((e) => [e.origin, e.desiredState])).toEqual([['e2b', 'deleted']]);
});
