import type { Environment, ExecResult } from '@berth/contracts';
import { beforeAll, describe, expect, it } from 'vitest';
import { LABEL_INSTALL, LABEL_OWNER, containerName } from '../packages/server/src/runtime/docker/labels.js';
import { installObjects } from './support/docker.js';
import type { Caller } from './support/server.js';
import { useTestServer } from './support/test-server.js';
import { waitFor, waitForStatus } from './support/wait.js';

const PORT = 8000;
const PAGE = 'hello from alice\n';

const { server, users: { alice, bob }, ids } = useTestServer({ users: ['alice', 'bob'] });
/** Alice's environment serving PAGE on PORT, her second one, and Bob's. */
let serving: string;
let aliceOther: string;
let bobs: string;
let servingIp: string;

beforeAll(async () => {
  [serving, aliceOther, bobs] = await Promise.all([runningEnvironment(alice), runningEnvironment(alice), runningEnvironment(bob)]);

  // busybox httpd binds its port before it daemonises, so the exec returns with the server listening.
  const started = await exec(alice, serving, `printf '${PAGE}' > /workspace/index.html && httpd -p ${PORT} -h /workspace`);
  expect(started, started.stderr).toMatchObject({ exitCode: 0 });
  const ip = await exec(alice, serving, 'hostname -i');
  expect(ip.stdout).toMatch(/^\d+\.\d+\.\d+\.\d+\n$/);
  servingIp = ip.stdout.trim();
});

async function runningEnvironment(caller: Caller): Promise<string> {
  const res = await caller.post('/api/v1/environments', { type: 'small' });
  expect(res.statusCode, res.body).toBe(202);
  const { id } = res.json<Environment>();
  await waitForStatus(caller, id, 'running');
  return id;
}

async function exec(caller: Caller, id: string, command: string): Promise<ExecResult> {
  const res = await caller.post(`/api/v1/environments/${id}/exec`, { command, timeoutMs: 15_000 });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<ExecResult>();
}

/**
 * Fetches a URL from inside an environment. busybox's `wget -T` crashes in this
 * static build, so `timeout` bounds the attempt instead (a dropped packet would
 * otherwise hang until the TCP connect gives up).
 */
const fetchFrom = (caller: Caller, id: string, url: string) => exec(caller, id, `timeout 5 wget -q -O - ${url}`);

async function networksOf(environmentId: string): Promise<Record<string, { NetworkID: string; IPAddress: string }>> {
  const info = await server.docker.getContainer(containerName(environmentId)).inspect();
  return info.NetworkSettings.Networks;
}

describe('network isolation between users', () => {
  it("serves the page inside alice's environment on 127.0.0.1", async () => {
    const local = await waitFor('httpd to answer locally', async () => {
      const result = await fetchFrom(alice, serving, `http://127.0.0.1:${PORT}/`);
      return result.exitCode === 0 && result;
    }, 10_000);
    expect(local.stdout).toBe(PAGE);
  });

  it("reports the same address the engine gave alice's container", async () => {
    const addresses = Object.values(await networksOf(serving)).map((n) => n.IPAddress);
    expect(addresses).toEqual([servingIp]);
  });

  it("lets alice's other environment reach her service over the network", async () => {
    const result = await fetchFrom(alice, aliceOther, `http://${servingIp}:${PORT}/`);
    expect(result, result.stderr).toMatchObject({ exitCode: 0, stdout: PAGE });
  });

  it("keeps bob's environment from reaching alice's service", async () => {
    const result = await fetchFrom(bob, bobs, `http://${servingIp}:${PORT}/`);
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout).not.toContain(PAGE.trim());
  });

  it("lets bob's environment reach a service on his own network (so the refusal above is isolation, not a broken client)", async () => {
    await exec(bob, bobs, `printf 'bob\\n' > /workspace/index.html && httpd -p ${PORT} -h /workspace`);
    const ownIp = (await exec(bob, bobs, 'hostname -i')).stdout.trim();
    expect(ownIp).not.toBe(servingIp);

    const result = await fetchFrom(bob, bobs, `http://${ownIp}:${PORT}/`);
    expect(result, result.stderr).toMatchObject({ exitCode: 0, stdout: 'bob\n' });
  });

  it("puts each user's environments on one network of their own, labelled with the owner and install", async () => {
    const [servingNets, otherNets, bobNets] = await Promise.all([networksOf(serving), networksOf(aliceOther), networksOf(bobs)]);
    for (const nets of [servingNets, otherNets, bobNets]) expect(Object.keys(nets)).toHaveLength(1);
    const aliceNetwork = Object.values(servingNets)[0]!.NetworkID;
    const bobNetwork = Object.values(bobNets)[0]!.NetworkID;
    expect(Object.values(otherNets)[0]!.NetworkID).toBe(aliceNetwork);
    expect(bobNetwork).not.toBe(aliceNetwork);
    expect(Object.keys(servingNets)).not.toContain('bridge');

    const { networks } = await installObjects(server.docker, server.installId);
    const byId = new Map(networks.map((n) => [n.Id, n]));
    expect(byId.get(aliceNetwork)?.Labels).toMatchObject({ [LABEL_OWNER]: ids.alice, [LABEL_INSTALL]: server.installId });
    expect(byId.get(bobNetwork)?.Labels).toMatchObject({ [LABEL_OWNER]: ids.bob, [LABEL_INSTALL]: server.installId });
  });
});
