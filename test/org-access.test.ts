import type { AuditEntry, CreatedInvitation, Environment, ExecResult, Invitation, Member, Organization, Team } from '@berth/contracts';
import { beforeAll, describe, expect, it } from 'vitest';
import { inOrg } from './support/orgs.js';
import { expectProblem } from './support/problem.js';
import type { Caller } from './support/server.js';
import { useTestServer } from './support/test-server.js';
import { TerminalClient } from './support/terminal.js';
import { waitFor, waitForStatus } from './support/wait.js';

/**
 * One organization, "acme", as its people see it: olga owns it, adam is an
 * admin, mia and max are members (mia in the team "core", max in none), vic is
 * a viewer in "core", and out is in no organization of theirs.
 */
const PASSWORD = 'a-long-enough-password';
const people = ['olga', 'adam', 'mia', 'max', 'vic', 'out'] as const;
type Person = (typeof people)[number];
const { server, admin, users: as } = useTestServer({ users: people });
let base: string;
/** A caller acting in acme: the Berth-Org header on every request. */
const inAcme = (caller: Caller): Caller => inOrg(caller, 'acme');
let coreTeam: string;
/** Olga's environment in acme, shared with core at `use`. */
let shared: Environment;

async function invite(username: string, role: 'admin' | 'member' | 'viewer'): Promise<void> {
  const res = await as.olga.post('/api/v1/orgs/acme/invitations', { username, role });
  expect(res.statusCode, res.body).toBe(201);
  const accepted = await as[username as Person].post(`/api/v1/invitations/${res.json<CreatedInvitation>().id}/accept`);
  expect(accepted.statusCode, accepted.body).toBe(200);
}

const exec = (caller: Caller, envId: string) => caller.post(`/api/v1/environments/${envId}/exec`, { command: ['echo', 'in'] });
const audit = async (action: string) => (await admin.get(`/api/v1/audit?action=${action}&limit=50`)).json<{ items: AuditEntry[] }>().items;

beforeAll(async () => {
  base = await server.app.listen({ host: '127.0.0.1', port: 0 });
  const made = await as.olga.post('/api/v1/orgs', { slug: 'acme', name: 'Acme Corp' });
  expect(made.statusCode, made.body).toBe(202);
  expect(made.json<Organization>()).toMatchObject({ slug: 'acme', status: 'provisioning', role: 'owner', personal: false });
  await waitFor('acme to be provisioned', async () => (await as.olga.get('/api/v1/orgs/acme')).json<Organization>().status === 'active');
  await invite('adam', 'admin');
  await invite('mia', 'member');
  await invite('max', 'member');
  await invite('vic', 'viewer');
  const team = await as.olga.post('/api/v1/orgs/acme/teams', { slug: 'core', name: 'Core' });
  expect(team.statusCode, team.body).toBe(201);
  coreTeam = team.json<Team>().id;
  for (const [username, role] of [['mia', 'member'], ['vic', 'member']] as const) {
    expect((await as.olga.put(`/api/v1/orgs/acme/teams/core/members/${username}`, { role })).statusCode).toBe(200);
  }
  const env = await inAcme(as.olga).post('/api/v1/environments', { type: 'small', name: 'shared-box' });
  expect(env.statusCode, env.body).toBe(202);
  shared = await waitForStatus(as.olga, env.json<Environment>().id, 'running');
  expect((await as.olga.put(`/api/v1/environments/${shared.id}/shares/${coreTeam}`, { level: 'use' })).statusCode).toBe(200);
}, 120_000);

