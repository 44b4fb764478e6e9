/**
 * `npm run bench`: Berth against the floor (the bare Docker Engine API doing
 * the same work on this machine, in the same run). Prints medians, p95s and
 * ratios; asserts nothing, since these machines are shared and noisy.
 *
 *   BENCH_RUNS (default 10)        create → running samples
 *   BENCH_EXEC_RUNS (default 30)   exec round trips
 *   BENCH_KEYSTROKES (default 200) terminal echo samples
 *   BENCH_E2B_RUNS (default 10)    E2B SDK time-to-interactive samples
 *   BENCH_POOL_RUNS (default 10)   creates (API, then E2B SDK) claiming from a warm pool, each from a full pool
 *   BENCH_BURST (default 0: off)   that many SDK creates + echo at once, after the rest, cold and then
 *                                  from a warm pool of that size (100 to compare with the published burst)
 *   BENCH_BURST_COLD (default 1)   0: the burst from the pool only
 *   BENCH_SANDBOXED_RUNS (default 10)  creates and 3× that many execs under the sandboxed class (gVisor), against
 *                                  the same through the bare Engine API with --runtime=runsc; 0: off
 *   BENCH_APP_RUNS (default 5)     redeploys of an unchanged Node.js app until the new release serves, beside the
 *                                  bare Engine API build + run + health wait; then one switch under load
 *   BENCH_DATABASE_URL             benchmark on this PostgreSQL server instead of the embedded one
 *   BERTH_WORKER_CONCURRENCY       the server's reconcile slots (default 4), for the burst
 */
import { randomUUID } from 'node:crypto';
import type { RuntimeClass } from '@berth/contracts';
import Docker from 'dockerode';
import { Sandbox } from 'e2b';
import WebSocket from 'ws';
import { ensureTestImage } from '../test/support/images.js';
import { benchApps } from './apps.js';
import { floorCreate, time } from './floor.js';
import { startBenchServer, type BenchServer } from './server.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const EXEC_RUNS = Number(process.env.BENCH_EXEC_RUNS ?? 30);
const KEYSTROKES = Number(process.env.BENCH_KEYSTROKES ?? 200);
const E2B_RUNS = Number(process.env.BENCH_E2B_RUNS ?? 10);
const BURST = Number(process.env.BENCH_BURST ?? 0);
const POOL_RUNS = Number(process.env.BENCH_POOL_RUNS ?? 10);
const BURST_COLD = process.env.BENCH_BURST_COLD !== '0';
const APP_RUNS = Number(process.env.BENCH_APP_RUNS ?? 5);
const SANDBOXED_RUNS = Number(process.env.BENCH_SANDBOXED_RUNS ?? 10);
/** Published hosted medians of the same measurement (create, then run `echo ok`), for comparison only. */
const HOSTED_TTI_MS = { E2B: 491, Daytona: 186 };
/** The same under a burst of 100 concurrent creates. */
const HOSTED_BURST_MS = { E2B: 1333, Daytona: 646 };
const docker = new Docker();

const median = (xs: number[]) => quantile(xs, 0.5);
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  return s[lo]! + (s[Math.ceil(i)]! - s[lo]!) * (i - lo);
}


