/**
 * `npm run bench:swarm`: Berth on a swarm of three real engines (each in a network namespace of
 * this run's, as the tests make them), two `berth server` processes on one PostgreSQL.
 *
 *   1. create → running on a remote node (reached over TLS), against that node's own Engine API
 *      floor (the same hardened container created and started directly over the same TLS), interleaved;
 *   2. BENCH_SWARM_IDLE (default 200) idle environments created through both processes at once,
 *      spread over the three nodes: how they spread, how long it took, and each process's RSS.
 *
 *   BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test): a database of its own there.
 *   BENCH_SWARM_RUNS (default 5): creates of step 1.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import Docker from 'dockerode';
import pg from 'pg';
import { ensureTestImage, TEST_IMAGE } from '../test/support/images.js';
import { floorCreate, time } from './floor.js';
import { signedInCall, startServerProcess, type ServerProcess } from '../test/support/process.js';
import { startSwarm, type SwarmNode, type TestSwarm } from '../test/support/swarm.js';

const RUNS = Number(process.env.BENCH_SWARM_RUNS ?? 5);
const IDLE = Number(process.env.BENCH_SWARM_IDLE ?? 200);
const BASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ADMIN = { username: 'admin', password: 'bench-swarm-admin-password' };
const USER = { username: 'bench', password: 'bench-swarm-password-1234' };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rssMb = async (pid: number) => Number(/^VmRSS:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''))?.[1] ?? 0) / 1024;

async function tlsDocker(node: SwarmNode): Promise<Docker> {
  const read = (f: string) => readFile(path.join(node.tcp!.certPath, f));
  return new Docker({ protocol: 'https', host: node.ip, port: 2376, ca: await read('ca.pem'), cert: await read('cert.pem'), key: await read('key.pem') });
}

async function label(swarm: TestSwarm, node: SwarmNode, labels: Record<string, string>): Promise<void> {
  const current = (await swarm.manager.docker.getNode(node.id).inspect()) as { Version: { Index: number }; Spec: Record<string, unknown> };
  await swarm.manager.docker.getNode(node.id).update({ version: current.Version.Index, ...current.Spec, Labels: labels });
}

async function main(): Promise<void> {
  const swarm = await startSwarm(3, { tls: true });
  const admin = new pg.Client({ connectionString: BASE_URL });
  await admin.connect();
  const dbName = `berth_bench_swarm_${randomBytes(4).toString('hex')}`;
  await admin.query(`create database ${dbName}`);
  const url = new URL(BASE_URL);
  url.pathname = `/${dbName}`;
  const replicas: ServerProcess[] = [];
  try {
    for (const node of swarm.nodes) await ensureTestImage(node.docker);
    const remote = swarm.nodes[2]!;
    await label(swarm, swarm.nodes[1]!, { 'berth.engine': swarm.nodes[1]!.tcp!.url });
    await label(swarm, remote, { 'berth.engine': remote.tcp!.url, bench: 'remote' });

    const env = { DATABASE_URL: url.toString(), DOCKER_HOST: `unix://${swarm.manager.socketPath}`, DOCKER_CERT_PATH: swarm.manager.tcp!.certPath, BERTH_ADMIN_PASSWORD: ADMIN.password, BERTH_DEFAULT_IMAGE: TEST_IMAGE, BERTH_STOP_GRACE_SECONDS: '0', BERTH_LOG_LEVEL: 'warn' };
    replicas.push(await startServerProcess(env));
    replicas.push(await startServerProcess(env));
    console.error('two processes up; setting up the bench user…');
    const asAdmin = await signedInCall(replicas[0]!, ADMIN);
    const made = await asAdmin<{ id: string }>('POST', '/users', { ...USER });
    for (const [route, method, body] of [
      ['/machine-types', 'POST', { name: 'remote', vcpus: 1, memoryMb: 256, diskGib: 1, creditsCost: 0, nodeLabels: { bench: 'remote' } }],
      [`/users/${made.body.id}/quota`, 'PATCH', { credits: 10_000, maxEnvironments: IDLE + RUNS + 10, allowedTypes: ['small', 'remote'] }],
    ] as const) {
      const answer = await asAdmin(method, route, body);
      if (answer.status >= 300) throw new Error(`${method} ${route} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    }
    const calls = await Promise.all(replicas.map((r) => signedInCall(r, USER)));

    const until = async (call: (typeof calls)[number], id: string, status: string) => {
      const deadline = Date.now() + 300_000;
      for (;;) {
        const { body } = await call<{ status: string; lastError: string | null }>('GET', `/environments/${id}`);
        if (body.status === status) return;
        if (body.status === 'error' || Date.now() > deadline) throw new Error(`environment ${id} is ${body.status}: ${body.lastError ?? ''}`);
        await new Promise((resolve) => setTimeout(resolve, 10)); // a poll's pace, not a synchronisation
      }
    };

    // 1. create → running on the remote node, against its own floor.
    console.error('creating on the remote node…');
    const remoteDocker = await tlsDocker(remote);
    // As in `npm run bench`: the floor's container is on a network of its own kind, a user-defined bridge, as an environment is
    // (a start there sets up the engine's DNS in the container, which one on the default bridge skips).
    const floorNet = `bench-net-${randomBytes(4).toString('hex')}`;
    await remoteDocker.createNetwork({ Name: floorNet, Driver: 'bridge' });
    await (await floorCreate(remoteDocker, floorNet)).cleanup(); // warm-up
    // And Berth's: the owner's network on that node, image metadata, JIT.
    const warm = await calls[0]!<{ id: string }>('POST', '/environments', { type: 'remote', name: 'remote-warm-up' });
    await until(calls[0]!, warm.body.id, 'running');
    await calls[0]!('DELETE', `/environments/${warm.body.id}`);
    const floor: number[] = [];
    const berth: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const f = await floorCreate(remoteDocker, floorNet);
      floor.push(f.ms);
      await f.cleanup();
      let id = '';
      berth.push(
        await time(async () => {
          const created = await calls[0]!<{ id: string }>('POST', '/environments', { type: 'remote', name: `remote-${i}` });
          if (created.status !== 202) throw new Error(`create answered ${created.status}: ${JSON.stringify(created.body)}`);
          ({ id } = created.body);
          await until(calls[0]!, id, 'running');
        }),
      );
      await calls[0]!('DELETE', `/environments/${id}`);
    }

    // 2. Idle environments through both processes at once.
    console.error(`creating ${IDLE} idle environments…`);
    const t0 = performance.now();
    const ids = await Promise.all(
      Array.from({ length: IDLE }, async (_, i) => (await calls[i % 2]!<{ id: string }>('POST', '/environments', { type: 'small', name: `idle-${i}` })).body.id),
    );
    for (const [i, id] of ids.entries()) await until(calls[i % 2]!, id, 'running');
    const settledS = (performance.now() - t0) / 1000;
    const perNode = await Promise.all(swarm.nodes.map(async (n) => (await n.docker.listContainers({ filters: { label: ['berth.env'] } })).length));
    const rss = await Promise.all(replicas.map((r) => rssMb(r.child.pid!)));
    const me = await Promise.all([0, 1].map(async () => time(() => calls[0]!('GET', '/me'))));

    console.log(`\nBerth on a swarm of 3 engines (namespaces of this machine), 2 processes on PostgreSQL\n`);
    console.log(`remote node: floor (its Engine API over TLS) create+start   median ${median(floor).toFixed(1)} ms  (${RUNS} runs)`);
    console.log(`remote node: berth API create → running                     median ${median(berth).toFixed(1)} ms   ratio ${(median(berth) / median(floor)).toFixed(2)}×  (budget 1.3×)`);
    console.log(`${IDLE} idle environments through both processes: running in ${settledS.toFixed(1)} s; per node ${perNode.join(' / ')}`);
    console.log(`process RSS with them running: ${rss.map((m) => `${m.toFixed(0)} MB`).join(', ')}  (budget 250 MB each); GET /me ${me.map((m) => m.toFixed(1)).join(', ')} ms`);
  } finally {
    for (const r of replicas) r.child.kill('SIGKILL');
    await Promise.all(replicas.map((r) => r.exited));
    await swarm.dispose();
    await admin.query(`drop database if exists ${dbName} with (force)`).catch(() => undefined);
    await admin.end();
  }
}

await main();