describe('an organization and its people', () => {
  it('lists its members with their roles, to any member, and to nobody else', async () => {
    const res = await as.vic.get('/api/v1/orgs/acme/members');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<{ items: Member[] }>().items.map((m) => [m.user.username, m.role])).toEqual([
      ['adam', 'admin'],
      ['max', 'member'],
      ['mia', 'member'],
      ['olga', 'owner'],
      ['vic', 'viewer'],
    ]);
    expectProblem(await as.out.get('/api/v1/orgs/acme/members'), 404, 'not_found');
  });

  it('refuses a name a user or another organization holds, whatever its letter case, with 409', async () => {
    expectProblem(await as.out.post('/api/v1/orgs', { slug: 'ACME', name: 'again' }), 409, 'conflict');
    expectProblem(await as.out.post('/api/v1/orgs', { slug: 'Mia', name: 'a user' }), 409, 'conflict');
    expectProblem(await admin.post('/api/v1/users', { username: 'acme', password: PASSWORD }), 409, 'conflict');
  });

  it('lets an invitation be accepted once, by the one invited alone, and shows it to them until then', async () => {
    const made = await as.olga.post('/api/v1/orgs/acme/invitations', { username: 'out', role: 'member' });
    expect(made.statusCode, made.body).toBe(201);
    const { id } = made.json<CreatedInvitation>();
    expect((await as.out.get('/api/v1/invitations')).json<{ items: Invitation[] }>().items.map((i) => i.id)).toEqual([id]);
    expectProblem(await as.max.post(`/api/v1/invitations/${id}/accept`), 404, 'not_found');
    const cancelled = await as.olga.delete(`/api/v1/orgs/acme/invitations/${id}`);
    expect(cancelled.statusCode).toBe(204);
    expectProblem(await as.out.post(`/api/v1/invitations/${id}/accept`), 404, 'not_found');
    expect((await as.out.get('/api/v1/invitations')).json<{ items: Invitation[] }>().items).toEqual([]);
  });

  it('lets a link be used once, its secret shown only when made and stored only as a hash', async () => {
    const made = await as.adam.post('/api/v1/orgs/acme/invitations', { role: 'viewer' });
    expect(made.statusCode, made.body).toBe(201);
    const { token, id } = made.json<CreatedInvitation>();
    expect(token).toMatch(/^berthinv_/);
    const listed = (await as.olga.get('/api/v1/orgs/acme/invitations')).json<{ items: (Invitation & { token?: string })[] }>().items.find((i) => i.id === id);
    expect(listed).toBeDefined();
    expect(listed!.token).toBeUndefined();
    const once = await (await server.signUp('linda', PASSWORD)).caller.post('/api/v1/invitations/accept', { token });
    expect(once.statusCode, once.body).toBe(200);
    expect(once.json<Organization>()).toMatchObject({ slug: 'acme', role: 'viewer' });
    expectProblem(await as.out.post('/api/v1/invitations/accept', { token }), 404, 'not_found');
    expectProblem(await as.out.post('/api/v1/invitations/accept', { token: `${token}x` }), 404, 'not_found');
    expect((await audit('org.join')).filter((a) => a.success).length).toBeGreaterThanOrEqual(5);
  });

  it('lets only owners and admins invite, and only owners make owners; the last owner stays one', async () => {
    expectProblem(await as.mia.post('/api/v1/orgs/acme/invitations', { username: 'out' }), 403, 'forbidden');
    expectProblem(await as.vic.post('/api/v1/orgs/acme/teams', { slug: 'mine', name: 'mine' }), 403, 'forbidden');
    expectProblem(await as.adam.patch('/api/v1/orgs/acme/members/max', { role: 'owner' }), 403, 'forbidden');
    expectProblem(await as.olga.patch('/api/v1/orgs/acme/members/olga', { role: 'admin' }), 409, 'conflict');
    expectProblem(await as.olga.delete('/api/v1/orgs/acme/members/olga'), 409, 'conflict');
    expect((await as.olga.get('/api/v1/orgs/acme')).json<Organization>().role).toBe('owner');
  });

  it('keeps a personal organization to its user: no invitations, no teams', async () => {
    expectProblem(await as.max.post('/api/v1/orgs/max/invitations', { username: 'out' }), 403, 'forbidden');
    expectProblem(await as.max.post('/api/v1/orgs/max/teams', { slug: 't', name: 't' }), 403, 'forbidden');
  });
});

