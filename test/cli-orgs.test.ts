import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CreatedToken, Environment, Member, Organization, Team } from '@berth/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBerth, type Run } from './support/cli.js';
import { startTestServer, type TestServer } from './support/server.js';
import { waitFor } from './support/wait.js';

// `berth org …` and `--org` as users run them: real subprocesses, each person with a HOME of their own,
// against a real server (and Docker for the one environment that is shared).

const PASSWORD = { alice: 'alice-password-1234', bob: 'bob-password-1234', carol: 'carol-password-1234' };
type Person = keyof typeof PASSWORD;
const ENV_NAME = 'acme-box';

let server: TestServer;
let url: string;
let root: string;
const homes = {} as Record<Person, string>;

/** Runs berth as a person (their HOME); `input` is all its stdin gives (none: closed at once). */
const berth = (who: Person, args: string[], input = '', env: Record<string, string> = {}): Promise<Run> => runBerth(args, { home: homes[who], input, env });

/** Runs and insists on exit code 0, showing stderr when not. */
async function ok(who: Person, args: string[], input?: string): Promise<Run> {
  const run = await berth(who, args, input);
  expect(run.code, `${who}: berth ${args.join(' ')}\n${run.stderr}`).toBe(0);
  return run;
}

/** Runs and insists on exit code 1. */
async function fails(who: Person, args: string[]): Promise<Run> {
  const run = await berth(who, args);
  expect(run.code, `${who}: berth ${args.join(' ')} should fail\n${run.stdout}`).toBe(1);
  return run;
}

const configFile = (who: Person) => path.join(homes[who], '.config/berth/config.json');

interface SavedConfig {
  url: string;
  username: string;
  org: string;
  token: string;
  orgs: Record<string, { token: string; tokenId?: string }>;
}
const saved = async (who: Person) => JSON.parse(await readFile(configFile(who), 'utf8')) as SavedConfig;

/** The environment names a person's `env ls --json` shows. */
async function envNames(who: Person, args: string[] = []): Promise<string[]> {
  return (JSON.parse((await ok(who, ['env', 'ls', '--json', ...args])).stdout) as Environment[]).map((e) => e.name);
}

