import type { AuditEntry, Environment, Me } from '@berth/contracts';
import type { LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { LABEL_ENV } from '../packages/server/src/runtime/docker/labels.js';
import { installObjects } from './support/docker.js';
import { expectProblem } from './support/problem.js';
import type { Caller } from './support/server.js';
import { waitForStatus } from './support/wait.js';
import { useTestServer } from './support/test-server.js';

const PASSWORD = 'a-long-enough-password';

const { server, admin } = useTestServer();

async function setQuota(userId: string, quota: { credits?: number; maxEnvironments?: number }): Promise<void> {
  const res = await admin.patch(`/api/v1/users/${userId}/quota`, quota);
  expect(res.statusCode, res.body).toBe(200);
}

async function creditsUsed(caller: Caller): Promise<number> {
  const res = await caller.get('/api/v1/me');
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Me>().quota.creditsUsed;
}

async function auditOf(userId: string, action: string): Promise<AuditEntry[]> {
  const res = await admin.get(`/api/v1/audit?actor=${userId}&action=${action}&limit=500`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ items: AuditEntry[] }>().items;
}

describe('50 concurrent creates with credits for 5', () => {
  const CREDITS = 5;
  const ATTEMPTS = 50;
  let userId: string;
  let user: Caller;
  let answers: LightMyRequestResponse[];
  let accepted: Environment[];

  beforeAll(async () => {
    userId = await server.createUser('burst', PASSWORD);
    await setQuota(userId, { credits: CREDITS, maxEnvironments: 100 });
    user = await server.login('burst', PASSWORD);

    answers = await Promise.all(Array.from({ length: ATTEMPTS }, () => user.post('/api/v1/environments', { type: 'small' })));
    accepted = answers.filter((r) => r.statusCode === 202).map((r) => r.json<Environment>());
  });

  it('accepts exactly 5 and refuses the other 45 with 409 insufficient_credits', () => {
    expect(accepted).toHaveLength(CREDITS);
    const refused = answers.filter((r) => r.statusCode !== 202);
    expect(refused).toHaveLength(ATTEMPTS - CREDITS);
    for (const res of refused) expectProblem(res, 409, 'insufficient_credits');
    expect(new Set(accepted.map((e) => e.id)).size).toBe(CREDITS);
  });

  it('counts exactly the 5 credits in use', async () => {
    expect(await creditsUsed(user)).toBe(CREDITS);
    const list = (await user.get('/api/v1/environments')).json<{ items: Environment[] }>().items;
    expect(list.map((e) => e.id).sort()).toEqual(accepted.map((e) => e.id).sort());
  });

  it('runs all 5, each in exactly one container on the engine', async () => {
    await Promise.all(accepted.map((e) => waitForStatus(user, e.id, 'running')));

    const { containers } = await installObjects(server.docker, server.installId);
    expect(containers.map((c) => c.Labels[LABEL_ENV]).sort()).toEqual(accepted.map((e) => e.id).sort());
    expect(containers.every((c) => c.State === 'running')).toBe(true);
  });

  it('audits the 45 refusals as failed environment.create rows and the 5 creates as successful ones', async () => {
    const rows = await auditOf(userId, 'environment.create');
    const failed = rows.filter((r) => !r.success);
    expect(failed).toHaveLength(ATTEMPTS - CREDITS);
    for (const row of failed) expect(row.metadata).toMatchObject({ code: 'insufficient_credits', type: 'small' });
    expect(rows.filter((r) => r.success).map((r) => r.targetId).sort()).toEqual(accepted.map((e) => e.id).sort());
  });
});

describe('concurrent starts competing for the last credit', () => {
  it('20 concurrent starts of each of two stopped environments run exactly one of them and never overspend', async () => {
    const userId = await server.createUser('starter', PASSWORD);
    const user = await server.login('starter', PASSWORD);
    await setQuota(userId, { credits: 4 });
    const created = await Promise.all(Array.from({ length: 4 }, () => user.post('/api/v1/environments', { type: 'small' })));
    const [x, y, ...others] = created.map((r) => {
      expect(r.statusCode, r.body).toBe(202);
      return r.json<Environment>().id;
    });
    await Promise.all([x!, y!, ...others].map((id) => waitForStatus(user, id, 'running')));
    for (const id of [x!, y!]) expect((await user.post(`/api/v1/environments/${id}/stop`)).statusCode).toBe(202);
    await Promise.all([x!, y!].map((id) => waitForStatus(user, id, 'stopped')));
    // Two small environments keep running: one credit is left, and both stopped ones want it.
    await setQuota(userId, { credits: 3 });
    expect(await creditsUsed(user)).toBe(2);

    const starts = Array.from({ length: 20 }, () => [x!, y!]).flat();
    const answers = await Promise.all(starts.map((id) => user.post(`/api/v1/environments/${id}/start`)));

    expect(await creditsUsed(user)).toBe(3);
    const acceptedFor = (id: string) => answers.filter((r, i) => starts[i] === id && r.statusCode === 202).length;
    // Once one start wins the credit, every start of the same environment is a no-op 202 and every start of the other is refused.
    const [winner, loser] = acceptedFor(x!) > 0 ? [x!, y!] : [y!, x!];
    expect([acceptedFor(winner), acceptedFor(loser)]).toEqual([20, 0]);
    answers.forEach((res, i) => {
      if (starts[i] === loser) expectProblem(res, 409, 'insufficient_credits');
    });

    await waitForStatus(user, winner, 'running');
    const lost = (await user.get(`/api/v1/environments/${loser}`)).json<Environment>();
    expect(lost).toMatchObject({ desiredState: 'stopped', status: 'stopped' });
    expect(await creditsUsed(user)).toBe(3);
  }, 90_000);
});
