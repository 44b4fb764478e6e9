import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Environment, EnvironmentEvent, ExecResult } from '@berth/contracts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BRIDGE_OPTION } from '../packages/server/src/runtime/docker/egress-rules.js';
import { LABEL_INSTALL, LABEL_OWNER, containerName, networkName } from '../packages/server/src/runtime/docker/labels.js';
import { agentUser, createSandbox, startE2bServer, type AgentUser } from './support/e2b.js';
import type { Caller, TestServer } from './support/server.js';
import { runningEnvironment, waitFor, waitForStatus } from './support/wait.js';

// Each test proves several destinations unreachable, each by waiting out a connect timeout.
vi.setConfig({ testTimeout: 120_000 });

/**
 * Egress policies, enforced on this machine's real iptables. Every address an environment tries is
 * this machine's: a listener this test runs on the host, other environments, and a test host in a
 * network namespace this test creates (a private address, so `internet` must not reach it).
 */
const run = promisify(execFile);
const PORT = 8000;
const HOST_PAGE = 'the host itself\n';
const TEST_HOST_PAGE = 'the private test host\n';

let server: TestServer;
let url: string;
let admin: Caller;
let alice: AgentUser;
let bob: AgentUser;
let serving: Environment; // alice's, on internet, serving PORT
let servingIp: string;
let other: Environment; // alice's second internet environment
let bobs: Environment;

let hostListener: Server;
let hostPort: number;
const testHost = { ns: `berth-eg-${randomBytes(3).toString('hex')}`, veth: `veg${randomBytes(3).toString('hex')}`, net: `10.77.${randomInt(256)}.${randomInt(64) * 4}` };
const testHostIp = testHost.net.replace(/\.(\d+)$/, (_, last: string) => `.${Number(last) + 2}`);
const hostSideIp = testHost.net.replace(/\.(\d+)$/, (_, last: string) => `.${Number(last) + 1}`);
let testHostServer: ChildProcess | undefined;
let testHostDir: string | undefined;

const ip = (...args: string[]) => run('ip', args);

async function startTestHost(): Promise<void> {
  const { ns, veth } = testHost;
  await ip('netns', 'add', ns);
  await ip('link', 'add', `${veth}h`, 'type', 'veth', 'peer', 'name', `${veth}n`);
  await ip('link', 'set', `${veth}n`, 'netns', ns);
  await ip('addr', 'add', `${hostSideIp}/30`, 'dev', `${veth}h`);
  await ip('link', 'set', `${veth}h`, 'up');
  await ip('-n', ns, 'addr', 'add', `${testHostIp}/30`, 'dev', `${veth}n`);
  await ip('-n', ns, 'link', 'set', `${veth}n`, 'up');
  testHostDir = await mkdtemp(path.join(tmpdir(), 'berth-egress-'));
  await writeFile(path.join(testHostDir, 'index.html'), TEST_HOST_PAGE);
  testHostServer = spawn('ip', ['netns', 'exec', ns, '/bin/busybox', 'httpd', '-f', '-p', String(PORT), '-h', testHostDir], { stdio: 'ignore' });
  await waitFor('the test host to answer from the host', async () => (await fetch(`http://${testHostIp}:${PORT}/`).catch(() => null))?.ok);
}

async function stopTestHost(): Promise<void> {
  testHostServer?.kill('SIGKILL');
  await ip('netns', 'del', testHost.ns).catch(() => undefined); // takes its end of the veth pair, and so both
  if (testHostDir) await rm(testHostDir, { recursive: true, force: true });
}

beforeAll(async () => {
  ({ server, url, admin } = await startE2bServer());
  [alice, bob] = await Promise.all([agentUser(server, admin, 'alice'), agentUser(server, admin, 'bob')]);
  hostListener = createServer((_, res) => res.end(HOST_PAGE));
  await new Promise<void>((resolve) => hostListener.listen(0, '0.0.0.0', resolve));
  hostPort = (hostListener.address() as AddressInfo).port;
  await startTestHost();
  [serving, other, bobs] = await Promise.all([runningEnvironment(alice.caller), runningEnvironment(alice.caller), runningEnvironment(bob.caller)]);
  servingIp = await serve(alice.caller, serving.id, 'alice\n');
}, 120_000);

afterAll(async () => {
  await server?.close();
  hostListener?.close();
  await stopTestHost();
});

