import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../../db/client.js';
import type { Keyring } from '../../keyring.js';
import { RuntimeUnavailableError, type NetworkSpec, type ReplicaSpec, type RuntimeDriver } from '../../runtime/driver.js';
import { createClaimLoop } from '../../control/claim-loop.js';
import { backoffMs } from '../environments/environments.domain.js';
import type { MachineTypesRepo } from '../machine-types/machine-types.repo.js';
import { planBuild, UndetectableAppError } from './apps.detect.js';
import { appNetworkKey, gitHttpUrl, planApp, releaseImage, releasePhaseName, replicaEnv, replicaName } from './apps.domain.js';
import { probe } from './apps.health.js';
import { callHook, publicTarget } from './apps.hooks.js';
import type { AppRow, AppsRepo, ReleaseRow } from './apps.repo.js';
import { CONFIG_PURPOSE, GIT_CREDENTIALS_PURPOSE } from './apps.service.js';
import { buildContext, fetchGit, fetchWorkspace, SourceError, sourceTree, type FetchedSource, type GitCredentials } from './apps.source.js';

export interface AppsReconcilerOptions {
  /** What generated Dockerfiles build on (BERTH_APPS_BASE_IMAGE): Berth's dev image, so builds need no registry. */
  baseImage: string;
  allowLocalSources: boolean;
  maxSourceBytes: number;
  /** How long a new release's replicas have to become healthy before it is rolled back (BERTH_APPS_HEALTH_TIMEOUT_SECONDS). */
  healthTimeoutMs: number;
  /** How long a release that traffic left keeps serving what it holds (BERTH_APPS_DRAIN_SECONDS). */
  drainMs: number;
  buildTimeoutMs: number;
  releaseTimeoutMs: number;
  /** How often a running app is looked at anyway (a replica removed behind Berth's back comes back). */
  checkMs: number;
  leaseSeconds: number;
  maxAttempts: number;
  /** Images of this many releases before the current one stay, for rollbacks. */
  keepImages: number;
  stopGraceSeconds: number;
}

interface Deps {
  db: Db;
  appsRepo: AppsRepo;
  machineTypesRepo: Pick<MachineTypesRepo, 'lock'>;
  runtime: Pick<RuntimeDriver, 'ensureImage' | 'readArchive' | 'buildImage' | 'runReplica' | 'runOnce' | 'listReplicas' | 'removeReplica' | 'pruneAppImages' | 'replicaEndpoint'>;
  keyring: Pick<Keyring, 'open'>;
  /** Where the app answers (the note a URL hook is sent says). */
  urlOf: (app: AppRow) => string;
  /** Brings the app's managed database to what its row says (apps.database.ts). */
  databases: { converge(app: AppRow): Promise<void> };
  /** Traffic moved (or the app went, or its replicas changed): resolves once the edges route as the database says. */
  switched: (appId: string) => Promise<void>;
  options: AppsReconcilerOptions;
  log: FastifyBaseLogger;
}

/** Build output lines kept as events per release at most: the first half and the last half. */
const MAX_BUILD_LINES = 2000;
/** An app's network: its own, under the `internet` policy (no host, private or metadata ranges). */
const appNetwork = (appId: string): NetworkSpec => ({ key: appNetworkKey(appId), ownerId: null, environmentId: null, egress: { mode: 'internet' } });

/** How long a hook's URL has to answer. */
const HOOK_TIMEOUT_MS = 10_000;

/** A release that cannot go live, for a reason its author can read: it fails, and the app keeps serving what it served. */
class ReleaseFailed extends Error {}

/**
 * Converges apps on their releases, level-triggered like the environments reconciler: a look at
 * an app builds the newest release in progress (source, image, release phase), starts its
 * replicas, moves traffic once they are healthy, and lets the replicas traffic left drain and go.
 * Each step's outcome is a row, so a server killed at any point picks up where it was.
 */
