import type { Environment, EnvironmentEvent, EnvironmentStats } from '@berth/contracts';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environments } from '../packages/server/src/db/schema.js';
import { expectProblem } from './support/problem.js';
import { ADMIN, startTestServer, type Caller, type TestServer } from './support/server.js';
import { waitForStatus } from './support/wait.js';

let server: TestServer;
let ada: Caller;
let adaId: string;
beforeAll(async () => {
  server = await startTestServer();
  adaId = await server.createUser('ada', 'ada-password-1234');
  ada = await server.login('ada', 'ada-password-1234');
  const admin = await server.login(ADMIN.username, ADMIN.password);
  await admin.patch(`/api/v1/users/${adaId}/quota`, { credits: 10, maxEnvironments: 10 });
});
afterAll(() => server.close());

async function running(name: string): Promise<Environment> {
  const res = await ada.post('/api/v1/environments', { type: 'small', name });
  expect(res.statusCode, res.body).toBe(202);
  return waitForStatus(ada, res.json<Environment>().id, 'running');
}

/** Pretends nobody touched the environment for `minutes` (the clock is the database's). */
async function idleFor(id: string, minutes: number): Promise<void> {
  await server.database.db
    .update(environments)
    .set({ lastActivityAt: sql`now() - make_interval(mins => ${minutes})` })
    .where(eq(environments.id, id));
}

describe('idle auto-stop', () => {
  it("stops an environment idle past its owner's timeout, with an event and an audit row saying why", async () => {
    const admin = await server.login(ADMIN.username, ADMIN.password);
    await admin.patch(`/api/v1/users/${adaId}/quota`, { idleTimeoutMinutes: 5 });
    const idle = await running('idle-one');
    const busy = await running('busy-one');
    await idleFor(idle.id, 6);
    await idleFor(busy.id, 4);

    expect(await server.services.idle.run()).toEqual([idle.id]);
    const stopped = await waitForStatus(ada, idle.id, 'stopped');
    expect(stopped.desiredState).toBe('stopped');
    expect((await ada.get(`/api/v1/environments/${busy.id}`)).json<Environment>().status).toBe('running');

    const events = (await ada.get(`/api/v1/environments/${idle.id}/events`)).json<{ items: EnvironmentEvent[] }>().items;
    expect(events.find((e) => e.type === 'auto_stop')?.message).toMatch(/idle for 6 minutes \(limit 5\)/);
    const audit = (await admin.get(`/api/v1/audit?action=environment.auto_stop&targetId=${idle.id}`)).json<{ items: { success: boolean; actorId: string | null }[] }>().items;
    expect(audit).toEqual([expect.objectContaining({ success: true, actorId: null })]);
    // A second pass finds nothing more to do.
    expect(await server.services.idle.run()).toEqual([]);
  });

  it('never stops anything when the timeout is 0', async () => {
    const admin = await server.login(ADMIN.username, ADMIN.password);
    await admin.patch(`/api/v1/users/${adaId}/quota`, { idleTimeoutMinutes: 0 });
    const env = await running('forever');
    await idleFor(env.id, 60 * 24 * 30);
    expect(await server.services.idle.run()).toEqual([]);
  });
});

describe('GET /api/v1/environments/:id/stats', () => {
  it('reports memory within the type limit, pids, and I/O counters of a running environment', async () => {
    const env = await running('measured');
    const res = await ada.get(`/api/v1/environments/${env.id}/stats`);
    expect(res.statusCode, res.body).toBe(200);
    const stats = res.json<EnvironmentStats>();
    expect(stats.memoryLimitBytes).toBe(1024 * 1024 * 1024);
    expect(stats.memoryBytes).toBeGreaterThan(0);
    expect(stats.memoryBytes).toBeLessThan(stats.memoryLimitBytes);
    expect(stats.pids).toBeGreaterThanOrEqual(2); // the init process and the idle shell
    expect(stats.cpuPercent).toBeGreaterThanOrEqual(0);
    for (const key of ['networkRxBytes', 'networkTxBytes', 'blockReadBytes', 'blockWriteBytes'] as const) expect(stats[key]).toBeGreaterThanOrEqual(0);
  });

  it('answers 409 for a stopped environment and 404 for someone else\'s', async () => {
    const env = await running('paused');
    await ada.post(`/api/v1/environments/${env.id}/stop`);
    await waitForStatus(ada, env.id, 'stopped');
    expectProblem(await ada.get(`/api/v1/environments/${env.id}/stats`), 409, 'environment_not_running');
    await server.createUser('bob', 'bob-password-1234');
    const bob = await server.login('bob', 'bob-password-1234');
    expectProblem(await bob.get(`/api/v1/environments/${env.id}/stats`), 404, 'not_found');
  });
});
