import { randomUUID } from 'node:crypto';
import type { AuditEntry, Environment, Me, Quota } from '@berth/contracts';
import { describe, expect, it } from 'vitest';
import { ADMIN, type Caller } from './support/server.js';
import { expectProblem } from './support/problem.js';
import { waitForStatus } from './support/wait.js';
import { useTestServer } from './support/test-server.js';

const PASSWORD = 'a-long-enough-password';

const { server, admin } = useTestServer();

/** Usernames are unique per database, and every test here shares one. */
const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

interface Member {
  id: string;
  caller: Caller;
}

/** A fresh user, signed in, with their quota changed by the admin API when `quota` is given. */
async function newMember(quota?: Partial<Quota>): Promise<Member> {
  const username = uniqueName('member');
  const id = await server.createUser(username, PASSWORD);
  if (quota) await setQuota(id, quota);
  return { id, caller: await server.login(username, PASSWORD) };
}

async function setQuota(userId: string, patch: Partial<Quota>): Promise<Quota> {
  const res = await admin.patch(`/api/v1/users/${userId}/quota`, patch);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Quota>();
}

async function quotaOf(caller: Caller): Promise<Quota> {
  const res = await caller.get('/api/v1/me');
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Me>().quota;
}

async function environmentsOf(caller: Caller): Promise<Environment[]> {
  const res = await caller.get('/api/v1/environments');
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ items: Environment[] }>().items;
}

async function createEnvironment(caller: Caller, type = 'small'): Promise<Environment> {
  const res = await caller.post('/api/v1/environments', { type });
  expect(res.statusCode, res.body).toBe(202);
  return res.json<Environment>();
}

async function lifecycle(caller: Caller, id: string, op: 'start' | 'stop'): Promise<Environment> {
  const res = await caller.post(`/api/v1/environments/${id}/${op}`);
  expect(res.statusCode, res.body).toBe(202);
  return res.json<Environment>();
}

/** The newest audit row of this action by this user. */
async function lastAudit(action: string, actorId: string): Promise<AuditEntry | undefined> {
  const res = await admin.get(`/api/v1/audit?action=${action}&actor=${actorId}&limit=1`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ items: AuditEntry[] }>().items[0];
}

/** Asserts the newest `action` row of the user is a failure carrying this code. */
async function expectRefusalAudited(action: string, actorId: string, code: string): Promise<void> {
  expect(await lastAudit(action, actorId)).toMatchObject({ action, actorId, success: false, metadata: { code } });
}

describe('the quota of a new user', () => {
  it('is shown by GET /api/v1/me: 3 credits, none used, active, every public type, 5 environments, 5 AI uses a day, 60 idle minutes', async () => {
    const member = await newMember();

    expect(await quotaOf(member.caller)).toEqual({
      credits: 3,
      creditsUsed: 0,
      creditsLeft: 3,
      active: true,
      allowedTypes: ['small', 'medium', 'large'],
      maxEnvironments: 5,
      aiUsesPerDay: 5,
      idleTimeoutMinutes: 60,
    });
  });

  it('takes its credits from the default_credits flag at creation: new users get the new value, existing users keep theirs', async () => {
    const existing = await newMember();
    const set = await admin.put('/api/v1/config/default_credits', { value: '7' });
    expect(set.statusCode, set.body).toBe(200);
    try {
      const newcomer = await newMember();

      expect(await quotaOf(newcomer.caller)).toMatchObject({ credits: 7, creditsUsed: 0, creditsLeft: 7 });
      expect(await quotaOf(existing.caller)).toMatchObject({ credits: 3, creditsLeft: 3 });
    } finally {
      // The other tests in this file expect the seeded default.
      await admin.put('/api/v1/config/default_credits', { value: '3' });
    }
  });
});