describe('who may do what with an environment of the organization', () => {
  it('lets a team it is shared with at use run commands in it, and a member outside the team find nothing', async () => {
    const ran = await exec(as.mia, shared.id);
    expect(ran.statusCode, ran.body).toBe(200);
    expect(ran.json<ExecResult>().stdout).toBe('in\n');
    expectProblem(await exec(as.max, shared.id), 404, 'not_found');
    expectProblem(await exec(as.out, shared.id), 404, 'not_found');
  });

  it('lets a viewer in the team see it, its events and stats, but never touch it', async () => {
    const seen = await as.vic.get(`/api/v1/environments/${shared.id}`);
    expect(seen.statusCode).toBe(200);
    expect(seen.json<Environment>().access).toBe('view');
    expect((await as.vic.get(`/api/v1/environments/${shared.id}/events`)).statusCode).toBe(200);
    expectProblem(await exec(as.vic, shared.id), 403, 'forbidden');
    expectProblem(await as.vic.get(`/api/v1/environments/${shared.id}/files?path=`), 403, 'forbidden');
    expectProblem(await as.vic.post(`/api/v1/environments/${shared.id}/stop`), 403, 'forbidden');
  });

  it("keeps its lifecycle and sharing to its creator and the organization's owners and admins", async () => {
    expectProblem(await as.mia.post(`/api/v1/environments/${shared.id}/stop`), 403, 'forbidden');
    expectProblem(await as.mia.put(`/api/v1/environments/${shared.id}/shares/${coreTeam}`, { level: 'view' }), 403, 'forbidden');
    const byAdmin = await as.adam.put(`/api/v1/environments/${shared.id}/shares/${coreTeam}`, { level: 'use' });
    expect(byAdmin.statusCode, byAdmin.body).toBe(200);
  });

  it('lists for each person what they may see in the organization: all of it for owners and admins', async () => {
    const mine = await inAcme(as.mia).post('/api/v1/environments', { type: 'small', name: 'mias-box' });
    expect(mine.statusCode, mine.body).toBe(202);
    const names = async (caller: Caller) => (await inAcme(caller).get('/api/v1/environments')).json<{ items: Environment[] }>().items.map((e) => e.name).sort();
    expect(await names(as.adam)).toEqual(['mias-box', 'shared-box']);
    expect(await names(as.mia)).toEqual(['mias-box', 'shared-box']);
    expect(await names(as.vic)).toEqual(['shared-box']);
    const access = async (caller: Caller) => Object.fromEntries((await inAcme(caller).get('/api/v1/environments')).json<{ items: Environment[] }>().items.map((e) => [e.name, e.access]));
    expect(await access(as.adam)).toEqual({ 'mias-box': 'manage', 'shared-box': 'manage' });
    expect(await access(as.mia)).toEqual({ 'mias-box': 'manage', 'shared-box': 'use' });
    expect(await access(as.vic)).toEqual({ 'shared-box': 'view' });
    expect(await names(as.max)).toEqual([]);
    expectProblem(await inAcme(as.out).get('/api/v1/environments'), 404, 'not_found');
    // Not in acme's list by default: the personal organization is where a session acts without the header.
    expect((await as.mia.get('/api/v1/environments')).json<{ items: Environment[] }>().items.map((e) => e.name)).not.toContain('mias-box');
    expect((await as.mia.delete(`/api/v1/environments/${mine.json<Environment>().id}`)).statusCode).toBe(202);
  });

  it('refuses a viewer making anything in the organization with 403', async () => {
    expectProblem(await inAcme(as.vic).post('/api/v1/environments', { type: 'small' }), 403, 'forbidden');
  });

  it('lets a member open a terminal in an environment shared with use, and closes it when the share goes', async () => {
    const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: base }, body: JSON.stringify({ username: 'mia', password: PASSWORD }) });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const terminal = TerminalClient.open(`${base.replace('http', 'ws')}/api/v1/environments/${shared.id}/terminal?session=mia`, { cookie });
    await terminal.opened;
    terminal.type('echo typed-by-$((6*7))\n');
    await terminal.expect(/typed-by-42/);
    expect((await as.olga.delete(`/api/v1/environments/${shared.id}/shares/${coreTeam}`)).statusCode).toBe(204);
    expect(await terminal.closed).toBe(4401);
    expectProblem(await exec(as.mia, shared.id), 404, 'not_found');
    expect((await as.olga.put(`/api/v1/environments/${shared.id}/shares/${coreTeam}`, { level: 'use' })).statusCode).toBe(200);
    expect((await exec(as.mia, shared.id)).statusCode).toBe(200);
  });
});

