import type { AuditEntry, Environment, OrgQuota } from '@berth/contracts';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inOrg, makeOrg } from './support/orgs.js';
import { expectProblem } from './support/problem.js';
import type { Caller } from './support/server.js';
import { useTestServer } from './support/test-server.js';

/**
 * An organization's quota: one credit pool its members draw on, a cap per
 * member, machine types and an environment limit, chosen by its owners and
 * admins within a ceiling the instance admin sets; and its audit trail.
 */
const people = ['pia', 'quinn', 'rae', 'sol', 'tam', 'outsider'] as const;
type Person = (typeof people)[number];
const { admin, users: as } = useTestServer({ users: people });
const members = ['pia', 'quinn', 'rae', 'sol', 'tam'] as const;

const quota = async (caller: Caller, org = 'pool') => {
  const res = await caller.get(`/api/v1/orgs/${org}/quota`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<OrgQuota>();
};
const trail = async (caller: Caller) => (await caller.get('/api/v1/orgs/pool/audit?limit=500')).json<{ items: AuditEntry[] }>().items;

beforeAll(async () => {
  // pia owns it, quinn is an admin, the rest are members.
  await makeOrg(as.pia, 'pool', [
    { username: 'quinn', caller: as.quinn, role: 'admin' },
    ...(['rae', 'sol', 'tam'] as const).map((username) => ({ username, caller: as[username], role: 'member' as const })),
  ]);
}, 120_000);

describe('the quota of an organization', () => {
  it('starts at the defaults, its ceiling the same, with no cap per member; every member reads it, nobody else', async () => {
    expect(await quota(as.rae)).toMatchObject({ credits: 10, creditsUsed: 0, memberCreditCap: null, maxEnvironments: 10, environments: 0, ceiling: { credits: 10, maxEnvironments: 10 } });
    expectProblem(await as.outsider.get('/api/v1/orgs/pool/quota'), 404, 'not_found');
  });

  it('tells its trail how it came to be: made by its owner, then made ready in the background', async () => {
    const actions = (await trail(as.pia)).map((a) => `${a.action} ${a.actorUsername ?? '(berth)'}`).reverse();
    expect(actions.slice(0, 2)).toEqual(['org.create pia', 'org.provisioned (berth)']);
  });

  it('refuses going above the ceiling with 403 quota_above_ceiling, changing nothing', async () => {
    expectProblem(await as.pia.patch('/api/v1/orgs/pool/quota', { credits: 11 }), 403, 'quota_above_ceiling');
    expectProblem(await as.pia.patch('/api/v1/orgs/pool/quota', { maxEnvironments: 11 }), 403, 'quota_above_ceiling');
    expect((await quota(as.pia)).credits).toBe(10);
    const refused = (await trail(as.pia)).find((a) => a.action === 'org.quota.update');
    expect(refused).toMatchObject({ success: false, metadata: { code: 'quota_above_ceiling' } });
  });

  it('lets only owners and admins change it, and refuses bad input with 400', async () => {
    expectProblem(await as.rae.patch('/api/v1/orgs/pool/quota', { credits: 1 }), 403, 'forbidden');
    expectProblem(await as.outsider.patch('/api/v1/orgs/pool/quota', { credits: 1 }), 404, 'not_found');
    expectProblem(await as.pia.patch('/api/v1/orgs/pool/quota', { allowedTypes: ['no-such-type'] }), 400, 'validation_failed');
    expectProblem(await as.pia.patch('/api/v1/orgs/pool/quota', { credits: -1 }), 400, 'validation_failed');
    expectProblem(await as.pia.patch('/api/v1/orgs/pool/quota', { idleTimeoutMinutes: 'soon' }), 400, 'validation_failed');
    // Oversized and malformed: too many types, a number past the bound, an unknown field, not an object.
    expectProblem(await as.pia.patch('/api/v1/orgs/pool/quota', { allowedTypes: Array.from({ length: 101 }, (_, i) => `t${i}`) }), 400, 'validation_failed');
    expectProblem(await as.pia.patch('/api/v1/orgs/pool/quota', { credits: 1_000_001 }), 400, 'validation_failed');
    expectProblem(await as.pia.patch('/api/v1/orgs/pool/quota', { ceilingCredits: 99 }), 400, 'validation_failed');
    expectProblem(await as.pia.patch('/api/v1/orgs/pool/quota', [1]), 400, 'validation_failed');
    expectProblem(await admin.patch('/api/v1/orgs/pool/ceiling', { allowedTypes: ['no-such-type'] }), 400, 'validation_failed');
    expect((await quota(as.pia)).credits).toBe(10);
    expect((await as.quinn.patch('/api/v1/orgs/pool/quota', { memberCreditCap: 1 })).json<OrgQuota>().memberCreditCap).toBe(1);
  });

  it('lets only the instance admin set the ceiling; a lower one lowers the quota with it', async () => {
    expectProblem(await as.pia.patch('/api/v1/orgs/pool/ceiling', { credits: 100 }), 403, 'forbidden');
    const lowered = await admin.patch('/api/v1/orgs/pool/ceiling', { credits: 4, maxEnvironments: 3 });
    expect(lowered.statusCode, lowered.body).toBe(200);
    expect(lowered.json<OrgQuota>()).toMatchObject({ credits: 4, maxEnvironments: 3, ceiling: { credits: 4, maxEnvironments: 3 } });
    const raised = await admin.patch('/api/v1/orgs/pool/ceiling', { credits: 20, maxEnvironments: 100 });
    // A raised ceiling leaves the organization's choice where it was.
    expect(raised.json<OrgQuota>()).toMatchObject({ credits: 4, maxEnvironments: 3, ceiling: { credits: 20, maxEnvironments: 100 } });
  });

  it('offers a member the machine types of the organization they act in', async () => {
    const types = async (caller: Caller) => (await caller.get('/api/v1/machine-types')).json<{ items: { name: string }[] }>().items.map((t) => t.name).sort();
    const mine = await types(as.rae);
    expect((await as.pia.patch('/api/v1/orgs/pool/quota', { allowedTypes: ['small'] })).statusCode).toBe(200);
    expect(await types(inOrg(as.rae, 'pool'))).toEqual(['small']);
    expect(await types(as.rae)).toEqual(mine);
    expectProblem(await inOrg(as.rae, 'pool').post('/api/v1/environments', { type: 'medium' }), 403, 'machine_type_not_allowed');
    expect((await as.pia.patch('/api/v1/orgs/pool/quota', { allowedTypes: (await quota(as.pia)).ceiling.allowedTypes })).statusCode).toBe(200);
  });

  it("keeps a personal organization's quota its user's: readable, changed only on the user", async () => {
    expect(await quota(as.rae, 'rae')).toMatchObject({ credits: 3, memberCreditCap: null, ceiling: { credits: 3 } });
    expectProblem(await as.rae.patch('/api/v1/orgs/rae/quota', { credits: 1 }), 403, 'forbidden');
  });
});

describe('50 concurrent creates by 5 members against a pool of 7, each member capped at 2', () => {
  const POOL = 7;
  const CAP = 2;
  const PER_MEMBER = 10;
  let answers: { member: Person; res: LightMyRequestResponse }[];
  let accepted: { member: Person; env: Environment }[];

  beforeAll(async () => {
    const set = await as.pia.patch('/api/v1/orgs/pool/quota', { credits: POOL, memberCreditCap: CAP, maxEnvironments: 100 });
    expect(set.statusCode, set.body).toBe(200);
    const attempts = members.flatMap((member) => Array.from({ length: PER_MEMBER }, () => member));
    answers = await Promise.all(attempts.map(async (member) => ({ member, res: await inOrg(as[member], 'pool').post('/api/v1/environments', { type: 'small' }) })));
    accepted = answers.filter((a) => a.res.statusCode === 202).map((a) => ({ member: a.member, env: a.res.json<Environment>() }));
  }, 120_000);

  it('accepts exactly what the pool allows, no member above the cap', () => {
    expect(accepted).toHaveLength(POOL);
    for (const member of members) expect(accepted.filter((a) => a.member === member).length).toBeLessThanOrEqual(CAP);
    for (const { res } of answers.filter((a) => a.res.statusCode !== 202)) {
      expect(res.statusCode, res.body).toBe(409);
      expect(['insufficient_credits', 'member_credit_cap']).toContain(res.json<{ code: string }>().code);
    }
  });

  it('counts the pool exactly, and charges nothing to the members themselves', async () => {
    expect(await quota(as.pia)).toMatchObject({ creditsUsed: POOL, creditsLeft: 0, environments: POOL });
    for (const member of members) expect((await quota(as[member], member)).creditsUsed).toBe(0);
  });

  it('puts every create, allowed or refused, in the organization trail, and none in a member’s own', async () => {
    const creates = (await trail(as.quinn)).filter((a) => a.action === 'environment.create');
    expect(creates.filter((a) => a.success)).toHaveLength(POOL);
    const refusedForCredits = creates.filter((a) => !a.success && ['insufficient_credits', 'member_credit_cap'].includes(String(a.metadata.code)));
    expect(refusedForCredits).toHaveLength(members.length * PER_MEMBER - POOL);
    const own = (await as.rae.get('/api/v1/orgs/rae/audit?limit=500')).json<{ items: AuditEntry[] }>().items;
    expect(own.filter((a) => a.action === 'environment.create')).toEqual([]);
  });

  it('lets a stopped member environment start again only within the pool', async () => {
    const { member, env } = accepted[0]!;
    const caller = inOrg(as[member], 'pool');
    expect((await caller.post(`/api/v1/environments/${env.id}/stop`)).statusCode).toBe(202);
    // Someone else takes the freed credit; the stopped one cannot come back.
    const other = members.find((m) => m !== member && accepted.filter((a) => a.member === m).length < CAP)!;
    const took = await inOrg(as[other], 'pool').post('/api/v1/environments', { type: 'small' });
    expect(took.statusCode, took.body).toBe(202);
    expectProblem(await caller.post(`/api/v1/environments/${env.id}/start`), 409, 'insufficient_credits');
  });

  it('shows the trail to owners and admins, not to members', async () => {
    expectProblem(await as.rae.get('/api/v1/orgs/pool/audit'), 403, 'forbidden');
    expectProblem(await as.outsider.get('/api/v1/orgs/pool/audit'), 404, 'not_found');
    expectProblem(await as.pia.get('/api/v1/orgs/pool/audit?limit=0'), 400, 'validation_failed');
    const page = await as.pia.get('/api/v1/orgs/pool/audit?limit=2');
    expect(page.json<{ items: AuditEntry[]; nextCursor: string | null }>().items).toHaveLength(2);
    expect(page.json<{ nextCursor: string | null }>().nextCursor).not.toBeNull();
  });

  afterAll(async () => {
    for (const { member, env } of accepted) await inOrg(as[member], 'pool').delete(`/api/v1/environments/${env.id}`);
  });
});
