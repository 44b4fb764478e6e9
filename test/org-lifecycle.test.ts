import type { Environment, Organization } from '@berth/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { organizations } from '../packages/server/src/db/schema.js';
import { LABEL_ENV } from '../packages/server/src/runtime/docker/labels.js';
import { expectProblem } from './support/problem.js';
import { ADMIN, startTestServer, type Caller, type TestServer } from './support/server.js';
import { waitFor, waitForStatus } from './support/wait.js';

let server: TestServer;
let admin: Caller;
let olga: Caller;
let mia: Caller;
const PASSWORD = 'a-long-enough-password';
const header = (slug: string) => ({ 'berth-org': slug });

/** An active organization of olga's with mia as a member, and an environment of each running in it. */
async function orgWithEnvironments(slug: string): Promise<{ envs: string[]; miaToken: Caller }> {
  expect((await olga.post('/api/v1/orgs', { slug, name: slug })).statusCode).toBe(202);
  await waitFor(`${slug} to be provisioned`, async () => (await olga.get(`/api/v1/orgs/${slug}`)).json<Organization>().status === 'active');
  const invitation = await olga.post(`/api/v1/orgs/${slug}/invitations`, { username: 'mia' });
  expect((await mia.post(`/api/v1/invitations/${invitation.json<{ id: string }>().id}/accept`)).statusCode).toBe(200);
  const envs: string[] = [];
  for (const caller of [olga, mia]) {
    const res = await caller.post('/api/v1/environments', { type: 'small' }, header(slug));
    expect(res.statusCode, res.body).toBe(202);
    envs.push((await waitForStatus(caller, res.json<Environment>().id, 'running')).id);
  }
  const token = await mia.post('/api/v1/tokens', { name: `${slug}-agent` }, header(slug));
  return { envs, miaToken: server.withToken(token.json<{ token: string }>().token) };
}

/** What the engine still holds for these environments: containers and volumes labelled with their ids. */
async function leftOnEngine(envIds: string[]): Promise<string[]> {
  const left: string[] = [];
  for (const id of envIds) {
    const filters = { label: [`${LABEL_ENV}=${id}`] };
    left.push(...(await server.docker.listContainers({ all: true, filters })).map((c) => `container ${c.Id.slice(0, 12)}`));
    left.push(...((await server.docker.listVolumes({ filters })).Volumes ?? []).map((v) => `volume ${v.Name}`));
  }
  return left;
}

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.login(ADMIN.username, ADMIN.password);
  ({ caller: olga } = await server.signUp('olga', PASSWORD));
  ({ caller: mia } = await server.signUp('mia', PASSWORD));
});
afterAll(() => server?.close());

describe('suspending an organization', () => {
  it('stops its environments, refuses anything new and its tokens\' changes, keeps its data, and lifts cleanly', async () => {
    const { envs, miaToken } = await orgWithEnvironments('suspended-co');
    const suspended = await olga.post('/api/v1/orgs/suspended-co/suspend');
    expect(suspended.statusCode, suspended.body).toBe(200);
    expect(suspended.json<Organization>().status).toBe('suspended');
    for (const id of envs) await waitForStatus(olga, id, 'stopped');

    expectProblem(await mia.post('/api/v1/environments', { type: 'small' }, header('suspended-co')), 403, 'organization_suspended');
    expectProblem(await olga.post(`/api/v1/environments/${envs[0]}/start`), 403, 'organization_suspended');
    expectProblem(await miaToken.post('/api/v1/tokens', { name: 'more' }), 403, 'organization_suspended');
    // Reading still works, for people and tokens.
    expect((await miaToken.get(`/api/v1/environments/${envs[1]}`)).statusCode).toBe(200);
    expect((await olga.get('/api/v1/orgs/suspended-co/members')).statusCode).toBe(200);

    const lifted = await olga.post('/api/v1/orgs/suspended-co/reactivate');
    expect(lifted.statusCode, lifted.body).toBe(200);
    expect(lifted.json<Organization>().status).toBe('active');
    expect((await olga.post(`/api/v1/environments/${envs[0]}/start`)).statusCode).toBe(202);
    await waitForStatus(olga, envs[0]!, 'running');
    expectProblem(await olga.post('/api/v1/orgs/suspended-co/reactivate'), 409, 'organization_not_active');
    for (const id of envs) await olga.delete(`/api/v1/environments/${id}`);
  }, 120_000);

  it('is for its owners (and instance admins) only', async () => {
    await orgWithEnvironments('owned-co');
    expectProblem(await mia.post('/api/v1/orgs/owned-co/suspend'), 403, 'forbidden');
    expectProblem(await mia.delete('/api/v1/orgs/owned-co'), 403, 'forbidden');
    expect((await admin.post('/api/v1/orgs/owned-co/suspend')).statusCode).toBe(200);
    expect((await admin.post('/api/v1/orgs/owned-co/reactivate')).statusCode).toBe(200);
    expectProblem(await olga.post('/api/v1/orgs/olga/suspend'), 403, 'forbidden');
  }, 120_000);
});

describe('inviting while an organization is made ready or suspended', () => {
  it('lets people be invited and join while it provisions, not while it is suspended', async () => {
    await orgWithEnvironments('young-co');
    const setStatus = (status: 'provisioning' | 'suspended') => server.database.db.update(organizations).set({ status }).where(eq(organizations.slug, 'young-co'));
    await server.signUp('nia', PASSWORD);
    const nia = await server.login('nia', PASSWORD);
    await setStatus('provisioning');
    const invited = await olga.post('/api/v1/orgs/young-co/invitations', { username: 'nia' });
    expect(invited.statusCode, invited.body).toBe(201);
    expect((await nia.post(`/api/v1/invitations/${invited.json<{ id: string }>().id}/accept`)).statusCode).toBe(200);
    await setStatus('suspended');
    expectProblem(await olga.post('/api/v1/orgs/young-co/invitations', { username: 'admin' }), 409, 'organization_not_active');
  }, 120_000);
});

describe('deleting an organization', () => {
  it('leaves nothing of it: environments, workspaces, members, tokens; and frees its name', async () => {
    const { envs, miaToken } = await orgWithEnvironments('doomed-co');
    const deleting = await olga.delete('/api/v1/orgs/doomed-co');
    expect(deleting.statusCode, deleting.body).toBe(202);
    expect(deleting.json<Organization>().status).toBe('deleting');
    for (const id of envs) await waitForStatus(olga, id, 'deleted');
    await waitFor('the organization to be gone', async () => (await olga.get('/api/v1/orgs/doomed-co')).statusCode === 404);
    expect(await leftOnEngine(envs)).toEqual([]);
    expect((await mia.get('/api/v1/orgs')).json<{ items: Organization[] }>().items.map((o) => o.slug)).not.toContain('doomed-co');
    expectProblem(await mia.get('/api/v1/environments', header('doomed-co')), 404, 'not_found');
    expectProblem(await miaToken.get('/api/v1/me'), 401, 'unauthorized');
    expect((await admin.get('/api/v1/audit?action=org.deleted')).json<{ items: { targetType: string }[] }>().items).toHaveLength(1);
    // The name is free again.
    expect((await mia.post('/api/v1/orgs', { slug: 'doomed-co', name: 'reborn' })).statusCode).toBe(202);
  }, 120_000);
});