describe('GET and PATCH /api/v1/users/:id/quota', () => {
  it('shows an admin the same quota and usage the user sees on /me', async () => {
    const member = await newMember();

    const res = await admin.get(`/api/v1/users/${member.id}/quota`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<Quota>()).toEqual(await quotaOf(member.caller));
  });

  it('changes the given fields, answers 200 with the quota, and the user sees the change', async () => {
    const member = await newMember();
    const change = { credits: 12, allowedTypes: ['small'], maxEnvironments: 2, aiUsesPerDay: 0, idleTimeoutMinutes: 0 };

    const res = await admin.patch(`/api/v1/users/${member.id}/quota`, change);
    expect(res.statusCode, res.body).toBe(200);
    const expected = { ...change, active: true, creditsUsed: 0, creditsLeft: 12 };
    expect(res.json<Quota>()).toEqual(expected);
    expect(await quotaOf(member.caller)).toEqual(expected);
    expect((await admin.get(`/api/v1/users/${member.id}/quota`)).json<Quota>()).toEqual(expected);
  });

  it('records the change as a quota.update audit row naming the user and the fields', async () => {
    const member = await newMember();
    await setQuota(member.id, { credits: 9 });

    const res = await admin.get(`/api/v1/audit?action=quota.update&targetId=${member.id}`);
    expect(res.json<{ items: AuditEntry[] }>().items).toEqual([
      expect.objectContaining({ actorUsername: ADMIN.username, targetType: 'user', targetId: member.id, success: true, metadata: expect.objectContaining({ credits: 9 }) }),
    ]);
  });

  it('answers 404 not_found for a user that does not exist, on GET and PATCH', async () => {
    const ghost = randomUUID();
    expectProblem(await admin.get(`/api/v1/users/${ghost}/quota`), 404, 'not_found');
    expectProblem(await admin.patch(`/api/v1/users/${ghost}/quota`, { credits: 5 }), 404, 'not_found');
  });

  it('answers a non-admin with 403 forbidden, even for their own quota, and changes nothing', async () => {
    const member = await newMember();

    expectProblem(await member.caller.get(`/api/v1/users/${member.id}/quota`), 403, 'forbidden');
    expectProblem(await member.caller.patch(`/api/v1/users/${member.id}/quota`, { credits: 1000 }), 403, 'forbidden');
    expect((await quotaOf(member.caller)).credits).toBe(3);
  });

  it('stores each allowed type once, however often it is listed', async () => {
    const member = await newMember();
    const res = await admin.patch(`/api/v1/users/${member.id}/quota`, { allowedTypes: ['small', 'small', 'medium'] });
    expect(res.json<Quota>().allowedTypes).toEqual(['small', 'medium']);
  });

  it('refuses allowedTypes naming a machine type that does not exist with 400 validation_failed, changing nothing', async () => {
    const member = await newMember();

    const problem = expectProblem(await admin.patch(`/api/v1/users/${member.id}/quota`, { allowedTypes: ['small', 'gpu-monster'] }), 400, 'validation_failed');
    expect(problem.errors?.map((e) => e.field)).toEqual(['body.allowedTypes']);
    expect(problem.detail).toContain('gpu-monster');
    expect((await quotaOf(member.caller)).allowedTypes).toEqual(['small', 'medium', 'large']);
  });

  it.each([
    ['negative credits', { credits: -1 }, 'body.credits'],
    ['a negative maxEnvironments', { maxEnvironments: -1 }, 'body.maxEnvironments'],
    ['fractional credits', { credits: 1.5 }, 'body.credits'],
    ['an unknown field', { creditsUsed: 0 }, 'body.creditsUsed'],
  ])('refuses %s with 400 validation_failed naming the field, changing nothing', async (_what, body, field) => {
    const member = await newMember();

    const problem = expectProblem(await admin.patch(`/api/v1/users/${member.id}/quota`, body), 400, 'validation_failed');
    expect(problem.errors?.map((e) => e.field)).toEqual([field]);
    expect(await quotaOf(member.caller)).toMatchObject({ credits: 3, maxEnvironments: 5 });
  });
});

