import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Environment } from '@berth/contracts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { expectProblem } from './support/problem.js';
import { readmeBlock } from './support/readme.js';
import { ADMIN, startTestServer, type TestServer } from './support/server.js';
import { TerminalClient } from './support/terminal.js';
import { waitForStatus } from './support/wait.js';

/**
 * The README's organizations walkthrough, as a new user runs it: its shell
 * blocks, taken from the README, run by bash against a real Berth. Where a
 * reader waits (for the environment to run) the test waits; where the README
 * says the teammate opens the terminal, ada opens it, and sees it end when the
 * organization is suspended.
 */
let server: TestServer;
let url: string;
let dir: string;

beforeAll(async () => {
  server = await startTestServer();
  url = await server.app.listen({ host: '127.0.0.1', port: 0 });
  dir = await mkdtemp(path.join(os.tmpdir(), 'berth-readme-'));
});

afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs shell lines in bash, in the walkthrough's folder (its cookie jars), keeping its variables from one part to the next. */
async function run(lines: string): Promise<string> {
  const keep = 'for v in B TOKEN INV TEAM TEAM_ENV; do declare -p $v 2>/dev/null || true; done > vars.sh';
  const script = `set -eu\nif [ -f vars.sh ]; then . ./vars.sh; fi\n${lines}\n${keep}\n`;
  const { stdout } = await promisify(execFile)('bash', ['-c', script], { cwd: dir, env: { PATH: process.env.PATH }, timeout: 60_000 });
  return stdout;
}

it('creates an org, invites ada, shares an environment with her team at use; she works in it; suspending stops it all', async () => {
  const signIn = (await readmeBlock('## Walkthrough: sign in, create a user and a token, call the API', 'sh'))
    .replace('B=http://127.0.0.1:8080', `B=${url}`)
    .replace('change-me-please', ADMIN.password);
  const orgs = await readmeBlock('### Organizations, teams and roles', 'sh');
  const [setUp, rest] = orgs.split('# Once it runs, ada uses it');
  const [adaWorks, suspend] = rest!.split('# Suspend acme');
  expect(setUp && adaWorks && suspend, 'the walkthrough has its three steps').toBeTruthy();

  await run(signIn);
  await run(setUp!);
  const teamEnv = /TEAM_ENV="?([0-9a-f-]{36})/.exec(await readFile(path.join(dir, 'vars.sh'), 'utf8'))![1]!;
  // A reader waits for the environment to run before using it.
  const admin = await server.login(ADMIN.username, ADMIN.password);
  await waitForStatus(admin, teamEnv, 'running');

  expect(await run(`# Once it runs, ada uses it${adaWorks}`)).toContain('"stdout":"hello from the team box\\n"');
  const ada = await server.login('ada', 'correct-horse-battery');
  expect((await ada.get(`/api/v1/environments/${teamEnv}`)).json<Environment>()).toMatchObject({ name: 'team-box', access: 'use' });
  const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'ada', password: 'correct-horse-battery' }) });
  const terminal = TerminalClient.open(`${url.replace('http', 'ws')}/api/v1/environments/${teamEnv}/terminal?session=ada`, { cookie: login.headers.get('set-cookie')!.split(';')[0]! });
  await terminal.opened;
  terminal.type('echo ada-was-here-$((6*7))\n');
  await terminal.expect(/ada-was-here-42/);

  expect(await run(`# Suspend acme${suspend}`)).toContain('"desiredState":"stopped"');
  await waitForStatus(admin, teamEnv, 'stopped');
  // Her terminal ended with the environment; nothing of acme starts again while it is suspended.
  expect(await terminal.closed).toEqual(expect.any(Number));
  expectProblem(await admin.post(`/api/v1/environments/${teamEnv}/start`), 403, 'organization_suspended');
  expectProblem(await admin.post('/api/v1/environments', { type: 'small' }, { 'berth-org': 'acme' }), 403, 'organization_suspended');
}, 180_000);