async function exec(caller: Caller, id: string, command: string): Promise<ExecResult> {
  const res = await caller.post(`/api/v1/environments/${id}/exec`, { command, timeoutMs: 20_000 });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<ExecResult>();
}

/** busybox's `wget -T` crashes in this static build: `timeout` bounds the attempt (a dropped packet would hang). */
const fetchFrom = (caller: Caller, id: string, target: string) => exec(caller, id, `timeout 3 wget -q -O - ${target}`);

/** Serves `page` on PORT inside the environment; returns its address. */
async function serve(caller: Caller, id: string, page: string): Promise<string> {
  const started = await exec(caller, id, `printf '${page.replace('\n', '\\n')}' > /workspace/index.html && httpd -p ${PORT} -h /workspace && hostname -i`);
  expect(started, started.stderr).toMatchObject({ exitCode: 0 });
  return started.stdout.trim();
}

/** Every IPv4 address of this host, and the gateway the environment sees (the host's address on its bridge). */
async function hostAddresses(caller: Caller, id: string): Promise<string[]> {
  const route = await exec(caller, id, 'ip route');
  const gateway = /^default via (\S+)/m.exec(route.stdout)?.[1];
  const own = Object.entries(networkInterfaces())
    .filter(([name]) => !name.startsWith('veth') && !name.startsWith('bth') && !name.startsWith(testHost.veth))
    .flatMap(([, addrs]) => (addrs ?? []).filter((a) => a.family === 'IPv4' && !a.internal).map((a) => a.address));
  return [...new Set([...(gateway ? [gateway] : []), ...own])];
}

async function expectUnreachable(caller: Caller, id: string, targets: string[]): Promise<void> {
  const results = await Promise.all(targets.map(async (t) => [t, await fetchFrom(caller, id, t)] as const));
  for (const [target, result] of results) expect({ target, exitCode: result.exitCode, stdout: result.stdout }).toMatchObject({ target, stdout: '' });
  for (const [, result] of results) expect(result.exitCode).not.toBe(0);
}

/** The host's rules, both tables Berth writes to, each line prefixed with its table (`mangle: -A FORWARD …`). */
async function rules(): Promise<string[]> {
  const listed = await Promise.all(['mangle', 'filter'].map(async (table) => (await run('iptables', ['-w', '-t', table, '-S'])).stdout.split('\n').map((l) => `${table}: ${l}`)));
  return listed.flat();
}

async function bridgeOf(environmentId: string): Promise<string> {
  const info = await server.docker.getContainer(containerName(environmentId)).inspect();
  const networks = Object.values(info.NetworkSettings.Networks ?? {});
  expect(networks).toHaveLength(1);
  const bridge = (await server.docker.getNetwork(networks[0]!.NetworkID).inspect()).Options?.[BRIDGE_OPTION];
  expect(bridge).toMatch(/^bth[0-9a-f]{12}$/);
  return bridge!;
}

async function events(caller: Caller, id: string): Promise<EnvironmentEvent[]> {
  return (await caller.get(`/api/v1/environments/${id}/events`)).json<{ items: EnvironmentEvent[] }>().items;
}

describe('egress: internet (the default)', () => {
  it('cannot reach a listener on the host bound to 0.0.0.0, through the bridge gateway or any other host address (which the host itself reaches)', async () => {
    expect(await (await fetch(`http://127.0.0.1:${hostPort}/`)).text()).toBe(HOST_PAGE);
    const addresses = await hostAddresses(alice.caller, serving.id);
    expect(addresses.length).toBeGreaterThan(1);
    await expectUnreachable(alice.caller, serving.id, addresses.map((a) => `http://${a}:${hostPort}/`));
  });

  it("reaches its owner's other environment on their shared network, by address and by name through Docker's resolver", async () => {
    const byIp = await fetchFrom(alice.caller, other.id, `http://${servingIp}:${PORT}/`);
    expect(byIp, byIp.stderr).toMatchObject({ exitCode: 0, stdout: 'alice\n' });
    const byName = await fetchFrom(alice.caller, other.id, `http://${containerName(serving.id)}:${PORT}/`);
    expect(byName, byName.stderr).toMatchObject({ exitCode: 0, stdout: 'alice\n' });
  });

  it("cannot reach another owner's environment", async () => {
    await expectUnreachable(bob.caller, bobs.id, [`http://${servingIp}:${PORT}/`]);
  });

  it('cannot reach a host on a private address', async () => {
    await expectUnreachable(alice.caller, serving.id, [`http://${testHostIp}:${PORT}/`]);
  });
});

