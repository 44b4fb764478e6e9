import os from 'node:os';
import type { AuditEntry, Node, NodeList } from '@berth/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvironment } from './support/environments.js';
import { expectProblem } from './support/problem.js';
import { ADMIN, startTestServer, type Caller, type TestServer } from './support/server.js';
import { useServerOnSwarm, type TestSwarm } from './support/swarm.js';

/**
 * The machines environments run on, as administrators see and steer them: a real swarm of two
 * Docker engines (each in a network namespace of the test's), Berth driving its manager; and the
 * machine's own engine, in no swarm.
 */
describe('nodes of a swarm', () => {
  const on = useServerOnSwarm(2, { env: (swarm) => ({ DOCKER_HOST: `unix://${swarm.manager.socketPath}` }) });
  let swarm: TestSwarm;
  let admin: Caller;
  let member: Caller;

  /** The worker's spec as the swarm holds it. */
  const workerSpec = async () => (await swarm.manager.docker.getNode(swarm.nodes[1]!.id).inspect()) as { Version: { Index: number }; Spec: { Availability: string; Labels: Record<string, string> } };

  beforeAll(async () => {
    swarm = on.swarm;
    admin = await on.server.login(ADMIN.username, ADMIN.password);
    await on.server.createUser('nadia', 'nadia-password-1234');
    member = await on.server.login('nadia', 'nadia-password-1234');
  });

  it('lists every node as the swarm sees it: role, state, availability, address, what it has', async () => {
    const res = await admin.get('/api/v1/nodes');
    expect(res.statusCode, res.body).toBe(200);
    const list = res.json<NodeList>();
    expect(list.swarm).toBe(true);
    expect(list.items.map((n) => n.name).sort()).toEqual(swarm.nodes.map((n) => n.name).sort());
    const [manager, worker] = [list.items.find((n) => n.id === swarm.manager.id)!, list.items.find((n) => n.id === swarm.nodes[1]!.id)!];
    expect(manager).toMatchObject({ role: 'manager', state: 'ready', availability: 'active', address: swarm.manager.ip });
    expect(worker).toMatchObject({ role: 'worker', state: 'ready', availability: 'active', address: swarm.nodes[1]!.ip, labels: {} });
    // Engines in namespaces of this machine see its processors and memory.
    expect(worker.resources.vcpus).toBe(os.cpus().length);
    expect(worker.resources.memoryMb).toBeGreaterThan(0);
  });

  it('drains a node and makes it active again, in the swarm itself, audited', async () => {
    const id = swarm.nodes[1]!.id;
    const drained = await admin.patch(`/api/v1/nodes/${id}`, { availability: 'drain' });
    expect(drained.statusCode, drained.body).toBe(200);
    expect(drained.json<Node>()).toMatchObject({ id, availability: 'drain' });
    expect((await workerSpec()).Spec.Availability).toBe('drain');
    const audit = (await admin.get(`/api/v1/audit?action=node.update&targetId=${id}`)).json<{ items: AuditEntry[] }>().items;
    expect(audit[0]).toMatchObject({ actorUsername: ADMIN.username, targetType: 'node', targetId: id, metadata: { availability: 'drain' } });

    expect((await admin.patch(`/api/v1/nodes/${id}`, { availability: 'active' })).statusCode).toBe(200);
    expect((await workerSpec()).Spec.Availability).toBe('active');
  });

  it("replaces a node's labels, which the list shows", async () => {
    const id = swarm.nodes[1]!.id;
    const res = await admin.patch(`/api/v1/nodes/${id}`, { labels: { kvm: 'true', 'berth.io/zone': 'lab-a' } });
    expect(res.statusCode, res.body).toBe(200);
    expect((await workerSpec()).Spec.Labels).toEqual({ kvm: 'true', 'berth.io/zone': 'lab-a' });
    const listed = (await admin.get('/api/v1/nodes')).json<NodeList>().items.find((n) => n.id === id);
    expect(listed?.labels).toEqual({ kvm: 'true', 'berth.io/zone': 'lab-a' });
  });

  it('refuses a member (403), an unknown node (404) and bad or oversized input (400), changing nothing', async () => {
    const id = swarm.nodes[1]!.id;
    const before = await workerSpec();
    expectProblem(await member.get('/api/v1/nodes'), 403, 'forbidden');
    expectProblem(await member.patch(`/api/v1/nodes/${id}`, { availability: 'drain' }), 403, 'forbidden');
    expectProblem(await admin.patch('/api/v1/nodes/nosuchnode0123456789', { availability: 'drain' }), 404, 'not_found');
    expectProblem(await admin.patch(`/api/v1/nodes/${id}`, { availability: 'asleep' }), 400, 'validation_failed');
    expectProblem(await admin.patch(`/api/v1/nodes/${id}`, { labels: { 'Has Space': 'x' } }), 400, 'validation_failed');
    expectProblem(await admin.patch(`/api/v1/nodes/${id}`, { labels: { kvm: 'a b' } }), 400, 'validation_failed');
    expectProblem(await admin.patch(`/api/v1/nodes/${id}`, {}), 400, 'validation_failed');
    // Oversized: more labels than a node keeps, a value longer than one may be.
    expectProblem(await admin.patch(`/api/v1/nodes/${id}`, { labels: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`l${i}`, 'x'])) }), 400, 'validation_failed');
    expectProblem(await admin.patch(`/api/v1/nodes/${id}`, { labels: { kvm: 'x'.repeat(129) } }), 400, 'validation_failed');
    expectProblem(await admin.patch(`/api/v1/nodes/${id}`, { availability: 'drain', role: 'manager' }), 400, 'validation_failed');
    expectProblem(await admin.patch('/api/v1/nodes/NOT_AN_ID', { availability: 'drain' }), 400, 'validation_failed');
    expect((await workerSpec()).Version.Index).toBe(before.Version.Index);
    // A refusal the service made is audited as one.
    const audit = (await admin.get(`/api/v1/audit?action=node.update&targetId=nosuchnode0123456789`)).json<{ items: AuditEntry[] }>().items;
    expect(audit.map((a) => a.success)).toEqual([false]);
  });
});