/** The floor for exec: create, start (attached), read to the end, inspect the exit code. */
async function floorExec(container: Docker.Container): Promise<number> {
  return time(async () => {
    const exec = await container.exec({ Cmd: ['echo', 'ok'], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    stream.resume();
    await new Promise((resolve) => stream.once('end', resolve));
    await exec.inspect();
  });
}

/** Berth: POST the environment, then wait on its live event stream until it reports running. */
async function berthCreate(server: BenchServer, runtimeClass: RuntimeClass = 'standard'): Promise<{ ms: number; id: string }> {
  let id = '';
  const ms = await time(async () => {
    let status: string;
    ({ id, status } = await server.client.call('environments.create', { body: { type: 'small', runtimeClass } }));
    // Claimed from a warm pool: it runs already, as the answer says.
    if (status === 'running') return;
    await new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/environments/${id}/events/ws`, { headers: server.headers });
      ws.on('message', (data) => {
        const event = JSON.parse(String(data)) as { status: string | null; message: string };
        if (event.status === 'running') {
          ws.close();
          resolve();
        } else if (event.status === 'error') reject(new Error(event.message));
      });
      ws.on('error', reject);
    });
  });
  return { ms, id };
}

/** Keystroke echo over the terminal WebSocket: send one byte, time until it comes back. */
async function berthKeystrokes(server: BenchServer, id: string, count: number): Promise<number[]> {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/environments/${id}/terminal?session=bench`, { headers: server.headers });
  let output = '';
  let waiting: (() => void) | undefined;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return;
    output += data.toString();
    waiting?.();
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const until = (predicate: () => boolean) =>
    new Promise<void>((resolve) => {
      waiting = () => predicate() && resolve();
      waiting();
    });
  // A quiet shell: no prompt redraws in the way of the echo.
  ws.send(Buffer.from("PS1='$ '; echo ready\n"), { binary: true });
  await until(() => output.includes('ready\r\n'));
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const key = String.fromCharCode(97 + (i % 26));
    output = '';
    const t0 = performance.now();
    ws.send(Buffer.from(key), { binary: true });
    await until(() => output.includes(key));
    samples.push(performance.now() - t0);
  }
  ws.close();
  return samples;
}

async function berthExec(server: BenchServer, id: string): Promise<number> {
  return time(async () => {
    await server.client.call('environments.exec', { params: { id }, body: { command: ['echo', 'ok'] } });
  });
}

/** The E2B SDK, unmodified, against Berth: Sandbox.create() then commands.run('echo ok'). */
async function e2bTimeToInteractive(server: BenchServer): Promise<{ ms: number; id: string }> {
  let id = '';
  const opts = { apiKey: server.token, apiUrl: server.url, sandboxUrl: server.url };
  const ms = await time(async () => {
    const sandbox = await Sandbox.create(opts);
    id = sandbox.sandboxId;
    await sandbox.commands.run('echo ok');
  });
  return { ms, id };
}

/** `count` E2B time-to-interactive measurements started at once: each one's own time, and how many failed (a create past its deadline, say). */
async function e2bBurst(server: BenchServer, count: number, opts: { cleanUp: boolean }): Promise<{ ms: number[]; failed: string[] }> {
  await server.allow(count + 1);
  const results = await Promise.allSettled(Array.from({ length: count }, () => e2bTimeToInteractive(server)));
  if (opts.cleanUp) {
    // Every environment the burst made goes (the failed creates' too) before anything else is measured.
    const { items } = await server.client.call('environments.list', {});
    await Promise.all(items.filter((e) => e.desiredState !== 'deleted').map((e) => server.remove(e.id)));
  }
  return {
    ms: results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.ms] : [])),
    failed: results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).message).replace(/[0-9a-f-]{36}/g, 'ID')] : [])),
  };
}

/** Waits until the pool holds `ready` claimable environments with nothing under way (minutes at most: a pool of 100 builds a hundred). */
async function poolSettled(server: BenchServer, id: string, ready: number): Promise<void> {
  for (const deadline = Date.now() + 600_000; Date.now() < deadline; ) {
    const pool = (await server.client.call('pools.list')).items.find((p) => p.id === id);
    if (pool && pool.ready === ready && pool.building === 0 && pool.draining === 0) return;
    if (pool && pool.failed > 0) throw new Error(`the warm pool has failed environments: ${JSON.stringify(pool)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the warm pool did not fill to ${ready}`);
}

/** `measure` `runs` times, each claiming from a pool refilled to `size` first. */
async function fromPool(server: BenchServer, poolId: string, size: number, runs: number, measure: () => Promise<{ ms: number; id: string }>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    await poolSettled(server, poolId, size);
    const r = await measure();
    samples.push(r.ms);
    await server.remove(r.id);
  }
  return samples;
}

function row(name: string, xs: number[], floor?: number[], budget?: number): string {
  const m = median(xs);
  const ratio = floor ? m / median(floor) : undefined;
  const verdict = ratio === undefined || budget === undefined ? '' : ratio <= budget ? `within ${budget}×` : `OVER ${budget}×`;
  return `${name.padEnd(34)} median ${m.toFixed(1).padStart(7)} ms   p95 ${quantile(xs, 0.95).toFixed(1).padStart(7)} ms${ratio ? `   ratio ${ratio.toFixed(2)}×  ${verdict}` : ''}`;
}

