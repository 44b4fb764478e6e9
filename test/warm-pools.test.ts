import { randomUUID } from 'node:crypto';
import type { AuditEntry, Environment, EnvironmentEvent, Quota, Template, WarmPool } from '@berth/contracts';
import { and, eq, isNull } from 'drizzle-orm';
import { Sandbox } from 'e2b';
import { beforeAll, describe, expect, it } from 'vitest';
import { environments } from '../packages/server/src/db/schema.js';
import { networkName } from '../packages/server/src/runtime/docker/labels.js';
import { createEnvironment, execIn } from './support/environments.js';
import { agentUser } from './support/e2b.js';
import { expectProblem } from './support/problem.js';
import { useTestServer } from './support/test-server.js';
import { waitFor, waitForStatus } from './support/wait.js';

/**
 * Warm pools: environments built and started ahead of demand, owned by no one, that a matching
 * create claims at once, in its own audited transaction, never twice, and that the keeper tops up
 * and drains when what they were built as changes.
 */
const { server, admin, users: { ada, bob, cyd }, ids } = useTestServer({ users: ['ada', 'bob', 'cyd'], env: { BERTH_POOL_CHECK_MS: '300' } });

beforeAll(async () => {
  for (const id of Object.values(ids)) expect((await admin.patch(`/api/v1/users/${id}/quota`, { credits: 40, maxEnvironments: 20 })).statusCode).toBe(200);
});

const RUN = randomUUID().slice(0, 8);