describe('credits in use', () => {
  it('count an environment from the moment it is asked to run, and stop counting when it is asked to stop', async () => {
    const member = await newMember();

    const env = await createEnvironment(member.caller, 'small');
    expect(await quotaOf(member.caller)).toMatchObject({ credits: 3, creditsUsed: 1, creditsLeft: 2 });
    await waitForStatus(member.caller, env.id, 'running');
    expect(await quotaOf(member.caller)).toMatchObject({ creditsUsed: 1, creditsLeft: 2 });

    await lifecycle(member.caller, env.id, 'stop');
    expect(await quotaOf(member.caller)).toMatchObject({ creditsUsed: 0, creditsLeft: 3 });
    await waitForStatus(member.caller, env.id, 'stopped');
    expect(await quotaOf(member.caller)).toMatchObject({ creditsUsed: 0, creditsLeft: 3 });
  });

  it('lets a new user start two environments at once, both reaching running (one owner network, created once)', async () => {
    const member = await newMember();
    const [a, b] = await Promise.all([createEnvironment(member.caller, 'small'), createEnvironment(member.caller, 'small')]);
    await Promise.all([waitForStatus(member.caller, a.id, 'running'), waitForStatus(member.caller, b.id, 'running')]);
  });

  it('add up the costs of every running environment, as the admin view shows too', async () => {
    const member = await newMember();
    await createEnvironment(member.caller, 'small');
    await createEnvironment(member.caller, 'medium');

    const expected = { credits: 3, creditsUsed: 3, creditsLeft: 0 };
    expect(await quotaOf(member.caller)).toMatchObject(expected);
    expect((await admin.get(`/api/v1/users/${member.id}/quota`)).json<Quota>()).toMatchObject(expected);
  });
});

describe('creating an environment the quota does not allow', () => {
  it('of a type missing from allowedTypes is refused with 403 machine_type_not_allowed, adding nothing', async () => {
    const member = await newMember({ allowedTypes: ['small'] });

    const problem = expectProblem(await member.caller.post('/api/v1/environments', { type: 'medium' }), 403, 'machine_type_not_allowed');
    expect(problem.detail).toContain('medium');
    expect(await environmentsOf(member.caller)).toEqual([]);
    expect((await quotaOf(member.caller)).creditsUsed).toBe(0);
    await expectRefusalAudited('environment.create', member.id, 'machine_type_not_allowed');
  });

  it('of a type the system does not know is refused with 403 machine_type_not_allowed, adding nothing', async () => {
    const member = await newMember();

    const problem = expectProblem(await member.caller.post('/api/v1/environments', { type: 'no-such-type' }), 403, 'machine_type_not_allowed');
    expect(problem.detail).toContain('no-such-type');
    expect(await environmentsOf(member.caller)).toEqual([]);
    await expectRefusalAudited('environment.create', member.id, 'machine_type_not_allowed');
  });

  it('costing more than the credits left is refused with 409 insufficient_credits saying what is needed and left, adding nothing', async () => {
    const member = await newMember();
    const first = await createEnvironment(member.caller, 'medium');

    const problem = expectProblem(await member.caller.post('/api/v1/environments', { type: 'medium' }), 409, 'insufficient_credits');
    expect(problem.detail).toMatch(/needs 2 credit/);
    expect(problem.detail).toMatch(/1 left/);
    expect((await environmentsOf(member.caller)).map((e) => e.id)).toEqual([first.id]);
    expect(await quotaOf(member.caller)).toMatchObject({ creditsUsed: 2, creditsLeft: 1 });
    await expectRefusalAudited('environment.create', member.id, 'insufficient_credits');
  });

  it('decides simultaneous creates one at a time: with 1 credit, of two sent at once exactly one is accepted', async () => {
    const member = await newMember({ credits: 1 });

    const answers = await Promise.all([0, 1].map(() => member.caller.post('/api/v1/environments', { type: 'small' })));
    expect(answers.map((r) => r.statusCode).sort()).toEqual([202, 409]);
    expectProblem(answers.find((r) => r.statusCode === 409)!, 409, 'insufficient_credits');
    expect(await environmentsOf(member.caller)).toHaveLength(1);
    expect(await quotaOf(member.caller)).toMatchObject({ creditsUsed: 1, creditsLeft: 0 });
  });

  it('beyond maxEnvironments is refused with 409 environment_limit, a stopped environment counting too, adding nothing', async () => {
    const member = await newMember({ maxEnvironments: 1 });
    const first = await createEnvironment(member.caller, 'small');
    await lifecycle(member.caller, first.id, 'stop');

    expectProblem(await member.caller.post('/api/v1/environments', { type: 'small' }), 409, 'environment_limit');
    expect((await environmentsOf(member.caller)).map((e) => e.id)).toEqual([first.id]);
    await expectRefusalAudited('environment.create', member.id, 'environment_limit');
  });

  it('while the quota is inactive is refused with 403 quota_inactive, adding nothing', async () => {
    const member = await newMember({ active: false });

    expectProblem(await member.caller.post('/api/v1/environments', { type: 'small' }), 403, 'quota_inactive');
    expect(await environmentsOf(member.caller)).toEqual([]);
    await expectRefusalAudited('environment.create', member.id, 'quota_inactive');
  });
});

