import type { AuditEntry, Environment } from '@berth/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSystemIntents } from '../packages/server/src/control/system-intent.js';
import { createEnvironmentEventsRepo } from '../packages/server/src/modules/environments/environment-events.repo.js';
import { createEnvironmentsRepo } from '../packages/server/src/modules/environments/environments.repo.js';
import { agentUser, createSandbox, startE2bServer, type AgentUser } from './support/e2b.js';
import { contextOf, environmentsThatNeverRan } from './support/never-run.js';
import type { Caller, TestServer } from './support/server.js';
import { waitFor, waitForStatus } from './support/wait.js';

/**
 * The E2B timeout sweep against many paused sandboxes past their end: they
 * wait for a connect (as on E2B), so the sweep neither kills them nor writes
 * a row about them on every pass, and a running one behind them still dies.
 */
let server: TestServer;
let url: string;
let admin: Caller;
let agent: AgentUser;

/** More than the sweep takes in one pass. */
const PAUSED = 101;

beforeAll(async () => {
  ({ server, url, admin } = await startE2bServer());
  agent = await agentUser(server, admin, 'sweeper', { credits: 20, maxEnvironments: PAUSED + 10 });
});

afterAll(async () => {
  await server?.close();
});

const audit = async (query: string) => (await admin.get(`/api/v1/audit?limit=200&${query}`)).json<{ items: AuditEntry[] }>().items;

/** Paused sandboxes past their end: never run (no containers), then timed out through the E2B service. */
async function pausedExpiredSandboxes(count: number): Promise<string[]> {
  const owner = { id: agent.id, username: 'sweeper' };
  const ids = await environmentsThatNeverRan(server, owner, count, { sandbox: true });
  const ctx = await contextOf(server, owner);
  for (const id of ids) await server.services.e2b.setTimeout(ctx, id, 0);
  return ids;
}

describe('the E2B timeout sweep', () => {
  let paused: string[];
  let running: string;

  beforeAll(async () => {
    paused = await pausedExpiredSandboxes(PAUSED);
    // Its end comes after every paused one's, so a sweep that takes the oldest ends first meets them first.
    running = (await createSandbox(url, agent.apiKey)).sandboxID;
    const res = await fetch(`${url}/sandboxes/${running}/timeout`, { method: 'POST', headers: { 'x-api-key': agent.apiKey, 'content-type': 'application/json' }, body: JSON.stringify({ timeout: 0 }) });
    expect(res.status).toBe(204);
    await waitFor('the paused sandboxes to settle as stopped', async () => {
      const items = (await agent.caller.get('/api/v1/environments')).json<{ items: Environment[] }>().items;
      return items.filter((e) => e.status === 'stopped').length === PAUSED;
    });
  }, 120_000);

  it('kills a running sandbox past its end though more than a batch of paused ones ended before it', async () => {
    expect(await server.services.e2bExpiry.run()).toEqual([running]);
    await waitForStatus(agent.caller, running, 'deleted');
  });

  it('leaves paused sandboxes past their end paused, and audits nothing about them however often it runs', async () => {
    for (let pass = 0; pass < 3; pass++) expect(await server.services.e2bExpiry.run()).toEqual([]);
    const timeouts = await audit('action=sandbox.timeout');
    expect(timeouts.map((a) => a.targetId)).toEqual([running]);
    const list = await fetch(`${url}/v2/sandboxes?state=paused&limit=1000`, { headers: { 'x-api-key': agent.apiKey } });
    expect(((await list.json()) as { sandboxID: string }[]).map((s) => s.sandboxID).sort()).toEqual([...paused].sort());
  });

  it('lets a paused sandbox past its end resume on connect, with a new end the sweep respects', async () => {
    const [first] = paused;
    const res = await fetch(`${url}/sandboxes/${first}/connect`, { method: 'POST', headers: { 'x-api-key': agent.apiKey, 'content-type': 'application/json' }, body: JSON.stringify({ timeout: 600 }) });
    expect(res.status, await res.clone().text()).toBe(201);
    expect(await server.services.e2bExpiry.run()).toEqual([]);
    expect((await agent.caller.get(`/api/v1/environments/${first}`)).json<Environment>()).toMatchObject({ desiredState: 'running', status: 'running' });
    expect(await audit(`action=sandbox.timeout&targetId=${first}`)).toEqual([]);
  });

  it('records no intent and no audit row when the environment stopped between the sweep\'s list and its lock', async () => {
    const record = createSystemIntents({ environmentsRepo: createEnvironmentsRepo(), eventsRepo: createEnvironmentEventsRepo(), audit: server.services.audit, changed: () => undefined });
    const last = paused[paused.length - 1]!;
    const intent = { action: 'test.late_intent', source: 'test', desiredState: 'deleted' as const, reason: 'too late', event: { type: 'test', message: 'too late' } };
    expect(await record(last, intent)).toBe(false);
    expect(await audit('action=test.late_intent')).toEqual([]);
    expect((await agent.caller.get(`/api/v1/environments/${last}`)).json<Environment>().desiredState).toBe('stopped');
  });
});
