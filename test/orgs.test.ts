import type { CreatedToken, Environment, Organization, Template } from '@berth/contracts';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { apiTokens, environments, organizations, templates, users } from '../packages/server/src/db/schema.js';
import { expectProblem } from './support/problem.js';
import { ADMIN } from './support/server.js';
import { useTestServer } from './support/test-server.js';

const { server, admin, users: { 'Grace.Hopper': grace }, ids } = useTestServer({ users: ['Grace.Hopper'] });

const db = () => server.database.db;
const personalOrgId = async (userId: string) => (await db().select({ id: users.personalOrgId }).from(users).where(eq(users.id, userId)))[0]!.id;
const orgCount = async () => (await db().select({ n: sql<number>`count(*)::int` }).from(organizations))[0]!.n;

describe('personal organizations', () => {
  it('gives a new user one organization of their own, named like them, which they own', async () => {
    const res = await grace.get('/api/v1/orgs');
    expect(res.statusCode, res.body).toBe(200);
    const { items } = res.json<{ items: Organization[] }>();
    expect(items).toEqual([{ id: await personalOrgId(ids['Grace.Hopper']), slug: 'grace.hopper', name: 'Grace.Hopper', personal: true, status: 'active', role: 'owner' }]);
  });

  it('gives the first administrator one too', async () => {
    const { items } = (await admin.get('/api/v1/orgs')).json<{ items: Organization[] }>();
    expect(items).toMatchObject([{ slug: ADMIN.username, personal: true, role: 'owner' }]);
  });

  it('shows a user only their own organizations', async () => {
    const { items } = (await admin.get('/api/v1/orgs')).json<{ items: Organization[] }>();
    expect(items.map((o) => o.slug)).not.toContain('grace.hopper');
  });

  it('refuses a username that only differs in letter case with 409, adding no user and no organization', async () => {
    const before = await orgCount();
    expectProblem(await admin.post('/api/v1/users', { username: 'grace.HOPPER', password: 'another-password-1234' }), 409, 'conflict');
    expect(await orgCount()).toBe(before);
    expect(await db().select().from(users).where(eq(users.username, 'grace.HOPPER'))).toEqual([]);
  });

  it('puts what a user makes, through a session or a token, in their personal organization', async () => {
    const org = await personalOrgId(ids['Grace.Hopper']);
    const created = await grace.post('/api/v1/tokens', { name: 'agent' });
    expect(created.statusCode, created.body).toBe(201);
    const token = created.json<CreatedToken>();
    expect((await db().select({ orgId: apiTokens.orgId }).from(apiTokens).where(eq(apiTokens.id, token.id)))[0]!.orgId).toBe(org);

    for (const caller of [grace, server.withToken(token.token)]) {
      const env = await caller.post('/api/v1/environments', { type: 'small' });
      expect(env.statusCode, env.body).toBe(202);
      const id = env.json<Environment>().id;
      expect((await db().select({ orgId: environments.orgId }).from(environments).where(eq(environments.id, id)))[0]!.orgId).toBe(org);
      expect((await caller.delete(`/api/v1/environments/${id}`)).statusCode).toBe(202);
    }

    const template = await grace.post('/api/v1/templates', { slug: 'grace-notes', name: 'Notes', files: [{ path: 'README.md', content: 'hi' }] });
    expect(template.statusCode, template.body).toBe(201);
    const templateId = template.json<Template>().id;
    expect((await db().select({ orgId: templates.orgId }).from(templates).where(eq(templates.id, templateId)))[0]!.orgId).toBe(org);
  });
});