async function makePool(body: Record<string, unknown>): Promise<WarmPool> {
  const res = await admin.post('/api/v1/pools', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json<WarmPool>();
}

async function poolState(id: string): Promise<WarmPool | undefined> {
  return (await admin.get('/api/v1/pools')).json<{ items: WarmPool[] }>().items.find((p) => p.id === id);
}

/** Waits until the pool holds exactly `ready` claimable environments, with nothing under way. */
async function settled(id: string, ready: number, timeoutMs = 90_000): Promise<WarmPool> {
  let seen: WarmPool | undefined;
  return waitFor(
    () => `pool ${id} to settle at ${ready} ready (last: ${JSON.stringify(seen)})`,
    async () => {
      seen = await poolState(id);
      return seen && seen.ready === ready && seen.building === 0 && seen.draining === 0 ? seen : undefined;
    },
    timeoutMs,
    100,
  );
}

/** The pool's unclaimed environments, as the database holds them. */
async function unclaimed(poolId: string): Promise<{ id: string; status: string; poolVersion: string | null }[]> {
  return server.database.db
    .select({ id: environments.id, status: environments.status, poolVersion: environments.poolVersion })
    .from(environments)
    .where(and(eq(environments.poolId, poolId), isNull(environments.ownerId), eq(environments.desiredState, 'running')));
}

const create = createEnvironment;
const sh = execIn;

/** The Berth networks an environment's container is on, by key. */
async function networksOf(id: string): Promise<string[]> {
  const info = await server.docker.getContainer(`berth-${id}`).inspect();
  return Object.keys(info.NetworkSettings.Networks ?? {});
}
const ownerNetwork = (userId: string) => networkName(server.installId, `owner-${userId}-internet`);

const quotaOf = async (userId: string) => (await admin.get(`/api/v1/users/${userId}/quota`)).json<Quota>();

describe('a warm pool', () => {
  let pool: WarmPool;

  beforeAll(async () => {
    pool = await makePool({ machineType: 'small', size: 2 });
    expect(pool).toMatchObject({ machineType: 'small', templateId: null, image: null, size: 2, claimed: 0 });
    expect(pool.ready + pool.building).toBe(2);
    pool = await settled(pool.id, 2);
  });

  it('is owned by no one, charged to no one, and seen by no one but the pool', async () => {
    const members = await unclaimed(pool.id);
    expect(members).toHaveLength(2);
    expect(members.every((m) => m.status === 'running' && m.poolVersion === pool.version)).toBe(true);
    expect((await quotaOf(ids.ada)).creditsUsed).toBe(0);
    for (const m of members) {
      // Each waits alone on a network of its own, not beside anyone's environments.
      expect(await networksOf(m.id)).toEqual([networkName(server.installId, `env-${m.id}-internet`)]);
      for (const caller of [ada, admin]) expect((await caller.get(`/api/v1/environments/${m.id}`)).statusCode).toBe(404);
    }
    const all = (await admin.get('/api/v1/environments?all=true')).json<{ items: Environment[] }>().items;
    expect(all.some((e) => members.some((m) => m.id === e.id))).toBe(false);
  });

  it('hands a matching create a running environment at once: owned, audited, charged from then on', async () => {
    const before = new Set((await unclaimed(pool.id)).map((m) => m.id));
    const env = await create(ada, { type: 'small', name: 'warm' });
    expect(before.has(env.id)).toBe(true);
    expect(env).toMatchObject({ status: 'running', desiredState: 'running', name: 'warm', owner: { id: ids.ada, username: 'ada' } });
    expect((await sh(ada, env.id, 'echo ok')).stdout).toBe('ok\n');
    expect((await quotaOf(ids.ada)).creditsUsed).toBe(1);

    const audit = (await admin.get(`/api/v1/audit?action=environment.create&targetId=${env.id}`)).json<{ items: AuditEntry[] }>().items;
    expect(audit.find((a) => a.targetId === env.id)).toMatchObject({ success: true, actorUsername: 'ada', metadata: { pool: pool.id, name: 'warm' } });
    const events = (await ada.get(`/api/v1/environments/${env.id}/events`)).json<{ items: EnvironmentEvent[] }>().items;
    expect(events.at(-1)?.message).toBe('claimed from a warm pool by ada');

    // Moved onto its owner's network (the reconciler's step after the claim), and the pool refills.
    await waitFor('the claimed environment on its owner\'s network', async () => (await networksOf(env.id)).join() === ownerNetwork(ids.ada));
    const refilled = await settled(pool.id, 2);
    expect(refilled.claimed).toBe(1);
    expect((await unclaimed(pool.id)).some((m) => m.id === env.id)).toBe(false);
  });

  it('makes a create that asks for less egress cold: a pooled environment is never handed more for a moment', async () => {
    const env = await create(ada, { type: 'small', egress: 'none' });
    expect(env.status).toBe('pending');
    expect((await unclaimed(pool.id)).some((m) => m.id === env.id)).toBe(false);
    await waitForStatus(ada, env.id, 'running');
  });

  it('leaves the environment in the pool when the claim fails mid-way (its transaction rolls back)', async () => {
    const before = (await unclaimed(pool.id)).map((m) => m.id).sort();
    expect(before).toHaveLength(2);
    // ada has an environment named "warm" already: the claim's rename fails after it took one.
    await expectProblem(await ada.post('/api/v1/environments', { type: 'small', name: 'warm' }), 409, 'conflict');
    expect((await unclaimed(pool.id)).map((m) => m.id).sort()).toEqual(before);
    const env = await create(bob, { type: 'small' });
    expect(before).toContain(env.id);
    expect(env.owner.username).toBe('bob');
  });

  it('converges a claim whose network move never ran (the server went down right after the commit)', async () => {
    await settled(pool.id, 2);
    // The reconciler is stopped: the claim commits, and nothing moves the environment after it.
    await server.services.worker.stop();
    let env: Environment;
    try {
      env = await create(cyd, { type: 'small' });
      expect(env.status).toBe('running');
      expect(await networksOf(env.id)).toEqual([networkName(server.installId, `env-${env.id}-internet`)]);
    } finally {
      server.services.worker.start();
    }
    await waitFor('the claimed environment on its owner\'s network', async () => (await networksOf(env.id)).join() === ownerNetwork(ids.cyd));
    expect((await sh(cyd, env.id, 'echo still-here')).stdout).toBe('still-here\n');
  });

  it('gives an E2B sandbox one, on the network it already has', async () => {
    await settled(pool.id, 2);
    const ready = new Set((await unclaimed(pool.id)).map((m) => m.id));
    const url = await server.app.listen({ host: '127.0.0.1', port: 0 });
    const agent = await agentUser(server, admin, `pool-agent-${RUN}`);
    const sbx = await Sandbox.create({ apiKey: agent.apiKey, apiUrl: url, sandboxUrl: url, timeoutMs: 120_000 });
    try {
      expect(ready.has(sbx.sandboxId)).toBe(true);
      expect((await sbx.commands.run('echo ok')).stdout).toBe('ok\n');
      const info = await sbx.getInfo();
      // Its start is the claim's, not the pool's.
      expect(Date.now() - info.startedAt.getTime()).toBeLessThan(60_000);
      expect(await networksOf(sbx.sandboxId)).toEqual([networkName(server.installId, `env-${sbx.sandboxId}-internet`)]);
    } finally {
      await sbx.kill();
    }
  });

  it('is resized, and deleted with its unclaimed environments (claimed ones stay their owners\')', async () => {
    const claimedOne = await create(ada, { type: 'small' });
    const resized = await admin.patch(`/api/v1/pools/${pool.id}`, { size: 1 });
    expect(resized.statusCode, resized.body).toBe(200);
    await settled(pool.id, 1);
    const left = await unclaimed(pool.id);
    expect(left).toHaveLength(1);
    expect((await admin.delete(`/api/v1/pools/${pool.id}`)).statusCode).toBe(204);
    expect(await poolState(pool.id)).toBeUndefined();
    await waitFor('the unclaimed environment deleted', async () => {
      const [row] = await server.database.db.select({ status: environments.status }).from(environments).where(eq(environments.id, left[0]!.id));
      return row?.status === 'deleted';
    });
    expect((await ada.get(`/api/v1/environments/${claimedOne.id}`)).json<Environment>().desiredState).toBe('running');
    const audit = (await admin.get('/api/v1/audit?action=pool.delete')).json<{ items: AuditEntry[] }>().items;
    expect(audit[0]).toMatchObject({ targetId: pool.id, success: true, actorUsername: 'admin' });
  });
});

describe('claims under concurrency', () => {
  it('thirty creates at once never share an environment', async () => {
    const pool = await settled((await makePool({ machineType: 'medium', size: 8 })).id, 8);
    const ready = new Set((await unclaimed(pool.id)).map((m) => m.id));
    const callers = [ada, bob, cyd];
    const made = await Promise.all(Array.from({ length: 30 }, (_, i) => create(callers[i % 3]!, { type: 'medium' }).then((env) => ({ env, by: ['ada', 'bob', 'cyd'][i % 3]! }))));
    const madeIds = made.map((m) => m.env.id);
    expect(new Set(madeIds).size).toBe(30);
    const claimed = made.filter((m) => ready.has(m.env.id));
    // Every ready one was there for the taking, and each went to exactly one create.
    expect(claimed.length).toBe(8);
    expect(claimed.every((m) => m.env.status === 'running')).toBe(true);
    for (const m of made) expect(m.env.owner.username).toBe(m.by);
    const rows = await server.database.db.select({ id: environments.id, ownerId: environments.ownerId }).from(environments).where(eq(environments.poolId, pool.id));
    for (const m of claimed) expect(rows.find((r) => r.id === m.env.id)?.ownerId).toBe(ids[m.by as 'ada']);
    expect((await admin.delete(`/api/v1/pools/${pool.id}`)).statusCode).toBe(204);
    for (const m of made) expect((await callers[['ada', 'bob', 'cyd'].indexOf(m.by)]!.delete(`/api/v1/environments/${m.env.id}`)).statusCode).toBe(202);
  });
});

describe('a pool of a template', () => {
  it('writes the template into its environments ahead of the claim, and drains them when the template changes', async () => {
    const made = await admin.post('/api/v1/templates', { slug: `pooled-${RUN}`, name: 'pooled', public: true, files: [{ path: 'hello.txt', content: 'v1\n' }], startCommand: 'echo started > /tmp/started' });
    expect(made.statusCode, made.body).toBe(201);
    const template = made.json<Template>();
    const pool = await settled((await makePool({ machineType: 'small', templateId: template.id, size: 1 })).id, 1);
    expect(pool.templateSlug).toBe(`pooled-${RUN}`);

    // A create without the template does not take one of the template's.
    const plain = await create(bob, { type: 'small' });
    expect(plain.status).toBe('pending');

    const first = await create(ada, { type: 'small', templateId: template.id });
    expect(first.status).toBe('running');
    expect((await sh(ada, first.id, 'cat /workspace/hello.txt /tmp/started')).stdout).toBe('v1\nstarted\n');
    await settled(pool.id, 1);

    const patched = await admin.patch(`/api/v1/templates/${template.id}`, { files: [{ path: 'hello.txt', content: 'v2\n' }] });
    expect(patched.statusCode, patched.body).toBe(200);
    const drained = await waitFor('a pool of the new version', async () => {
      const state = await poolState(pool.id);
      return state && state.version !== pool.version && state.ready === 1 && state.draining === 0 ? state : undefined;
    }, 90_000);
    expect((await unclaimed(pool.id)).every((m) => m.poolVersion === drained.version)).toBe(true);
    const second = await create(ada, { type: 'small', templateId: template.id });
    expect(second.status).toBe('running');
    expect((await sh(ada, second.id, 'cat /workspace/hello.txt')).stdout).toBe('v2\n');
    await settled(pool.id, 1);

    // Labels the template comes to need are its pool's too: its environments are made again with them, so placement honours them.
    expect((await admin.patch(`/api/v1/templates/${template.id}`, { nodeLabels: { zone: 'a' } })).statusCode).toBe(200);
    const labelled = await waitFor('a pool of the labelled version', async () => {
      const state = await poolState(pool.id);
      return state && state.version !== drained.version && state.ready === 1 && state.draining === 0 ? state : undefined;
    }, 90_000);
    const [member] = await unclaimed(pool.id);
    expect(member?.poolVersion).toBe(labelled.version);
    const [row] = await server.database.db.select({ nodeLabels: environments.nodeLabels }).from(environments).where(eq(environments.id, member!.id));
    expect(row!.nodeLabels).toEqual({ zone: 'a' });
    const third = await create(ada, { type: 'small', templateId: template.id });
    expect(third.id).toBe(member!.id);
    expect((await admin.delete(`/api/v1/pools/${pool.id}`)).statusCode).toBe(204);
    // Three versions of the pool built and drained in turn.
  }, 180_000);
});

describe('pool administration refuses bad input', () => {
  it('and changes nothing', async () => {
    const count = async () => (await admin.get('/api/v1/pools')).json<{ items: WarmPool[] }>().items.length;
    const before = await count();
    await expectProblem(await admin.post('/api/v1/pools', { machineType: 'small', size: 10_000 }), 400, 'validation_failed');
    await expectProblem(await admin.post('/api/v1/pools', { machineType: 'small', size: 1, extra: true }), 400, 'validation_failed');
    await expectProblem(await admin.post('/api/v1/pools', { machineType: 'no-such-type', size: 1 }), 403, 'machine_type_not_allowed');
    await expectProblem(await admin.post('/api/v1/pools', { machineType: 'small', templateId: randomUUID(), size: 1 }), 404, 'not_found');
    await expectProblem(await admin.patch(`/api/v1/pools/${randomUUID()}`, { size: 1 }), 404, 'not_found');
    await expectProblem(await admin.patch(`/api/v1/pools/${randomUUID()}`, { size: -1 }), 400, 'validation_failed');
    const pool = await makePool({ machineType: 'large', size: 0 });
    await expectProblem(await admin.post('/api/v1/pools', { machineType: 'large', size: 3 }), 409, 'conflict');
    await expectProblem(await ada.post('/api/v1/pools', { machineType: 'large', size: 3 }), 403, 'forbidden');
    expect(await count()).toBe(before + 1);
    expect((await admin.delete(`/api/v1/pools/${pool.id}`)).statusCode).toBe(204);
  });
});

describe('a sandboxed pool', () => {
  it('makes its environments under gVisor, and only a create that asks for sandboxed claims one', async () => {
    const made = await makePool({ machineType: 'medium', size: 1, runtimeClass: 'sandboxed' });
    const why = async () => JSON.stringify(await server.database.db.select({ status: environments.status, lastError: environments.lastError }).from(environments).where(eq(environments.poolId, made.id)));
    expect(made.runtimeClass).toBe('sandboxed');
    const pool = await settled(made.id, 1).catch(async (err: Error) => {
      throw new Error(`${err.message}; its environments: ${await why()}`);
    });
    const [member] = await unclaimed(pool.id);
    expect((await server.docker.getContainer(`berth-${member!.id}`).inspect()).HostConfig.Runtime).toBe('runsc');
    // A standard create of the same machine type is made cold: never handed a sandbox it did not ask for, nor the reverse.
    const cold = await create(cyd, { type: 'medium' });
    expect(cold).toMatchObject({ status: 'pending', runtimeClass: 'standard' });
    const claimed = await create(cyd, { type: 'medium', runtimeClass: 'sandboxed' });
    expect(claimed).toMatchObject({ id: member!.id, status: 'running', runtimeClass: 'sandboxed' });
    expect((await sh(cyd, claimed.id, 'uname -r')).stdout).toBe('4.4.0\n');
    expect((await admin.delete(`/api/v1/pools/${pool.id}`)).statusCode).toBe(204);
  }, 120_000);
});