beforeAll(async () => {
  server = await startTestServer();
  url = await server.app.listen({ host: '127.0.0.1', port: 0 });
  root = await mkdtemp(path.join(os.tmpdir(), 'berth-cli-orgs-'));
  for (const who of Object.keys(PASSWORD) as Person[]) {
    await server.createUser(who, PASSWORD[who]);
    homes[who] = path.join(root, who);
    await mkdir(homes[who]);
  }
});
afterAll(async () => {
  await server?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('berth org (subprocesses against a real server)', () => {
  it('lists org and --org in the help of the CLI, and every org command in its own', async () => {
    const all = (await ok('alice', ['--help'])).stdout;
    expect(all).toMatch(/^ {2}org\s+Organizations/m);
    expect(all).toMatch(/--org SLUG/);
    const help = (await ok('alice', ['org', '--help'])).stdout;
    for (const command of ['ls', 'create SLUG', 'switch SLUG', 'members', 'invite USERNAME', 'invite --link', 'invitations', 'accept ID', 'remove USERNAME', 'teams', 'team create', 'team add', 'team remove', 'suspend', 'reactivate', 'delete SLUG']) {
      expect(help).toContain(`  ${command}`);
    }
  });

  it('login saves a token of the personal organization, current, in a 0600 file that holds no password', async () => {
    const run = await ok('alice', ['login', url, '--username', 'alice', '--password', PASSWORD.alice]);
    expect(run.stderr).toContain(`Logged in to ${url} as alice in alice`);
    expect((await stat(configFile('alice'))).mode & 0o777).toBe(0o600);
    const config = await saved('alice');
    expect(config).toMatchObject({ url, username: 'alice', org: 'alice' });
    expect(Object.keys(config.orgs)).toEqual(['alice']);
    expect(await readFile(configFile('alice'), 'utf8')).not.toContain(PASSWORD.alice);
    expect((await server.withToken(config.orgs.alice!.token).get('/api/v1/me')).json<{ username: string }>().username).toBe('alice');
  });

  it('org create waits until the organization is active; org ls shows it beside the personal one, marking the current', async () => {
    const made = await ok('alice', ['org', 'create', 'acme', '--name', 'Acme Corp']);
    expect(made.stderr).toMatch(/acme is active/);
    const table = (await ok('alice', ['org', 'ls'])).stdout;
    expect(table).toMatch(/^\s+SLUG\s+NAME\s+ROLE\s+STATUS$/m);
    expect(table).toMatch(/^\*\s+alice\s+alice\s+owner\s+active$/m);
    expect(table).toMatch(/^\s+acme\s+Acme Corp\s+owner\s+active$/m);
    const listed = JSON.parse((await ok('alice', ['org', 'ls', '--json'])).stdout) as (Organization & { current: boolean })[];
    expect(listed.map((o) => [o.slug, o.personal, o.current])).toEqual([
      ['alice', true, true],
      ['acme', false, false],
    ]);
  });

  it('org switch signs in for a token of the organization (password read from stdin) and makes it current', async () => {
    const run = await ok('alice', ['org', 'switch', 'acme'], `${PASSWORD.alice}\n`);
    expect(run.stderr).toContain('Now working in acme');
    const config = await saved('alice');
    expect(config.org).toBe('acme');
    expect(Object.keys(config.orgs).sort()).toEqual(['acme', 'alice']);
    expect(config.orgs.acme!.token).not.toBe(config.orgs.alice!.token);
    expect((await stat(configFile('alice'))).mode & 0o777).toBe(0o600);
    expect(await readFile(configFile('alice'), 'utf8')).not.toContain(PASSWORD.alice);
    expect((await ok('alice', ['whoami'])).stdout).toMatch(/^alice on .* in acme$/m);
    expect((await ok('alice', ['org', 'ls'])).stdout).toMatch(/^\*\s+acme\s+Acme Corp/m);
    // Back and forth with saved tokens needs no password (stdin is closed here).
    await ok('alice', ['org', 'switch', 'alice']);
    expect((await saved('alice')).org).toBe('alice');
    await ok('alice', ['org', 'switch', 'acme']);
  });

  it('invites bob, who sees the invitation in org invitations and joins with org accept', async () => {
    const invited = await ok('alice', ['org', 'invite', 'bob']);
    const id = invited.stdout.trim();
    expect(invited.stderr).toContain(`Invited bob to acme as member; they accept with \`berth org accept ${id}\``);

    await ok('bob', ['login', url, '--username', 'bob', '--password', PASSWORD.bob]);
    const mine = (await ok('bob', ['org', 'invitations'])).stdout;
    expect(mine).toMatch(new RegExp(`^${id}\\s+acme\\s+member\\s+alice\\s`, 'm'));
    expect((await ok('bob', ['org', 'accept', id])).stderr).toContain('Joined acme as member; work in it with `berth org switch acme`');
    expect((await ok('bob', ['org', 'invitations'])).stdout).toMatch(/No invitations for you/);
    expect((await ok('bob', ['org', 'ls'])).stdout).toMatch(/^\s+acme\s+Acme Corp\s+member\s+active$/m);
  });

  it('makes a single-use link with invite --link, printing its secret once, that carol joins with', async () => {
    const link = await ok('alice', ['org', 'invite', '--link', '--role', 'viewer']);
    const secret = link.stdout.trim();
    expect(link.stderr).toMatch(/single-use link to join acme as viewer/);
    await ok('carol', ['login', url, '--username', 'carol', '--password', PASSWORD.carol]);
    expect((await ok('carol', ['org', 'accept', secret])).stderr).toContain('Joined acme as viewer');
    // Single use: the second time, the server knows it no more.
    const again = await fails('carol', ['org', 'accept', secret]);
    expect(again.stderr).toMatch(/^berth: .*Invitation was not found \(not_found\)$/m);
    expect(again.stderr).toMatch(/hint: list yours with `berth org invitations`/);
  });

  it('org switch with --password gives bob a token of acme; --org picks a saved token for one command', async () => {
    expect((await fails('bob', ['env', 'ls', '--org', 'acme'])).stderr).toMatch(/no token saved for organization "acme"[\s\S]*hint: run `berth org switch acme`/);
    await ok('bob', ['org', 'switch', 'acme', '--password', PASSWORD.bob]);
    expect((await saved('bob')).org).toBe('acme');
    await ok('bob', ['org', 'switch', 'bob']);
    expect((await ok('bob', ['whoami', '--org', 'acme'])).stdout).toMatch(/ in acme$/m);
    expect((await ok('bob', ['--org', 'acme', 'whoami'])).stdout).toMatch(/ in acme$/m);
    expect((await ok('bob', ['whoami'])).stdout).toMatch(/ in bob$/m);
  });

  it('env ls follows the organization in use: alice\'s acme environment in acme, none in her own', async () => {
    const made = await ok('alice', ['env', 'create', '--type', 'small', '--name', ENV_NAME, '--wait']);
    expect(made.stdout.trim()).toBe(ENV_NAME);
    expect(await envNames('alice')).toEqual([ENV_NAME]);
    expect(await envNames('alice', ['--org', 'alice'])).toEqual([]);
    expect(await envNames('alice', ['--org=acme'])).toEqual([ENV_NAME]);
    // A member sees what is shared with them, and it is not yet.
    expect(await envNames('bob', ['--org', 'acme'])).toEqual([]);
  }, 90_000);

  it('makes a team and puts bob in it; org teams lists it with its members', async () => {
    expect((await ok('alice', ['org', 'teams'])).stdout).toMatch(/No teams yet/);
    await ok('alice', ['org', 'team', 'create', 'core', '--name', 'Core']);
    expect((await ok('alice', ['org', 'team', 'add', 'core', 'bob', '--role', 'maintainer'])).stderr).toContain('bob is in team core as maintainer');
    await ok('alice', ['org', 'team', 'add', 'core', 'carol']);
    expect((await ok('bob', ['org', 'teams', '--org', 'acme'])).stdout).toMatch(/^core\s+Core\s+bob \(maintainer\), carol$/m);
    await ok('alice', ['org', 'team', 'remove', 'core', 'carol']);
    const teams = JSON.parse((await ok('alice', ['org', 'teams', '--json'])).stdout) as Team[];
    expect(teams.map((t) => [t.slug, t.members.map((m) => [m.user.username, m.role])])).toEqual([['core', [['bob', 'maintainer']]]]);
  });

  it('env share gives the team the environment at a level; env unshare takes it back', async () => {
    const shared = await ok('alice', ['env', 'share', ENV_NAME, 'core', '--level', 'use']);
    expect(shared.stdout).toMatch(/^core\s+use$/m);
    expect(await envNames('bob', ['--org', 'acme'])).toEqual([ENV_NAME]);
    expect((await ok('bob', ['exec', ENV_NAME, '--org', 'acme', '--', 'echo', 'shared'])).stdout).toBe('shared\n');

    await ok('alice', ['env', 'unshare', ENV_NAME, 'core']);
    expect(await envNames('bob', ['--org', 'acme'])).toEqual([]);
    expect((await fails('alice', ['env', 'share', ENV_NAME, 'no-such-team', '--level', 'view'])).stderr).toMatch(/no team "no-such-team" in acme/);
  });

  it('org members shows everyone with their role', async () => {
    const table = (await ok('alice', ['org', 'members'])).stdout;
    expect(table).toMatch(/^USERNAME\s+ROLE\s+JOINED$/m);
    expect(table).toMatch(/^alice\s+owner\s/m);
    expect(table).toMatch(/^bob\s+member\s/m);
    expect(table).toMatch(/^carol\s+viewer\s/m);
    const members = JSON.parse((await ok('bob', ['org', 'members', '--org', 'acme', '--json'])).stdout) as Member[];
    expect(Object.fromEntries(members.map((m) => [m.user.username, m.role]))).toEqual({ alice: 'owner', bob: 'member', carol: 'viewer' });
  });

  it('tokens create --scope makes a token that may do no more: a read one lists, never creates', async () => {
    const created = await ok('bob', ['tokens', 'create', 'reader', '--scope', 'read', '--json']);
    const { token, scope } = JSON.parse(created.stdout) as { token: string; scope: string };
    expect(scope).toBe('read');
    expect((await ok('bob', ['tokens', 'ls'])).stdout).toMatch(/^reader\s+read\s/m);
    const url = (await saved('bob')).url;
    const asReader = { BERTH_URL: url, BERTH_TOKEN: token };
    expect((await berth('bob', ['env', 'ls'], '', asReader)).code).toBe(0);
    const refused = await berth('bob', ['env', 'create', '--type', 'small'], '', asReader);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/token_scope/);
    expect((await fails('bob', ['tokens', 'create', 'x', '--scope', 'root'])).stderr).toMatch(/--scope is one of read, exec, admin/);
  });

  it('refuses bad input with a usage error or a clear message, and exit 1', async () => {
    const role = await fails('alice', ['org', 'invite', 'carol', '--role', 'superuser']);
    expect(role.stderr).toMatch(/^berth: --role is one of admin, member, viewer$/m);
    expect(role.stderr).toContain('Usage: berth org <command>');
    expect((await fails('alice', ['org', 'team', 'add', 'core', 'carol', '--role', 'boss'])).stderr).toMatch(/--role is one of maintainer, member/);
    expect((await fails('alice', ['env', 'share', ENV_NAME, 'core', '--level', 'admin'])).stderr).toMatch(/--level is one of view, use/);
    expect((await fails('alice', ['org', 'invite'])).stderr).toMatch(/invite one user .* or make a link/);
    expect((await fails('alice', ['org', 'frobnicate'])).stderr).toMatch(/unknown command "org frobnicate"/);
    expect((await fails('alice', ['env', 'ls', '--org'])).stderr).toMatch(/--org wants an organization slug/);

    const unknown = await fails('alice', ['env', 'ls', '--org', 'nowhere']);
    expect(unknown.stderr).toMatch(/^berth: no token saved for organization "nowhere"$/m);
    expect(unknown.stderr).toMatch(/hint: run `berth org switch nowhere`/);
    const notMine = await fails('alice', ['org', 'switch', 'nowhere', '--password', PASSWORD.alice]);
    expect(notMine.stderr).toMatch(/you are not a member of an organization "nowhere"/);
    expect((await saved('alice')).org).toBe('acme');
    // Signing in for a token wants a password: none on a closed stdin is a usage error.
    expect((await fails('carol', ['org', 'switch', 'acme'])).stderr).toMatch(/no password: pass --password, type it on a terminal, or pipe it on stdin/);
    // A wrong password saves nothing and says so.
    expect((await fails('carol', ['org', 'switch', 'acme', '--password', 'not-her-password'])).stderr).toMatch(/\(unauthorized\)/);
    expect(Object.keys((await saved('carol')).orgs)).toEqual(['carol']);
  }, 60_000);

  it('org remove ends bob\'s membership: his saved acme token is refused with a clear message', async () => {
    expect((await ok('alice', ['org', 'remove', 'bob'])).stderr).toContain('Removed bob from acme');
    const refused = await fails('bob', ['env', 'ls', '--org', 'acme']);
    expect(refused.stderr).toMatch(/\(unauthorized\)/);
    expect(refused.stderr).toMatch(/hint: the token saved for organization "acme" was refused: .*you are no longer a member of acme/);
    expect((await fails('bob', ['org', 'switch', 'acme', '--password', PASSWORD.bob])).stderr).toMatch(/you are not a member of an organization "acme"/);
    // His own organization is untouched.
    expect(await envNames('bob')).toEqual([]);
    expect((await ok('bob', ['org', 'ls'])).stdout).not.toContain('acme');
  });

  it('suspends the organization and reactivates it, signing in with the password its read-only tokens need', async () => {
    expect((await ok('alice', ['org', 'suspend'])).stderr).toContain('Suspended acme');
    expect((await ok('alice', ['org', 'ls'])).stdout).toMatch(/^\*\s+acme\s+Acme Corp\s+owner\s+suspended$/m);
    expect((await fails('alice', ['org', 'team', 'create', 'late'])).stderr).toMatch(/\(organization_suspended\)/);
    await ok('alice', ['org', 'reactivate', 'acme', '--password', PASSWORD.alice]);
    expect((await ok('alice', ['org', 'ls'])).stdout).toMatch(/^\*\s+acme\s+Acme Corp\s+owner\s+active$/m);
  });

  it('org delete wants --yes, then deletes the organization and forgets its token', async () => {
    expect((await fails('alice', ['org', 'delete', 'acme'])).stderr).toMatch(/add --yes to confirm/);
    expect((await ok('alice', ['org', 'delete', 'acme', '--yes'])).stderr).toContain('Deleting acme');
    const config = await saved('alice');
    expect(config.org).toBe('alice');
    expect(Object.keys(config.orgs)).toEqual(['alice']);
    await waitFor('acme to be gone from alice\'s organizations', async () => !(await ok('alice', ['org', 'ls'])).stdout.includes('acme'), 30_000, 200);
  }, 40_000);

  it('reads a config file from before organizations as the personal organization\'s token', async () => {
    const session = await server.login('carol', PASSWORD.carol);
    const created = (await session.post('/api/v1/tokens', { name: 'old berth' })).json<CreatedToken>();
    await writeFile(configFile('carol'), JSON.stringify({ url, token: created.token, tokenId: created.id, username: 'carol' }), { mode: 0o600 });
    expect((await ok('carol', ['whoami'])).stdout).toMatch(/^carol on .* in carol$/m);
    expect((await ok('carol', ['org', 'ls'])).stdout).toMatch(/^\*\s+carol\s+carol\s+owner\s+active$/m);
    await ok('carol', ['logout']);
    expect((await server.withToken(created.token).get('/api/v1/me')).statusCode).toBe(401);
  });

  it('logout revokes every saved token, one per organization', async () => {
    await ok('alice', ['org', 'create', 'beta']);
    await ok('alice', ['login', url, '--org', 'beta', '--username', 'alice', '--password', PASSWORD.alice]);
    const alice = await saved('alice');
    expect(alice.org).toBe('beta');
    expect(Object.keys(alice.orgs).sort()).toEqual(['alice', 'beta']);
    const all = Object.values(alice.orgs).map((t) => t.token);
    await ok('alice', ['logout']);
    for (const token of all) expect((await server.withToken(token).get('/api/v1/me')).statusCode).toBe(401);
    await expect(stat(configFile('alice'))).rejects.toThrow();
    expect((await fails('alice', ['org', 'ls'])).stderr).toMatch(/not logged in/);
  });
});