describe('tokens of an organization', () => {
  it("act in their organization only, with their user's role of the moment", async () => {
    const made = await inAcme(as.mia).post('/api/v1/tokens', { name: 'acme-agent' });
    expect(made.statusCode, made.body).toBe(201);
    const token = server.withToken(made.json<{ token: string }>().token);
    const env = await token.post('/api/v1/environments', { type: 'small', name: 'by-token' });
    expect(env.statusCode, env.body).toBe(202);
    const envId = env.json<Environment>().id;
    expect((await inAcme(as.olga).get('/api/v1/environments')).json<{ items: Environment[] }>().items.map((e) => e.id)).toContain(envId);
    expect((await exec(token, shared.id)).statusCode).toBe(200);

    // Mia's own environment in her personal organization is out of the token's reach.
    const personal = await as.mia.post('/api/v1/environments', { type: 'small', name: 'at-home' });
    expectProblem(await token.get(`/api/v1/environments/${personal.json<Environment>().id}`), 404, 'not_found');
    expectProblem(await token.get('/api/v1/orgs/mia'), 404, 'not_found');
    expectProblem(await token.get('/api/v1/environments', { 'berth-org': 'mia' }), 403, 'forbidden');

    // A viewer now: the same token may look, no longer touch.
    expect((await as.olga.patch('/api/v1/orgs/acme/members/mia', { role: 'viewer' })).statusCode).toBe(200);
    expectProblem(await exec(token, shared.id), 403, 'forbidden');
    expect((await token.get(`/api/v1/environments/${shared.id}`)).statusCode).toBe(200);
    expect((await as.olga.patch('/api/v1/orgs/acme/members/mia', { role: 'member' })).statusCode).toBe(200);
    expect((await exec(token, shared.id)).statusCode).toBe(200);
    for (const id of [envId, personal.json<Environment>().id]) await as.mia.delete(`/api/v1/environments/${id}`);
  });
});

describe('removing a member', () => {
  it('ends their access at once: environments, tokens and open sockets', async () => {
    const { caller: rita, id: ritaId } = await server.signUp('rita', PASSWORD);
    await (async () => {
      const res = await as.olga.post('/api/v1/orgs/acme/invitations', { username: 'rita', role: 'member' });
      expect((await rita.post(`/api/v1/invitations/${res.json<CreatedInvitation>().id}/accept`)).statusCode).toBe(200);
    })();
    expect((await as.olga.put('/api/v1/orgs/acme/teams/core/members/rita', { role: 'member' })).statusCode).toBe(200);
    const token = server.withToken((await inAcme(rita).post('/api/v1/tokens', { name: 'rita-acme' })).json<{ token: string }>().token);
    expect((await exec(token, shared.id)).statusCode).toBe(200);
    const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: base }, body: JSON.stringify({ username: 'rita', password: PASSWORD }) });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const events = TerminalClient.open(`${base.replace('http', 'ws')}/api/v1/environments/${shared.id}/events/ws`, { cookie });
    await events.opened;

    const removed = await as.adam.delete('/api/v1/orgs/acme/members/rita');
    expect(removed.statusCode, removed.body).toBe(204);
    expect(await events.closed).toBe(4401);
    expectProblem(await exec(rita, shared.id), 404, 'not_found');
    expectProblem(await token.get('/api/v1/me'), 401, 'unauthorized');
    expect((await as.olga.get('/api/v1/orgs/acme/teams')).json<{ items: Team[] }>().items.find((t) => t.slug === 'core')!.members.map((m) => m.user.id)).not.toContain(ritaId);
    const [row] = await audit('org.member.remove');
    expect(row).toMatchObject({ success: true, actorUsername: 'adam', targetType: 'organization' });
    expect(row!.metadata).toMatchObject({ username: 'rita', role: 'member', revokedTokens: 1 });
  });
});