describe('egress: allowlist', () => {
  it('moves a running environment onto an admin-set allowlist without a restart: it reaches the allowlisted host, its workspace and process stay, and the host and its old neighbours are out of reach', async () => {
    const env = await runningEnvironment(alice.caller);
    await exec(alice.caller, env.id, 'echo kept > /workspace/note; sleep 3600 >/dev/null 2>&1 & echo $! > /tmp/sleeper');
    const before = await server.docker.getContainer(containerName(env.id)).inspect();
    await expectUnreachable(alice.caller, env.id, [`http://${testHostIp}:${PORT}/`]);

    const res = await admin.put(`/api/v1/environments/${env.id}/egress`, { egress: 'allowlist', egressAllow: [`${testHost.net}/30`] });
    expect(res.statusCode, res.body).toBe(202);
    await waitFor('the environment to move network', async () => (await events(alice.caller, env.id)).some((e) => e.type === 'network'));

    const reached = await fetchFrom(alice.caller, env.id, `http://${testHostIp}:${PORT}/`);
    expect(reached, reached.stderr).toMatchObject({ exitCode: 0, stdout: TEST_HOST_PAGE });
    const after = await server.docker.getContainer(containerName(env.id)).inspect();
    expect({ id: after.Id, startedAt: after.State.StartedAt }).toEqual({ id: before.Id, startedAt: before.State.StartedAt });
    expect((await exec(alice.caller, env.id, 'cat /workspace/note; kill -0 $(cat /tmp/sleeper) && echo alive')).stdout).toBe('kept\nalive\n');
    await expectUnreachable(alice.caller, env.id, [`http://${servingIp}:${PORT}/`, ...(await hostAddresses(alice.caller, env.id)).map((a) => `http://${a}:${hostPort}/`)]);
  });
});

describe('egress: none', () => {
  it('reaches nothing at all: not the host, not a private host, not its owner\'s other environments', async () => {
    const env = await runningEnvironment(alice.caller, { type: 'small', egress: 'none' });
    const addresses = await hostAddresses(alice.caller, env.id);
    await expectUnreachable(alice.caller, env.id, [`http://${testHostIp}:${PORT}/`, `http://${servingIp}:${PORT}/`, ...addresses.map((a) => `http://${a}:${hostPort}/`)]);
  });

  it('still answers Berth on its ports, so previews keep working', async () => {
    const env = await runningEnvironment(alice.caller, { type: 'small', egress: 'none' });
    const address = await serve(alice.caller, env.id, 'offline\n');
    const page = await waitFor('the environment to answer the host', async () => (await fetch(`http://${address}:${PORT}/`).catch(() => null))?.text());
    expect(page).toBe('offline\n');
  });
});

describe('egress: E2B sandboxes', () => {
  it("puts a sandbox on a network of its own, from which its owner's dev environment is out of reach", async () => {
    const { sandboxID } = await createSandbox(url, alice.apiKey);
    await waitForStatus(alice.caller, sandboxID, 'running');
    const [sandboxBridge, devBridge] = await Promise.all([bridgeOf(sandboxID), bridgeOf(serving.id)]);
    expect(sandboxBridge).not.toBe(devBridge);
    await expectUnreachable(alice.caller, sandboxID, [`http://${servingIp}:${PORT}/`, `http://${containerName(serving.id)}:${PORT}/`]);
  });
});