describe('the one engine, in no swarm', () => {
  let server: TestServer;
  let admin: Caller;
  beforeAll(async () => {
    server = await startTestServer();
    admin = await server.login(ADMIN.username, ADMIN.password);
  });
  afterAll(() => server?.close());

  it('is the one node, "local", with what the engine has; it cannot be drained (409 not_a_swarm, audited as refused)', async () => {
    const list = (await admin.get('/api/v1/nodes')).json<NodeList>();
    const info = (await server.docker.info()) as { NCPU: number; Name: string };
    expect(list).toMatchObject({ swarm: false, items: [{ id: 'local', role: 'standalone', state: 'ready', availability: 'active', name: info.Name, resources: { vcpus: info.NCPU } }] });
    expectProblem(await admin.patch('/api/v1/nodes/local', { availability: 'drain' }), 409, 'not_a_swarm');
    expect((await admin.get('/api/v1/audit?action=node.update')).json<{ items: AuditEntry[] }>().items.map((a) => [a.targetId, a.success])).toEqual([['local', false]]);
  });

  it('has nowhere to move an environment to (409 not_a_swarm, audited as refused)', async () => {
    const env = await createEnvironment(admin, { type: 'small', name: 'stays-put' });
    expectProblem(await admin.post(`/api/v1/environments/${env.id}/move`, { nodeId: 'local' }), 409, 'not_a_swarm');
    expect((await admin.get(`/api/v1/audit?action=environment.move&targetId=${env.id}`)).json<{ items: AuditEntry[] }>().items.map((a) => a.success)).toEqual([false]);
  });
});