export function createAppsReconciler(deps: Deps) {
  const { db, appsRepo, runtime, options, log } = deps;
  const event = (app: Pick<AppRow, 'id'>, release: Pick<ReleaseRow, 'number'> | null, type: 'build' | 'release' | 'deploy' | 'status', message: string) =>
    appsRepo.appendEvent(db, app.id, { releaseNumber: release?.number ?? null, type, message });

  /** A one-off container's output as release events, in order, the first MAX_BUILD_LINES of them (then how many more). */
  function boundedOutput(app: AppRow, release: ReleaseRow) {
    let chain = Promise.resolve();
    let count = 0;
    return {
      line: (line: string) => {
        count += 1;
        if (count <= MAX_BUILD_LINES) chain = chain.then(() => event(app, release, 'release', line));
      },
      done: async () => {
        await chain;
        if (count > MAX_BUILD_LINES) await event(app, release, 'release', `… ${count - MAX_BUILD_LINES} more lines left out`);
      },
    };
  }

  async function specFor(app: AppRow, release: ReleaseRow, name: string, command?: string[]): Promise<ReplicaSpec> {
    const type = await deps.machineTypesRepo.lock(db, app.machineType, 'share');
    return {
      name,
      appId: app.id,
      releaseId: release.id,
      image: release.image!,
      command,
      env: replicaEnv(release.config, (sealed) => deps.keyring.open(CONFIG_PURPOSE, sealed), app.port),
      vcpus: type?.vcpus ?? 1,
      memoryMb: type?.memoryMb ?? 512,
      network: appNetwork(app.id),
    };
  }

  async function fetchSource(app: AppRow): Promise<FetchedSource> {
    const { source } = app;
    if (source.kind === 'git') {
      // Checked again at each clone: a name can point elsewhere than when the app was made.
      if (!options.allowLocalSources && !(await publicTarget(gitHttpUrl(source.url)))) throw new SourceError(`${source.url} does not reach a public address`);
      const credentials = app.gitCredentials ? (JSON.parse(deps.keyring.open(GIT_CREDENTIALS_PURPOSE, app.gitCredentials)) as GitCredentials) : undefined;
      return fetchGit(source.url, source.branch, { allowLocal: options.allowLocalSources, timeoutMs: options.buildTimeoutMs, maxBytes: options.maxSourceBytes, credentials });
    }
    return fetchWorkspace(runtime, source.environmentId, source.path, options.maxSourceBytes);
  }

  async function build(app: AppRow, release: ReleaseRow): Promise<ReleaseRow> {
    release = await appsRepo.updateRelease(db, release.id, { status: 'building' });
    await event(app, release, 'build', `building release ${release.number} from ${app.source.kind === 'git' ? `${app.source.url} (${app.source.branch})` : `${app.source.path} in an environment`}`);
    const source = await fetchSource(app).catch((err: unknown) => {
      throw err instanceof SourceError ? new ReleaseFailed(err.message) : err;
    });
    let plan;
    try {
      plan = planBuild(sourceTree(source.entries), { baseImage: options.baseImage, port: app.port });
    } catch (err) {
      if (err instanceof UndetectableAppError) throw new ReleaseFailed(err.message);
      throw err;
    }
    await event(app, release, 'build', `${source.sourceRef ? `commit ${source.sourceRef.slice(0, 12)}: ` : ''}${plan.summary}`);
    if (plan.dockerfile !== null) await runtime.ensureImage(options.baseImage, () => undefined);
    const image = releaseImage(app.id, release.number);
    // The build's output is kept up to a bound (its last lines, the ones that say why it failed, win).
    const lines: string[] = [];
    let dropped = 0;
    const keep = (line: string) => {
      lines.push(line);
      if (lines.length > MAX_BUILD_LINES) {
        lines.splice(MAX_BUILD_LINES / 2, 1);
        dropped += 1;
      }
    };
    const flush = async () => {
      const all = lines.splice(0);
      const head = dropped > 0 ? all.slice(0, MAX_BUILD_LINES / 2) : all;
      for (const line of head) await event(app, release, 'build', line);
      if (dropped > 0) await event(app, release, 'build', `… ${dropped} lines left out …`);
      if (dropped > 0) for (const line of all.slice(MAX_BUILD_LINES / 2)) await event(app, release, 'build', line);
      dropped = 0;
    };
    const type = await deps.machineTypesRepo.lock(db, app.machineType, 'share');
    try {
      await runtime.buildImage(image, app.id, Readable.from([await buildContext(source.entries, plan)]), keep, {
        network: appNetwork(app.id),
        memoryMb: Math.max(type?.memoryMb ?? 1024, 1024),
        vcpus: type?.vcpus ?? 1,
        timeoutMs: options.buildTimeoutMs,
      });
    } catch (err) {
      await flush();
      if (err instanceof RuntimeUnavailableError) throw err;
      throw new ReleaseFailed(`the build failed: ${(err as Error).message.slice(0, 1000)}`);
    }
    await flush();
    return appsRepo.updateRelease(db, release.id, { status: 'releasing', image, sourceRef: source.sourceRef, buildSummary: plan.summary, releaseCommand: app.releaseCommand ?? plan.release });
  }

  async function releasePhase(app: AppRow, release: ReleaseRow): Promise<ReleaseRow> {
    if (release.releaseCommand) {
      await event(app, release, 'release', `release phase: ${release.releaseCommand}`);
      const spec = await specFor(app, release, releasePhaseName(release.id), ['/bin/sh', '-c', release.releaseCommand]);
      const output = boundedOutput(app, release);
      const code = await runtime.runOnce(spec, options.releaseTimeoutMs, output.line);
      await output.done();
      if (code !== 0) throw new ReleaseFailed(code === null ? `the release phase ran past ${options.releaseTimeoutMs / 1000} s` : `the release phase failed (exit ${code})`);
    }
    return appsRepo.updateRelease(db, release.id, { status: 'starting' });
  }

  /** Starts the release's replicas and waits until every one is healthy; false when they were not in time. */
  async function startAndWait(app: AppRow, release: ReleaseRow): Promise<boolean> {
    // A build takes its config as it is when its replicas start (a database attached during the build, say).
    if (release.kind === 'build') release = await appsRepo.updateRelease(db, release.id, { config: await appsRepo.config(db, app.id) });
    const names = Array.from({ length: app.replicas }, (_, i) => replicaName(release.id, i));
    for (const name of names) await runtime.runReplica(await specFor(app, release, name));
    await event(app, release, 'deploy', `started ${names.length} replica${names.length === 1 ? '' : 's'}; waiting for ${app.healthPath ? `GET ${app.healthPath}` : `port ${app.port}`} to answer`);
    const deadline = Date.now() + options.healthTimeoutMs;
    const healthy = new Set<string>();
    while (Date.now() < deadline) {
      for (const name of names) {
        if (healthy.has(name)) continue;
        const endpoint = await runtime.replicaEndpoint(name, app.port).catch(() => null);
        if (endpoint && (await probe(endpoint, app.healthPath, 2000))) healthy.add(name);
      }
      if (healthy.size === names.length) return true;
      await sleep(250);
    }
    return false;
  }

  /**
   * A hook around the deploy: its command in a container of the release (output in the events), and
   * its URL told of it. True when both did well; what went wrong is in the events either way.
   */
  async function runHook(app: AppRow, release: ReleaseRow, event: 'pre-deploy' | 'post-deploy', hook: { command?: string; url?: string }): Promise<string | null> {
    if (hook.command) {
      await event_(app, release, `${event} hook: ${hook.command}`);
      const spec = await specFor(app, release, `${releasePhaseName(release.id)}-${event}`, ['/bin/sh', '-c', hook.command]);
      const output = boundedOutput(app, release);
      const code = await runtime.runOnce(spec, options.releaseTimeoutMs, output.line);
      await output.done();
      if (code !== 0) return `the ${event} command ${code === null ? 'ran too long' : `failed (exit ${code})`}`;
    }
    if (hook.url) {
      const note = { event, app: { id: app.id, name: app.name, url: deps.urlOf(app) }, release: { number: release.number, sourceRef: release.sourceRef } };
      const answer = await callHook(hook.url, note, { allowLocal: options.allowLocalSources, timeoutMs: HOOK_TIMEOUT_MS });
      await event_(app, release, `${event} hook ${new URL(hook.url).host}: ${answer.detail}`);
      if (!answer.ok) return `the ${event} URL ${answer.detail}`;
    }
    return null;
  }
  const event_ = (app: AppRow, release: ReleaseRow, message: string) => event(app, release, 'release', message);

  /** Moves traffic to the release: it is live, the one before it superseded (its replicas drain). */
  async function goLive(app: AppRow, release: ReleaseRow): Promise<void> {
    await db.transaction(async (tx) => {
      const current = await appsRepo.lock(tx, app.id);
      if (current?.currentReleaseId) await appsRepo.updateRelease(tx, current.currentReleaseId, { status: 'superseded', supersededAt: new Date() });
      await appsRepo.updateRelease(tx, release.id, { status: 'live', liveAt: new Date() });
      await appsRepo.update(tx, app.id, { currentReleaseId: release.id, status: 'running', lastError: null, attempts: 0 });
      await appsRepo.appendEvent(tx, app.id, { releaseNumber: release.number, type: 'deploy', message: `release ${release.number} is live` });
    });
    await deps.switched(app.id);
  }

  async function fail(app: AppRow, release: ReleaseRow, reason: string): Promise<void> {
    for (const r of await runtime.listReplicas(app.id)) if (r.releaseId === release.id) await runtime.removeReplica(r.name, 0);
    const current = app.currentReleaseId ? await appsRepo.releaseById(db, app.currentReleaseId) : undefined;
    await appsRepo.updateRelease(db, release.id, { status: 'failed', error: reason });
    await appsRepo.update(db, app.id, { status: current ? 'running' : 'failed', lastError: `release ${release.number}: ${reason}`, attempts: 0 });
    await event(app, release, 'deploy', current ? `release ${release.number} failed: ${reason}; rolled back, release ${current.number} keeps serving` : `release ${release.number} failed: ${reason}`);
  }

  /** Takes the release as far as it goes: live, or failed. */
  async function advance(app: AppRow, release: ReleaseRow): Promise<void> {
    try {
      if (release.status === 'pending' || release.status === 'building') release = await build(app, release);
      if (release.status === 'releasing') release = await releasePhase(app, release);
      if (!(await startAndWait(app, release))) throw new ReleaseFailed(`its replicas were not healthy within ${options.healthTimeoutMs / 1000} s`);
      // The pre-deploy hook is the last word before traffic moves; the post-deploy one only reports.
      const refused = app.hooks.preDeploy ? await runHook(app, release, 'pre-deploy', app.hooks.preDeploy) : null;
      if (refused) throw new ReleaseFailed(refused);
      await goLive(app, release);
      const failed = app.hooks.postDeploy ? await runHook(app, release, 'post-deploy', app.hooks.postDeploy) : null;
      if (failed) await event(app, release, 'deploy', `release ${release.number} is live, but ${failed}`);
    } catch (err) {
      if (!(err instanceof ReleaseFailed)) throw err;
      await fail(app, release, err.message);
    }
  }

  async function removeApp(app: AppRow): Promise<void> {
    // Its database goes with it (deleting the app is the confirmation), volume and all.
    await deps.databases.converge(app);
    for (const r of await runtime.listReplicas(app.id)) await runtime.removeReplica(r.name, options.stopGraceSeconds);
    // The row goes last, once nothing of the app is left: until then a look at it tries again.
    const left = await runtime.pruneAppImages(app.id, new Set());
    if (left.length > 0) throw new Error(`images still in use: ${left.join(', ')}`);
    await appsRepo.remove(db, app.id);
    await deps.switched(app.id);
  }

  /**
   * Its organization is suspended: a release on its way fails, and every replica goes (its visitors
   * are told it is unavailable). Its database keeps running with its data; its releases stay, so a
   * reactivation runs the current one again.
   */
  async function suspend(app: AppRow): Promise<void> {
    const onTheWay = (await appsRepo.releases(db, app.id)).filter((r) => ['pending', 'building', 'releasing', 'starting'].includes(r.status));
    for (const release of onTheWay) await fail(app, release, 'its organization was suspended');
    for (const r of await runtime.listReplicas(app.id)) await runtime.removeReplica(r.name, options.stopGraceSeconds);
    await appsRepo.update(db, app.id, { status: 'suspended' });
    if (app.status !== 'suspended') await event(app, null, 'status', 'stopped: its organization is suspended');
    await deps.switched(app.id);
  }

  /** One look at an app; when to look again (null: only when something changes). */
  async function reconcile(appId: string): Promise<number | null> {
    let app = await appsRepo.lock(db, appId);
    if (!app) return null;
    if (app.desiredState === 'deleted') {
      await removeApp(app);
      return null;
    }
    // Until it is reactivated (which makes its apps due again), nothing of it runs.
    if (await appsRepo.suspended(db, app.orgId)) {
      await suspend(app);
      return null;
    }
    if (app.status === 'suspended') {
      app = await appsRepo.update(db, app.id, { status: app.currentReleaseId ? 'running' : 'idle' });
      await event(app, null, 'status', 'started again: its organization is active');
    }
    // The database first: a release's DATABASE_URL names it.
    await deps.databases.converge(app);
    const releases = await appsRepo.releases(db, app.id);
    const plan = planApp({ currentReleaseId: app.currentReleaseId, releases, replicas: await runtime.listReplicas(app.id), drainMs: options.drainMs, now: new Date() });
    for (const old of plan.overtaken) await fail(app, releases.find((r) => r.id === old.id)!, `release ${plan.deploying!.number} was requested before it went live`);
    if (plan.deploying) {
      await advance(app, releases.find((r) => r.id === plan.deploying!.id)!);
      app = (await appsRepo.lock(db, appId))!;
    }
    // The current release runs as many replicas as the app asks for, no more.
    const current = app.currentReleaseId ? await appsRepo.releaseById(db, app.currentReleaseId) : undefined;
    const replicas = await runtime.listReplicas(app.id);
    if (current) {
      for (let i = 0; i < app.replicas; i++) await runtime.runReplica(await specFor(app, current, replicaName(current.id, i)));
      const wanted = new Set(Array.from({ length: app.replicas }, (_, i) => replicaName(current.id, i)));
      for (const r of replicas) if (r.releaseId === current.id && !wanted.has(r.name)) await runtime.removeReplica(r.name, options.stopGraceSeconds);
    }
    const after = planApp({ currentReleaseId: app.currentReleaseId, releases: await appsRepo.releases(db, app.id), replicas, drainMs: options.drainMs, now: new Date() });
    for (const name of after.remove) await runtime.removeReplica(name, options.stopGraceSeconds);
    const keep = (await appsRepo.releases(db, app.id)).filter((r) => r.image && (r.status === 'live' || r.status === 'superseded')).slice(0, options.keepImages + 1);
    await runtime.pruneAppImages(app.id, new Set(keep.map((r) => r.image!)));
    if (app.status === 'deploying' && !plan.deploying) await appsRepo.update(db, app.id, { status: current ? 'running' : 'idle' });
    // A replica made again (a new address) or scaled: the edge follows.
    await deps.switched(app.id);
    return after.nextDrainAt ? Math.max(0, after.nextDrainAt.getTime() - Date.now()) : options.checkMs;
  }

  async function failed(appId: string, err: unknown): Promise<number | null> {
    const app = await appsRepo.lock(db, appId);
    if (!app) return null;
    const message = err instanceof Error ? err.message : String(err);
    const attempts = app.attempts + 1;
    log.warn({ err, appId, attempts }, 'app reconcile failed');
    if (attempts < options.maxAttempts) {
      await appsRepo.update(db, appId, { attempts, lastError: message });
      return backoffMs(attempts);
    }
    // Past the limit: whatever release was on its way fails, and the app keeps serving what it served.
    const deploying = (await appsRepo.releases(db, appId)).find((r) => ['pending', 'building', 'releasing', 'starting'].includes(r.status));
    if (deploying) await fail(app, deploying, `gave up after ${attempts} attempts: ${message}`);
    else await appsRepo.update(db, appId, { attempts: 0, lastError: message });
    return options.checkMs;
  }

  // The loop: claims due apps, one reconcile per app at a time across every Berth process.
  const loop = createClaimLoop({
    source: {
      claimDue: (workerId, limit, leaseSeconds) => appsRepo.claimDue(db, workerId, limit, leaseSeconds),
      renew: (workerId, claim, leaseSeconds) => appsRepo.renew(db, workerId, claim.id, leaseSeconds),
      nextDueInMs: () => appsRepo.nextDueInMs(db),
    },
    async work(claim, workerId) {
      const next = await reconcile(claim.id).catch((err: unknown) => failed(claim.id, err));
      await appsRepo.releaseClaim(db, workerId, claim, next);
    },
    // A build may run for minutes: stopping does not wait for it past a moment (its lease lapses and another process, or the next start, takes it up).
    options: { concurrency: 2, leaseSeconds: options.leaseSeconds, idleMs: options.checkMs, stopWaitMs: 5000 },
    log,
    what: 'apps',
  });

  return { reconcile, wake: loop.wake, start: loop.start, stop: loop.stop };
}

export type AppsReconciler = ReturnType<typeof createAppsReconciler>;