describe('egress: the rules on the host', () => {
  const count = (lines: string[], line: string) => lines.filter((l) => l === line).length;

  it("installs Berth's chains once: after two passes each jump is there exactly once and every network has its chain", async () => {
    await server.services.runtime.syncNetworks();
    await server.services.runtime.syncNetworks();
    const listed = await rules();
    expect(listed).toEqual(expect.arrayContaining(['mangle: -N BERTH-EGRESS', 'filter: -N BERTH-INPUT']));
    expect(count(listed, 'mangle: -A FORWARD -i bth+ -j BERTH-EGRESS')).toBe(1);
    expect(count(listed, 'filter: -A INPUT -i bth+ -j BERTH-INPUT')).toBe(1);
    // Nothing of Berth's in the chain Docker rewrites.
    expect(listed.filter((l) => l.startsWith('filter: -A DOCKER-USER') && l.includes('BERTH'))).toEqual([]);
    for (const env of [serving, bobs]) {
      const bridge = await bridgeOf(env.id);
      expect(listed).toContain(`mangle: -N BERTH-${bridge}`);
      expect(count(listed, `mangle: -A BERTH-EGRESS -i ${bridge} -g BERTH-${bridge}`)).toBe(1);
    }
  });

  it('keeps the egress hook in place while the engine creates networks (Docker re-inserts its own FORWARD jumps then, leaving a gap)', async () => {
    const hooked = async () => (await run('iptables', ['-w', '-t', 'mangle', '-S', 'FORWARD'])).stdout.includes('-A FORWARD -i bth+ -j BERTH-EGRESS');
    let creating = true;
    const samples: boolean[] = [];
    const sampling = (async () => {
      while (creating || samples.length < 50) samples.push(await hooked());
    })();
    const names = Array.from({ length: 6 }, (_, i) => `berth-gap-probe-${randomBytes(3).toString('hex')}-${i}`);
    try {
      for (const name of names) await server.docker.createNetwork({ Name: name, Driver: 'bridge', Options: { [BRIDGE_OPTION]: `bth${randomBytes(6).toString('hex')}` } });
    } finally {
      creating = false;
      await sampling;
      await Promise.all(names.map((name) => server.docker.getNetwork(name).remove().catch(() => undefined)));
    }
    expect(samples.filter((ok) => !ok)).toEqual([]);
  });

  it("removes a network's rules with the network when its environment is deleted", async () => {
    const env = await runningEnvironment(alice.caller, { type: 'small', egress: 'none' });
    const bridge = await bridgeOf(env.id);
    expect(await rules()).toContain(`mangle: -N BERTH-${bridge}`);
    expect((await alice.caller.delete(`/api/v1/environments/${env.id}`)).statusCode).toBe(202);
    await waitForStatus(alice.caller, env.id, 'deleted');
    expect((await rules()).filter((l) => l.includes(bridge))).toEqual([]);
  });

  it('moves an environment found on a network without rules (one made before egress policies) onto its policy\'s network on the next resync, and removes the old network', async () => {
    const env = await runningEnvironment(alice.caller);
    const legacy = await server.docker.createNetwork({ Name: networkName(server.installId, alice.id), Driver: 'bridge', Labels: { [LABEL_INSTALL]: server.installId, [LABEL_OWNER]: alice.id } });
    const container = server.docker.getContainer(containerName(env.id));
    const [own] = Object.values((await container.inspect()).NetworkSettings.Networks ?? {});
    await server.docker.getNetwork(own!.NetworkID).disconnect({ Container: containerName(env.id) });
    await legacy.connect({ Container: containerName(env.id) });
    expect((await fetchFrom(alice.caller, env.id, `http://${testHostIp}:${PORT}/`)).stdout).toBe(TEST_HOST_PAGE); // what policies close

    expect((await server.services.resync.resync()).due).toBeGreaterThanOrEqual(1);
    await waitFor('the environment to move network', async () => (await events(alice.caller, env.id)).some((e) => e.type === 'network'));
    expect(await bridgeOf(env.id)).toBe(await bridgeOf(serving.id));
    await expectUnreachable(alice.caller, env.id, [`http://${testHostIp}:${PORT}/`]);
    await server.services.resync.resync();
    await expect(legacy.inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('removes the rules of a network that no longer exists (left by a crash) on the next pass', async () => {
    const stray = `bth${randomBytes(6).toString('hex')}`;
    const batch = `*mangle\n-N BERTH-${stray}\n-A BERTH-${stray} -j DROP\n-I BERTH-EGRESS 1 -i ${stray} -g BERTH-${stray}\nCOMMIT\n`;
    await new Promise<void>((resolve, reject) => {
      const child = spawn('iptables-restore', ['-w', '--noflush'], { stdio: ['pipe', 'ignore', 'inherit'] });
      child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`iptables-restore ${code}`))));
      child.stdin.end(batch);
    });
    expect((await rules()).filter((l) => l.includes(stray))).toHaveLength(3);
    await server.services.runtime.syncNetworks();
    expect((await rules()).filter((l) => l.includes(stray))).toEqual([]);
  });
});
