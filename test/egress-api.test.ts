import { randomUUID } from 'node:crypto';
import type { AuditEntry, Environment, EnvironmentEvent } from '@berth/contracts';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEnvironment } from './support/environments.js';
import { expectProblem } from './support/problem.js';
import { ADMIN, type Caller } from './support/server.js';
import { useTestServer } from './support/test-server.js';

/** Egress policies through the API: who may choose which, validation, audit. The traffic itself: egress.test.ts. */
const { server, admin, users: { alice, bob }, ids } = useTestServer({ users: ['alice', 'bob'] });

beforeAll(async () => {
  expect((await admin.patch(`/api/v1/users/${ids.alice}/quota`, { credits: 50, maxEnvironments: 50 })).statusCode).toBe(200);
});

const create = (caller: Caller, body: Record<string, unknown> = {}) => createEnvironment(caller, { type: 'small', ...body });

const get = async (id: string) => (await admin.get(`/api/v1/environments/${id}`)).json<Environment>();
const countOf = async (caller: Caller) => (await caller.get('/api/v1/environments')).json<{ items: Environment[] }>().items.length;

async function audit(action: string, targetId?: string): Promise<AuditEntry[]> {
  const query = new URLSearchParams({ action, ...(targetId ? { targetId } : {}) });
  const res = await admin.get(`/api/v1/audit?${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ items: AuditEntry[] }>().items;
}

describe('choosing a policy at create', () => {
  it('lets a user create environments on internet (the default) and on none, and answers each with its policy', async () => {
    expect(await create(alice)).toMatchObject({ egress: 'internet', egressAllow: [] });
    const offline = await create(alice, { egress: 'none' });
    expect(offline).toMatchObject({ egress: 'none', egressAllow: [] });
    expect(await get(offline.id)).toMatchObject({ egress: 'none', egressAllow: [] });
  });

  it('refuses an allowlist from a user with 403, audited, and creates nothing', async () => {
    const before = await countOf(alice);
    const name = `allow-${randomUUID().slice(0, 8)}`;
    expectProblem(await alice.post('/api/v1/environments', { type: 'small', name, egress: 'allowlist', egressAllow: ['10.0.0.0/8'] }), 403, 'forbidden');
    expect(await countOf(alice)).toBe(before);
    const refusal = (await audit('environment.create')).find((e) => e.metadata.name === name);
    expect(refusal).toMatchObject({ success: false, metadata: { code: 'forbidden', egress: 'allowlist' } });
  });

  it('lets an administrator create an environment on an allowlist', async () => {
    expect(await create(admin, { egress: 'allowlist', egressAllow: ['192.0.2.9/24'] })).toMatchObject({ egress: 'allowlist', egressAllow: ['192.0.2.0/24'] });
  });
});

describe('PUT /environments/:id/egress', () => {
  let env: Environment;
  /** Refused changes leave it as it is, so one serves them all. */
  let untouched: Environment;
  beforeAll(async () => {
    [env, untouched] = await Promise.all([create(alice), create(alice)]);
  });

  it('lets an administrator put a user\'s environment on an allowlist, stored normalised, with an audit row and an event', async () => {
    const res = await admin.put(`/api/v1/environments/${env.id}/egress`, { egress: 'allowlist', egressAllow: ['10.1.2.3/8', '198.51.100.7/32', '10.0.0.0/8'] });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json<Environment>()).toMatchObject({ egress: 'allowlist', egressAllow: ['10.0.0.0/8', '198.51.100.7/32'] });
    expect(await get(env.id)).toMatchObject({ egress: 'allowlist', egressAllow: ['10.0.0.0/8', '198.51.100.7/32'] });
    const [row] = await audit('environment.egress', env.id);
    expect(row).toMatchObject({ success: true, actorUsername: ADMIN.username, metadata: { egress: 'allowlist', egressAllow: ['10.0.0.0/8', '198.51.100.7/32'], previous: 'internet' } });
    const events = (await alice.get(`/api/v1/environments/${env.id}/events`)).json<{ items: EnvironmentEvent[] }>().items;
    expect(events.find((e) => e.type === 'egress')?.message).toMatch(/allowlist .*10\.0\.0\.0\/8.* by admin/);
  });

  it("keeps the owner from opening an administrator's allowlist to the internet (403, audited), and lets them close it to none", async () => {
    expectProblem(await alice.put(`/api/v1/environments/${env.id}/egress`, { egress: 'internet' }), 403, 'forbidden');
    expect((await audit('environment.egress', env.id))[0]).toMatchObject({ success: false, metadata: { code: 'forbidden', egress: 'internet' } });
    expect((await get(env.id)).egress).toBe('allowlist');
    const closed = await alice.put(`/api/v1/environments/${env.id}/egress`, { egress: 'none' });
    expect(closed.statusCode, closed.body).toBe(202);
    expect(closed.json<Environment>()).toMatchObject({ egress: 'none', egressAllow: [] });
  });

  it('lets the owner switch between internet and none, and refuses them an allowlist with 403', async () => {
    const mine = await create(alice);
    expect((await alice.put(`/api/v1/environments/${mine.id}/egress`, { egress: 'none' })).json<Environment>().egress).toBe('none');
    expect((await alice.put(`/api/v1/environments/${mine.id}/egress`, { egress: 'internet' })).json<Environment>().egress).toBe('internet');
    expectProblem(await alice.put(`/api/v1/environments/${mine.id}/egress`, { egress: 'allowlist', egressAllow: ['10.0.0.0/8'] }), 403, 'forbidden');
    expect(await get(mine.id)).toMatchObject({ egress: 'internet', egressAllow: [] });
  });

  it.each([
    ['a prefix past 32', { egress: 'allowlist', egressAllow: ['10.0.0.0/33'] }],
    ['words', { egress: 'allowlist', egressAllow: ['not-a-cidr'] }],
    ['an address without a prefix', { egress: 'allowlist', egressAllow: ['10.1.2.3'] }],
    ['an IPv6 range', { egress: 'allowlist', egressAllow: ['fd00::/8'] }],
    ['an injected rule', { egress: 'allowlist', egressAllow: ['10.0.0.0/8 -j ACCEPT'] }],
    ['an empty allowlist', { egress: 'allowlist', egressAllow: [] }],
    ['CIDRs without allowlist', { egress: 'internet', egressAllow: ['10.0.0.0/8'] }],
    ['an unknown policy', { egress: 'everything' }],
    ['too many CIDRs', { egress: 'allowlist', egressAllow: Array.from({ length: 65 }, (_, i) => `10.0.${i}.0/24`) }],
    ['an unknown field', { egress: 'none', also: true }],
  ])('answers %s with 400 validation_failed and changes nothing', async (_, body) => {
    expectProblem(await admin.put(`/api/v1/environments/${untouched.id}/egress`, body), 400, 'validation_failed');
    expect(await get(untouched.id)).toMatchObject({ egress: 'internet', egressAllow: [] });
  });

  it("answers 404 for another user's environment before reading the body, 404 for one that does not exist, and 401 signed out", async () => {
    const target = untouched;
    expectProblem(await bob.put(`/api/v1/environments/${target.id}/egress`, { egress: 'none' }), 404, 'not_found');
    expectProblem(await bob.put(`/api/v1/environments/${target.id}/egress`, { egress: 'garbage' }), 404, 'not_found');
    expectProblem(await admin.put(`/api/v1/environments/${randomUUID()}/egress`, { egress: 'none' }), 404, 'not_found');
    expectProblem(await server.anonymous.put(`/api/v1/environments/${target.id}/egress`, { egress: 'none' }), 401, 'unauthorized');
    expect((await get(target.id)).egress).toBe('internet');
  });
});
