import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Environment, EnvironmentEvent, NodeList } from '@berth/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerName } from '../packages/server/src/runtime/docker/labels.js';
import { createEnvironment, execIn } from './support/environments.js';
import { ensureTestImage, TEST_IMAGE } from './support/images.js';
import { expectProblem } from './support/problem.js';
import { ADMIN, type Caller, type TestServer } from './support/server.js';
import { useServerOnSwarm, type SwarmNode, type TestSwarm } from './support/swarm.js';
import { TerminalClient } from './support/terminal.js';
import { waitFor, waitForStatus } from './support/wait.js';

const run = promisify(execFile);

/**
 * Environments on a swarm of three real engines (each in a network namespace of the test's), Berth
 * driving the manager through its socket and the two workers' engines over TCP with TLS, as their
 * `berth.engine` labels say: placement by the score and by labels, work inside an environment on a
 * remote node, egress rules on that node, drain, and a node lost and back.
 */
describe('environments across the nodes of a swarm', () => {
  const on = useServerOnSwarm(3, {
    tls: true,
    prepare: async (swarm) => {
      for (const node of swarm.nodes) await ensureTestImage(node.docker);
      // The workers' engines, where Berth reaches them (the manager's is the one it drives).
      for (const node of swarm.nodes.slice(1)) await labelNode(swarm, node, { 'berth.engine': node.tcp!.url });
    },
    env: (swarm) => ({ DOCKER_HOST: `unix://${swarm.manager.socketPath}`, DOCKER_CERT_PATH: swarm.manager.tcp!.certPath }),
  });
  let swarm: TestSwarm;
  let server: TestServer;
  let admin: Caller;
  let ada: Caller;
  let adaId: string;
  let base: string;

  /** The node an environment was placed on, once it was. */
  const nodeOf = async (id: string) => waitFor(`environment ${id} to be placed`, async () => (await ada.get(`/api/v1/environments/${id}`)).json<Environment>().nodeId);
  const byId = (id: string) => swarm.nodes.find((n) => n.id === id)!;
  const containerOn = (node: SwarmNode, id: string) => node.docker.getContainer(containerName(id)).inspect().then((c) => c.State.Status, () => null);

  beforeAll(async () => {
    swarm = on.swarm;
    server = on.server;
    admin = await server.login(ADMIN.username, ADMIN.password);
    const signedUp = await server.signUp('ada', 'ada-password-1234');
    ada = signedUp.caller;
    adaId = signedUp.id;
    expect((await admin.patch(`/api/v1/users/${signedUp.id}/quota`, { credits: 50, maxEnvironments: 50 })).statusCode).toBe(200);
    base = await server.app.listen({ host: '127.0.0.1', port: 0 });
  }, 60_000);

  afterAll(async () => {
    await server.app.close();
  });

  it('lists each node with how Berth reaches its engine and what is placed there', async () => {
    const list = (await admin.get('/api/v1/nodes')).json<NodeList>();
    const engineOf = (node: SwarmNode) => list.items.find((n) => n.id === node.id)!.engine;
    expect(swarm.nodes.map(engineOf)).toEqual(['manager', swarm.nodes[1]!.tcp!.url, swarm.nodes[2]!.tcp!.url]);
    expect(list.items.every((n) => n.usage.environments === 0)).toBe(true);
  });

  it('spreads new environments across the nodes by the score, each on its own node', async () => {
    const envs = [];
    for (let i = 0; i < 3; i++) {
      const env = await createEnvironment(ada, { type: 'small', name: `spread-${i}` });
      await waitForStatus(ada, env.id, 'running');
      envs.push(env);
    }
    const nodes = await Promise.all(envs.map((e) => nodeOf(e.id)));
    expect(new Set(nodes)).toEqual(new Set(swarm.nodes.map((n) => n.id)));
    // Each container is on its node's engine, and on no other.
    for (const [i, env] of envs.entries()) {
      for (const node of swarm.nodes) expect(await containerOn(node, env.id)).toBe(node.id === nodes[i] ? 'running' : null);
    }
    const list = (await admin.get('/api/v1/nodes')).json<NodeList>();
    expect(list.items.map((n) => n.usage.environments)).toEqual([1, 1, 1]);
    for (const env of envs) expect((await ada.delete(`/api/v1/environments/${env.id}`)).statusCode).toBe(202);
    for (const env of envs) await waitForStatus(ada, env.id, 'deleted');
  });

  it('works inside an environment on a remote node: exec, files and a terminal', async () => {
    const remote = swarm.nodes[2]!;
    await labelNode(swarm, remote, { 'berth.engine': remote.tcp!.url, disk: 'ssd' });
    const type = await admin.post('/api/v1/machine-types', { name: 'ssd', vcpus: 1, memoryMb: 256, diskGib: 1, creditsCost: 0, nodeLabels: { disk: 'ssd' } });
    expect(type.statusCode, type.body).toBe(201);
    expect((await admin.patch(`/api/v1/users/${(await userId('ada'))}/quota`, { allowedTypes: ['small', 'ssd'] })).statusCode).toBeLessThan(300);
    const env = await createEnvironment(ada, { type: 'ssd', name: 'remote' });
    await waitForStatus(ada, env.id, 'running');
    expect(await nodeOf(env.id)).toBe(remote.id);

    expect(await execIn(ada, env.id, 'hostname; echo on-$((40+2))')).toMatchObject({ exitCode: 0, stdout: `remote\non-42\n` });
    const put = await ada.request('PUT', `/api/v1/environments/${env.id}/files/content?path=notes/hello.txt`, 'written far away', { 'content-type': 'application/octet-stream' });
    expect(put.statusCode, put.body).toBe(201);
    expect((await ada.get(`/api/v1/environments/${env.id}/files/content?path=notes/hello.txt`)).body).toBe('written far away');
    // The file is in the workspace volume of that node's engine.
    const { stdout } = await run('docker', ['-H', `unix://${remote.socketPath}`, 'exec', containerName(env.id), 'cat', '/workspace/notes/hello.txt']);
    expect(stdout).toBe('written far away');

    const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: base }, body: JSON.stringify({ username: 'ada', password: 'ada-password-1234' }) });
    const terminal = TerminalClient.open(`${base.replace('http', 'ws')}/api/v1/environments/${env.id}/terminal?session=far`, { cookie: login.headers.get('set-cookie')!.split(';')[0]! });
    await terminal.opened;
    terminal.type('echo typed-on-$(hostname)\n');
    await terminal.expect(/typed-on-remote/);
    terminal.socket.close();
  });

  it("enforces egress on the remote node itself: an `internet` environment there reaches no private address", async () => {
    const env = (await ada.get('/api/v1/environments')).json<{ items: Environment[] }>().items.find((e) => e.name === 'remote')!;
    const remote = byId(env.nodeId!);
    // Berth's rules are in that node's own network namespace, put there through its engine.
    const { stdout } = await run('nsenter', [`--net=/var/run/netns/${remote.netns}`, 'iptables', '-w', '-t', 'mangle', '-S', 'BERTH-EGRESS']);
    expect(stdout).toMatch(/-i bth[0-9a-f]{12} -g BERTH-bth/);
    // The manager's engine listens on the test's bridge: a private address, refused from inside.
    const probe = await execIn(ada, env.id, `nc -w 2 ${swarm.manager.ip} 2376 </dev/null && echo reached || echo refused`);
    expect(probe.stdout).toBe('refused\n');
  });

  it("joins an owner's environments on different nodes over the owner's own overlay; another owner's reach none of them", async () => {
    const { id: bobId, caller: bob } = await server.signUp('bob', 'bob-password-1234');
    // Ada runs one environment already, on one node: hers spread over the two others, and Bob's goes where it may.
    const [here, there] = [await createEnvironment(ada, { type: 'small', name: 'mesh-a' }), await createEnvironment(ada, { type: 'small', name: 'mesh-b' })];
    const stranger = await createEnvironment(bob, { type: 'small', name: 'stranger' });
    for (const [who, env] of [[ada, here], [ada, there], [bob, stranger]] as const) await waitForStatus(who, env.id, 'running');
    const [nodeHere, nodeThere] = [await nodeOf(here.id), await nodeOf(there.id)];
    expect(nodeHere).not.toBe(nodeThere);

    await execIn(ada, there.id, 'echo across-nodes > /workspace/index.html; httpd -p 8080 -h /workspace');
    // Its name resolves on the mesh to its address there (the test image's static busybox has nslookup, and nc to fetch with).
    const info = await byId(nodeThere).docker.getContainer(containerName(there.id)).inspect();
    const meshAddress = Object.entries(info.NetworkSettings.Networks).find(([name]) => name.includes('-mesh-'))![1].IPAddress;
    expect(meshAddress).toMatch(/^10\.232\./);
    expect((await execIn(ada, here.id, `nslookup ${containerName(there.id)}`)).stdout).toContain(`Address: ${meshAddress}`);
    const get = `printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${meshAddress} 8080 || echo unreachable`;
    const fetched = await waitFor('the other node to answer over the mesh', async () => {
      const r = await execIn(ada, here.id, get);
      return r.stdout.includes('200 OK') ? r.stdout : undefined;
    }, 20_000, 500);
    expect(fetched).toMatch(/across-nodes\n$/);

    // Another owner's environment can neither resolve it nor reach its address on the mesh.
    expect((await execIn(bob, stranger.id, `nslookup ${containerName(there.id)} || echo unknown`)).stdout).toMatch(/unknown\n$/);
    expect((await execIn(bob, stranger.id, get)).stdout).toBe('unreachable\n');
    for (const env of [here, there]) expect((await ada.delete(`/api/v1/environments/${env.id}`)).statusCode).toBe(202);
    expect((await bob.delete(`/api/v1/environments/${stranger.id}`)).statusCode).toBe(202);
    for (const env of [here, there]) await waitForStatus(ada, env.id, 'deleted');
    await waitForStatus(bob, stranger.id, 'deleted');
    // With none of his environments left, Bob's mesh goes at the next resync; Ada's stays for the one she keeps.
    const meshes = async () => (await swarm.manager.docker.listNetworks()).filter((n) => n.Name.includes('-mesh-')).map((n) => n.Labels?.['berth.owner']);
    expect(await meshes()).toContain(bobId);
    await server.services.resync.resync();
    expect(await meshes()).toEqual([adaId]);
  });

  it('runs a sandboxed environment under gVisor on a remote node whose own engine offers it', async () => {
    const remote = swarm.nodes[2]!; // labelled disk=ssd by the test before
    // What a node's engine offers is asked of it in the background; the listing shows it once heard.
    await waitFor('the remote node to offer the sandboxed class', async () => (await admin.get('/api/v1/nodes')).json<NodeList>().items.find((n) => n.id === remote.id)?.runtimeClasses.includes('sandboxed'));
    const env = await createEnvironment(ada, { type: 'ssd', name: 'remote-sandboxed', runtimeClass: 'sandboxed' });
    await waitForStatus(ada, env.id, 'running', 90_000);
    expect(await nodeOf(env.id)).toBe(remote.id);
    expect((await remote.docker.getContainer(containerName(env.id)).inspect()).HostConfig.Runtime).toBe('runsc');
    expect(await execIn(ada, env.id, 'uname -r')).toMatchObject({ exitCode: 0, stdout: '4.4.0\n' });
    expect((await ada.delete(`/api/v1/environments/${env.id}`)).statusCode).toBe(202);
    await waitForStatus(ada, env.id, 'deleted');
  }, 120_000);

  it('places nothing on a drained node, and an environment needing a label no node has waits for one', async () => {
    const drained = swarm.nodes[1]!;
    expect((await admin.patch(`/api/v1/nodes/${drained.id}`, { availability: 'drain' })).statusCode).toBe(200);
    const placed = [];
    for (let i = 0; i < 2; i++) {
      const env = await createEnvironment(ada, { type: 'small', name: `not-drained-${i}` });
      placed.push(await nodeOf(env.id));
    }
    expect(placed).not.toContain(drained.id);
    expect((await admin.patch(`/api/v1/nodes/${drained.id}`, { availability: 'active' })).statusCode).toBe(200);

    expect((await admin.post('/api/v1/machine-types', { name: 'gpu', vcpus: 1, memoryMb: 256, diskGib: 1, creditsCost: 0, nodeLabels: { gpu: 'true' } })).statusCode).toBe(201);
    expect((await admin.patch(`/api/v1/users/${await userId('ada')}/quota`, { allowedTypes: ['small', 'ssd', 'gpu'] })).statusCode).toBeLessThan(300);
    const waiting = await createEnvironment(ada, { type: 'gpu', name: 'needs-gpu' });
    await waitFor('a retry saying no node can take it', async () => (await events(waiting.id)).some((e) => e.type === 'retry' && /No node can take this environment now.*lacks gpu=true/.test(e.message)));
    expect((await ada.get(`/api/v1/environments/${waiting.id}`)).json<Environment>()).toMatchObject({ status: 'provisioning', nodeId: null });
    await labelNode(swarm, drained, { 'berth.engine': drained.tcp!.url, gpu: 'true' });
    await waitForStatus(ada, waiting.id, 'running', 90_000);
    expect(await nodeOf(waiting.id)).toBe(drained.id);
  });

  it('marks the environments of a lost node unreachable, keeps their intent, places elsewhere, and converges when it is back', async () => {
    const lost = swarm.nodes[2]!;
    const env = (await ada.get('/api/v1/environments')).json<{ items: Environment[] }>().items.find((e) => e.name === 'remote')!;
    expect(env.nodeId).toBe(lost.id);
    await lost.kill();
    await waitFor('the swarm to see the node down', async () => (await admin.get('/api/v1/nodes')).json<NodeList>().items.find((n) => n.id === lost.id)?.state === 'down', 30_000, 200);
    await server.services.resync.resync();
    const unreachable = await waitForStatus(ada, env.id, 'unreachable');
    expect(unreachable.desiredState).toBe('running');
    // Work inside it is refused, saying why.
    const refused = expectProblem(await ada.post(`/api/v1/environments/${env.id}/exec`, { command: 'true' }), 409, 'environment_not_running');
    expect(refused.detail).toMatch(/is unreachable: the node it runs on does not answer/);
    // New environments go elsewhere meanwhile.
    const meanwhile = await createEnvironment(ada, { type: 'small', name: 'meanwhile' });
    expect(await nodeOf(meanwhile.id)).not.toBe(lost.id);

    await lost.restart();
    await waitFor('the swarm to see the node ready', async () => (await admin.get('/api/v1/nodes')).json<NodeList>().items.find((n) => n.id === lost.id)?.state === 'ready', 30_000, 200);
    await waitFor('the environment to run again on its node', async () => {
      await server.services.resync.resync();
      return (await ada.get(`/api/v1/environments/${env.id}`)).json<Environment>().status === 'running';
    }, 90_000, 500);
    expect(await nodeOf(env.id)).toBe(lost.id);
    expect((await ada.get(`/api/v1/environments/${env.id}/files/content?path=notes/hello.txt`)).body).toBe('written far away');
    // The swarm's own heartbeat decides when the node is down, and again when it is back: minutes on a busy machine.
  }, 180_000);

  it('moves a stopped environment to another node: copied, verified, the original removed; refusals change nothing', async () => {
    const env = (await ada.get('/api/v1/environments')).json<{ items: Environment[] }>().items.find((e) => e.name === 'remote')!;
    const [from, to] = [byId(env.nodeId!), swarm.nodes[1]!];
    expect(from).not.toBe(to);
    await execIn(ada, env.id, 'mkdir -p deep/er && echo secret > deep/er/key && chmod 600 deep/er/key && ln -s deep/er/key link && dd if=/dev/urandom of=blob bs=1024 count=512 2>/dev/null && sha256sum blob > blob.sum');
    const move = (body: unknown, as = admin) => as.post(`/api/v1/environments/${env.id}/move`, body);

    // Running: stop it first.
    expect(expectProblem(await move({ nodeId: to.id }), 409, 'conflict').detail).toMatch(/stop it before moving it/);
    expect((await ada.post(`/api/v1/environments/${env.id}/stop`)).statusCode).toBe(202);
    await waitForStatus(ada, env.id, 'stopped');
    // Only administrators move; bad bodies are refused before anything is looked at.
    expectProblem(await move({ nodeId: to.id }, ada), 403, 'forbidden');
    expectProblem(await move({ nodeId: 'Not-A-Node' }), 400, 'validation_failed');
    expectProblem(await move({ nodeId: 'a'.repeat(65) }), 400, 'validation_failed');
    expectProblem(await move({ nodeId: to.id, force: true }), 400, 'validation_failed');
    expectProblem(await move({}), 400, 'validation_failed');
    expectProblem(await move({ nodeId: 'nosuchnode0000' }), 404, 'not_found');
    expect(expectProblem(await move({ nodeId: from.id }), 409, 'conflict').detail).toMatch(/already/);
    // Its machine type needs disk=ssd, which the target lacks.
    expect(expectProblem(await move({ nodeId: to.id }), 409, 'conflict').detail).toMatch(/lacks disk=ssd/);
    expect((await ada.get(`/api/v1/environments/${env.id}`)).json<Environment>()).toMatchObject({ status: 'stopped', nodeId: from.id });

    await labelNode(swarm, to, { 'berth.engine': to.tcp!.url, gpu: 'true', disk: 'ssd' });
    const accepted = await move({ nodeId: to.id });
    expect(accepted.statusCode, accepted.body).toBe(202);
    await waitFor('the move to finish', async () => (await events(env.id)).some((e) => e.type === 'moved'));
    const moved = await waitForStatus(ada, env.id, 'stopped');
    expect(moved.nodeId).toBe(to.id);
    expect((await events(env.id)).find((e) => e.type === 'moved')!.message).toMatch(/^moved to node \S+: \d+ entries, \d+ bytes, copied and verified$/);
    // Gone from the old node, container and workspace alike; there on the new one.
    expect(await containerOn(from, env.id)).toBeNull();
    expect((await from.docker.listVolumes()).Volumes?.map((v) => v.Name) ?? []).not.toContain(`berth-ws-${env.id}`);
    expect(await containerOn(to, env.id)).toBe('created');
    const audit = (await admin.get(`/api/v1/audit?action=environment.move&targetId=${env.id}`)).json<{ items: { success: boolean }[] }>().items;
    expect(audit.map((a) => a.success)).toEqual([true, false, false, false, false]);

    expect((await ada.post(`/api/v1/environments/${env.id}/start`)).statusCode).toBe(202);
    await waitForStatus(ada, env.id, 'running');
    const check = await execIn(ada, env.id, 'cat deep/er/key; stat -c %a deep/er/key; readlink link; sha256sum -c blob.sum; cat notes/hello.txt');
    expect(check).toMatchObject({ exitCode: 0, stdout: 'secret\n600\ndeep/er/key\nblob: OK\nwritten far away' });
    expect(await containerOn(to, env.id)).toBe('running');

    // A copy left on the old node (a move that stopped before removing it) goes at the next resync; the real one stays.
    const labels = { 'berth.env': env.id, 'berth.install': server.installId };
    await from.docker.createVolume({ Name: `berth-ws-${env.id}`, Labels: labels });
    await from.docker.createContainer({ name: containerName(env.id), Image: TEST_IMAGE, Cmd: ['sleep', '600'], Labels: labels });
    await server.services.resync.resync();
    expect(await containerOn(from, env.id)).toBeNull();
    expect((await from.docker.listVolumes()).Volumes?.map((v) => v.Name) ?? []).not.toContain(`berth-ws-${env.id}`);
    expect(await containerOn(to, env.id)).toBe('running');
  });

  async function events(id: string): Promise<EnvironmentEvent[]> {
    return (await ada.get(`/api/v1/environments/${id}/events`)).json<{ items: EnvironmentEvent[] }>().items;
  }

  async function userId(username: string): Promise<string> {
    const users = (await admin.get('/api/v1/users')).json<{ items: { id: string; username: string }[] }>().items;
    return users.find((u) => u.username === username)!.id;
  }
});

/** Replaces a node's labels, through the swarm (as an administrator of the swarm would). */
async function labelNode(swarm: TestSwarm, node: SwarmNode, labels: Record<string, string>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const current = (await swarm.manager.docker.getNode(node.id).inspect()) as { Version: { Index: number }; Spec: Record<string, unknown> };
    try {
      await swarm.manager.docker.getNode(node.id).update({ version: current.Version.Index, ...current.Spec, Labels: labels });
      return;
    } catch (err) {
      if (attempt >= 2) throw err;
    }
  }
}
