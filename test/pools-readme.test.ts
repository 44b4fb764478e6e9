import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Environment, WarmPool } from '@berth/contracts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readmeBlock } from './support/readme.js';
import { ADMIN, startTestServer, type TestServer } from './support/server.js';
import { waitFor } from './support/wait.js';

/** The README's warm pool, as an administrator runs it after the walkthrough: its shell blocks, run by bash against a real Berth. */
let server: TestServer;
let url: string;
let dir: string;

beforeAll(async () => {
  server = await startTestServer({ BERTH_POOL_CHECK_MS: '300' });
  url = await server.app.listen({ host: '127.0.0.1', port: 0 });
  dir = await mkdtemp(path.join(os.tmpdir(), 'berth-readme-'));
});

afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs shell lines in bash, in the walkthrough's folder (its cookie jar), keeping its variables from one part to the next. */
async function run(lines: string): Promise<string> {
  const script = `set -eu\nif [ -f vars.sh ]; then . ./vars.sh; fi\n${lines}\nfor v in B TOKEN; do declare -p $v; done > vars.sh\n`;
  const { stdout } = await promisify(execFile)('bash', ['-c', script], { cwd: dir, env: { PATH: process.env.PATH }, timeout: 60_000 });
  return stdout;
}

it('keeps a pool that a create then claims from, as the README says', async () => {
  const signIn = (await readmeBlock('## Walkthrough: sign in, create a user and a token, call the API', 'sh'))
    .replace('B=http://127.0.0.1:8080', `B=${url}`)
    .replace('change-me-please', ADMIN.password);
  const [setUp, claim] = (await readmeBlock('### Warm pools', 'sh')).split('# Once it is ready');
  expect(setUp && claim, 'the section has its two steps').toBeTruthy();

  await run(signIn);
  // curl prints the new pool, then the list with it (no newline between them).
  expect(await run(setUp!)).toMatch(/^\{"id":"[0-9a-f-]{36}","machineType":"small".*"size":2.*\}\{"items":\[\{"id"/);
  const admin = await server.login(ADMIN.username, ADMIN.password);
  const [made] = (await admin.api.call('pools.list')).items;
  expect(made).toMatchObject({ machineType: 'small', size: 2 });
  // A reader looks at the pool until it is ready.
  await waitFor('the README\'s pool to be ready', async () => (await admin.api.call('pools.list')).items.find((p: WarmPool) => p.id === made!.id)?.ready === 2, 60_000);

  const env = JSON.parse(await run(`# Once it is ready${claim}`)) as Environment;
  expect(env).toMatchObject({ status: 'running', type: 'small', owner: { username: ADMIN.username } });
});