/** The sandboxed class: creates and execs through Berth interleaved with the same under runsc through the Engine API. */
async function benchSandboxed(server: BenchServer, floorNet: string, out: { floorCreates: number[]; creates: number[]; floorExecs: number[]; execs: number[] }): Promise<void> {
  await (await floorCreate(docker, floorNet, 'runsc')).cleanup();
  await server.remove((await berthCreate(server, 'sandboxed')).id);
  for (let i = 0; i < SANDBOXED_RUNS; i++) {
    const f = await floorCreate(docker, floorNet, 'runsc');
    out.floorCreates.push(f.ms);
    await f.cleanup();
    const b = await berthCreate(server, 'sandboxed');
    out.creates.push(b.ms);
    await server.remove(b.id);
  }
  const target = await floorCreate(docker, floorNet, 'runsc');
  const env = await berthCreate(server, 'sandboxed');
  for (let i = 0; i < 3; i++) {
    await floorExec(target.container);
    await berthExec(server, env.id);
  }
  for (let i = 0; i < SANDBOXED_RUNS * 3; i++) {
    out.floorExecs.push(await floorExec(target.container));
    out.execs.push(await berthExec(server, env.id));
  }
  await target.cleanup();
  await server.remove(env.id);
}

async function main(): Promise<void> {
  await ensureTestImage(docker);
  const server = await startBenchServer(process.env.BENCH_DATABASE_URL);
  const floorNet = `bench-net-${randomUUID().slice(0, 8)}`;
  await docker.createNetwork({ Name: floorNet, Driver: 'bridge' });
  const floorCreates: number[] = [];
  const berthCreates: number[] = [];
  const floorExecs: number[] = [];
  const berthExecs: number[] = [];
  const keystrokes: number[] = [];
  const floorTti: number[] = [];
  const e2bTti: number[] = [];
  let burst: Awaited<ReturnType<typeof e2bBurst>> | undefined;
  let pooledBurst: Awaited<ReturnType<typeof e2bBurst>> | undefined;
  const pooledCreates: number[] = [];
  const pooledTti: number[] = [];
  let apps: Awaited<ReturnType<typeof benchApps>> | undefined;
  const sandboxed = { floorCreates: [] as number[], creates: [] as number[], floorExecs: [] as number[], execs: [] as number[] };
  try {
    // Warm both paths once (the owner network, image metadata, JIT) before measuring.
    await (await floorCreate(docker, floorNet)).cleanup();
    const warm = await berthCreate(server);
    await server.remove(warm.id);

    for (let i = 0; i < RUNS; i++) {
      const f = await floorCreate(docker, floorNet);
      floorCreates.push(f.ms);
      await f.cleanup();
      const b = await berthCreate(server);
      berthCreates.push(b.ms);
      await server.remove(b.id);
    }

    const target = await floorCreate(docker, floorNet);
    const env = await berthCreate(server);
    for (let i = 0; i < 3; i++) {
      await floorExec(target.container);
      await berthExec(server, env.id);
    }
    for (let i = 0; i < EXEC_RUNS; i++) {
      floorExecs.push(await floorExec(target.container));
      berthExecs.push(await berthExec(server, env.id));
    }
    keystrokes.push(...(await berthKeystrokes(server, env.id, KEYSTROKES)));
    await target.cleanup();
    await server.remove(env.id);

    await server.remove((await e2bTimeToInteractive(server)).id);
    for (let i = 0; i < E2B_RUNS; i++) {
      const f = await floorCreate(docker, floorNet);
      floorTti.push(f.ms + (await floorExec(f.container)));
      await f.cleanup();
      const b = await e2bTimeToInteractive(server);
      e2bTti.push(b.ms);
      await server.remove(b.id);
    }
    if (BURST > 0 && BURST_COLD) burst = await e2bBurst(server, BURST, { cleanUp: true });

    // Warm pools: the same creates, each claiming a started environment (API and E2B `base` make the same one).
    const pool = await server.client.call('pools.create', { body: { machineType: 'small', size: 2 } });
    pooledCreates.push(...(await fromPool(server, pool.id, 2, POOL_RUNS, () => berthCreate(server))));
    pooledTti.push(...(await fromPool(server, pool.id, 2, POOL_RUNS, () => e2bTimeToInteractive(server))));
    if (BURST > 0) {
      await server.client.call('pools.update', { params: { id: pool.id }, body: { size: BURST } });
      await poolSettled(server, pool.id, BURST);
      // Measured last: what it made is left for close() to remove (a hundred deletions beside a refill of a hundred take many minutes here).
      pooledBurst = await e2bBurst(server, BURST, { cleanUp: false });
    }
    await server.client.call('pools.delete', { params: { id: pool.id } });
    if (SANDBOXED_RUNS > 0) await benchSandboxed(server, floorNet, sandboxed);
    if (APP_RUNS > 0) apps = await benchApps(server, APP_RUNS);
  } finally {
    await server.close();
    await docker.getNetwork(floorNet).remove().catch(() => undefined);
  }

  console.log(`\nBerth benchmark — ${server.database}, ${RUNS} creates, ${EXEC_RUNS} execs, interleaved with the floor\n`);
  console.log(row('floor: Engine API create+start', floorCreates));
  // Budgets from ARCHITECTURE.md (performance budgets): create within 1.3× of the floor, exec within 1.2×.
  console.log(row('berth: API create → running', berthCreates, floorCreates, 1.3));
  console.log(row('floor: Engine API exec echo ok', floorExecs));
  console.log(row('berth: API exec echo ok', berthExecs, floorExecs, 1.2));
  const p50 = median(keystrokes);
  console.log(`${row('berth: terminal keystroke echo', keystrokes)}   budget 15 ms p50: ${p50 <= 15 ? 'within' : 'OVER'}`);
  console.log(row('floor: Engine API create+start+exec', floorTti));
  console.log(row('e2b SDK: create + run echo ok', e2bTti, floorTti));
  console.log(`${''.padEnd(34)} published hosted medians: ${Object.entries(HOSTED_TTI_MS).map(([name, ms]) => `${name} ${ms} ms`).join(', ')}`);
  // Budgets from the warm-pool issue: absolute medians, not ratios (the floor cannot start a container that fast).
  const within = (xs: number[], ms: number) => `   budget ${ms} ms p50: ${median(xs) <= ms ? 'within' : 'OVER'}`;
  console.log(`${row('berth: API create from a warm pool', pooledCreates)}${within(pooledCreates, 100)}`);
  console.log(`${row('e2b SDK: create + echo, warm pool', pooledTti)}${within(pooledTti, 150)}`);
  const failures = (b: { failed: string[] }) => (b.failed.length > 0 ? `   ${b.failed.length} failed: ${[...new Set(b.failed)].join('; ')}` : '');
  if (pooledBurst) {
    if (burst) console.log(`${row(`e2b SDK: ${BURST} at once, each`, burst.ms)}${failures(burst)}`);
    console.log(`${row(`e2b SDK: ${BURST} at once, pool of ${BURST}`, pooledBurst.ms)}${failures(pooledBurst)}`);
    console.log(`${''.padEnd(34)} published hosted burst medians (100): ${Object.entries(HOSTED_BURST_MS).map(([name, ms]) => `${name} ${ms} ms`).join(', ')}`);
  }
  if (sandboxed.creates.length > 0) {
    // Budgets from the gVisor issue: Berth within 1.3× of the bare Engine API doing the same under runsc.
    console.log(row('floor: create+start, runsc', sandboxed.floorCreates));
    console.log(row('berth: create → running, sandboxed', sandboxed.creates, sandboxed.floorCreates, 1.3));
    console.log(row('floor: exec echo ok, runsc', sandboxed.floorExecs));
    console.log(row('berth: exec echo ok, sandboxed', sandboxed.execs, sandboxed.floorExecs, 1.3));
    console.log(`${''.padEnd(34)} gVisor's own cost: create ${(median(sandboxed.floorCreates) / median(floorCreates)).toFixed(2)}×, exec ${(median(sandboxed.floorExecs) / median(floorExecs)).toFixed(2)}× the runc floor`);
  }
  if (apps) {
    // Budget from the apps issue: a redeploy of an unchanged app within 2× the bare build + run + health wait.
    console.log(row('floor: build (cached)+run+health', apps.floor));
    console.log(row('berth: redeploy → new release serves', apps.berth, apps.floor, 2));
    console.log(`${'berth: switch under load'.padEnd(34)} ${apps.switchFailures} failed of ${apps.switchRequests} requests${apps.switchFailures === 0 ? '   budget: none failed' : '   OVER: requests failed'}`);
  }
  console.log('');
}

await main();
