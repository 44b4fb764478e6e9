import type { Environment } from '@berth/contracts';
import { expect, it } from 'vitest';
import { expectProblem } from './support/problem.js';
import { readmeBlock } from './support/readme.js';
import { useReadmeShell } from './support/readme-shell.js';
import { ADMIN } from './support/server.js';
import { TerminalClient } from './support/terminal.js';
import { waitForStatus } from './support/wait.js';

/**
 * The README's organizations walkthrough, as a new user runs it: its shell
 * blocks, taken from the README, run by bash against a real Berth. Where a
 * reader waits (for the environment to run) the test waits; where the README
 * says the teammate opens the terminal, ada opens it, and sees it end when the
 * organization is suspended.
 */
const shell = useReadmeShell({ keep: ['INV', 'TEAM', 'TEAM_ENV'] });

it('creates an org, invites ada, shares an environment with her team at use; she works in it; suspending stops it all', async () => {
  const { server, url, run } = shell;
  const orgs = await readmeBlock('### Organizations, teams and roles', 'sh');
  const [setUp, rest] = orgs.split('# Once it runs, ada uses it');
  const [adaWorks, suspend] = rest!.split('# Suspend acme');
  expect(setUp && adaWorks && suspend, 'the walkthrough has its three steps').toBeTruthy();

  await shell.signIn();
  await run(setUp!);
  const teamEnv = (await shell.variable('TEAM_ENV'))!;
  expect(teamEnv).toMatch(/^[0-9a-f-]{36}$/);
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
