import http from 'node:http';
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { planBuild } from '../packages/server/src/modules/apps/apps.detect.js';
import { buildContext, fetchGit, sourceTree } from '../packages/server/src/modules/apps/apps.source.js';
import { DEV_IMAGE } from '../packages/server/src/runtime/docker/images.js';
import { gitRepo, nodeApp } from '../test/support/apps.js';
import type { BenchServer } from './server.js';

/**
 * Apps against their floor: redeploying an unchanged Node.js app (its layers cached) until the new
 * release serves, beside the bare Engine API doing the same build, run and health wait; and a
 * switch between releases under a steady load, counting failed requests.
 */

const docker = new Docker();
const PORT = 3000;

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** GET a path of host:port (optionally as another Host), its status; 0 when nothing answered. */
function get(target: { host: string; port: number }, path: string, host?: string): Promise<number> {
  return new Promise((resolve) => {
    http
      .get({ ...target, path, agent: false, headers: host ? { host } : {}, timeout: 5000 }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', () => resolve(0));
  });
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The floor: the same build context through the Engine API (cached), a container of it, its health check answering. */
async function floorRedeploy(context: Buffer, network: string, n: number): Promise<number> {
  const image = `bench-app:${n}`;
  let container: Docker.Container | undefined;
  const ms = await time(async () => {
    const stream = await docker.buildImage(Readable.from([context]), { t: image, rm: true });
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
    container = await docker.createContainer({ Image: image, Env: [`PORT=${PORT}`], HostConfig: { Init: true, CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges:true'], NetworkMode: network } });
    await container.start();
    const info = await container.inspect();
    const address = Object.values(info.NetworkSettings.Networks ?? {})[0]!.IPAddress;
    await until('the floor container to answer', async () => (await get({ host: address, port: PORT }, '/health')) === 200);
  });
  await container?.remove({ force: true });
  await docker.getImage(image).remove().catch(() => undefined);
  return ms;
}

export async function benchApps(server: BenchServer, runs: number): Promise<{ floor: number[]; berth: number[]; switchFailures: number; switchRequests: number }> {
  const repo = await gitRepo();
  const network = `bench-apps-${Date.now()}`;
  await docker.createNetwork({ Name: network, Driver: 'bridge' });
  try {
    await repo.commit(nodeApp('v1'), 'v1');
    const fetched = await fetchGit(repo.url, 'main', { allowLocal: true, timeoutMs: 60_000, maxBytes: 1024 * 1024 });
    const context = await buildContext(fetched.entries, planBuild(sourceTree(fetched.entries), { baseImage: DEV_IMAGE, port: PORT }));

    const app = await server.client.call('apps.create', { body: { name: 'bench', source: { kind: 'git', url: repo.url, branch: 'main' }, healthPath: '/health', port: PORT } });
    const live = (number: number) =>
      until(`release ${number} live`, async () => {
        const release = (await server.client.call('apps.releases', { params: { id: app.id } })).items.find((r) => r.number === number);
        if (release?.status === 'failed') throw new Error(`release ${number} failed: ${release.error}`);
        return release?.status === 'live';
      }, 300_000);
    await live(1);
    await floorRedeploy(context, network, 0); // warms the floor's cache as release 1 warmed Berth's

    const floor: number[] = [];
    const berth: number[] = [];
    for (let i = 1; i <= runs; i++) {
      floor.push(await floorRedeploy(context, network, i));
      berth.push(
        await time(async () => {
          const release = await server.client.call('apps.deploy', { params: { id: app.id } });
          await live(release.number);
        }),
      );
    }

    // A switch under load: four callers through Berth's edge until the next release has served a while.
    const { port } = new URL(server.url);
    const host = new URL(app.url).host;
    let failures = 0;
    let requests = 0;
    let switched = false;
    const load = async () => {
      for (let after = 0; after < 50; ) {
        const status = await get({ host: '127.0.0.1', port: Number(port) }, '/', host);
        requests += 1;
        if (status !== 200) failures += 1;
        if (switched) after += 1;
      }
    };
    const loaders = Promise.all([load(), load(), load(), load()]);
    const release = await server.client.call('apps.deploy', { params: { id: app.id } });
    await live(release.number);
    switched = true;
    await loaders;
    await server.client.call('apps.delete', { params: { id: app.id } });
    return { floor, berth, switchFailures: failures, switchRequests: requests };
  } finally {
    await repo.remove();
    await docker.getNetwork(network).remove().catch(() => undefined);
  }
}