describe('starting a stopped environment the quota does not allow', () => {
  it('without the credits for it is refused with 409 insufficient_credits, leaving it stopped', async () => {
    const member = await newMember({ credits: 1 });
    const stopped = await createEnvironment(member.caller, 'small');
    await lifecycle(member.caller, stopped.id, 'stop');
    await createEnvironment(member.caller, 'small'); // takes the only credit

    const problem = expectProblem(await member.caller.post(`/api/v1/environments/${stopped.id}/start`), 409, 'insufficient_credits');
    expect(problem.detail).toMatch(/needs 1 credit/);
    expect(problem.detail).toMatch(/0 left/);
    const after = await member.caller.get(`/api/v1/environments/${stopped.id}`);
    expect(after.json<Environment>().desiredState).toBe('stopped');
    await expectRefusalAudited('environment.start', member.id, 'insufficient_credits');
  });
});

describe('deactivating a quota', () => {
  it('stops every running environment of the user, and a later start is refused with 403 quota_inactive', async () => {
    const member = await newMember();
    // One at a time: the first start creates the owner's network, and two first starts at once race on it.
    const envs: Environment[] = [];
    for (let i = 0; i < 2; i++) {
      const env = await createEnvironment(member.caller, 'small');
      await waitForStatus(member.caller, env.id, 'running');
      envs.push(env);
    }

    const quota = await setQuota(member.id, { active: false });
    expect(quota).toMatchObject({ active: false, creditsUsed: 0, creditsLeft: 3 });
    expect((await environmentsOf(member.caller)).map((e) => e.desiredState)).toEqual(['stopped', 'stopped']);
    await Promise.all(envs.map((e) => waitForStatus(member.caller, e.id, 'stopped')));
    const [update] = (await admin.get(`/api/v1/audit?action=quota.update&targetId=${member.id}`)).json<{ items: AuditEntry[] }>().items;
    expect(update?.metadata).toMatchObject({ active: false, stoppedEnvironments: 2 });

    expectProblem(await member.caller.post(`/api/v1/environments/${envs[0]!.id}/start`), 403, 'quota_inactive');
    expect((await member.caller.get(`/api/v1/environments/${envs[0]!.id}`)).json<Environment>().desiredState).toBe('stopped');
    await expectRefusalAudited('environment.start', member.id, 'quota_inactive');
  });

  it('leaves the environments of other users running', async () => {
    const bystander = await newMember();
    const target = await newMember();
    const theirs = await createEnvironment(bystander.caller, 'small');
    await createEnvironment(target.caller, 'small');

    await setQuota(target.id, { active: false });

    expect((await environmentsOf(bystander.caller)).map((e) => e.desiredState)).toEqual(['running']);
    await waitForStatus(bystander.caller, theirs.id, 'running');
    expect((await quotaOf(bystander.caller)).creditsUsed).toBe(1);
  });
});
