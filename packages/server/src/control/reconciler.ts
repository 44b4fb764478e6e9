import type { DesiredState, EnvironmentStatus } from '@berth/contracts';
import type { Db } from '../db/client.js';
import type { EnvironmentEventsRepo, NewEvent } from '../modules/environments/environment-events.repo.js';
import type { EnvironmentRecord, EnvironmentsRepo } from '../modules/environments/environments.repo.js';
import { networkFor } from '../modules/environments/egress.domain.js';
import type { EnvironmentSpec, ImageRecipe, RuntimeDriver } from '../runtime/driver.js';

/** Reaching the desired state clears the failures on the way there. */
const SETTLED = { attempts: 0, lastError: null, errorCode: null };

const specOf = (env: EnvironmentRecord): EnvironmentSpec => ({
  environmentId: env.id,
  nodeId: env.nodeId,
  ownerId: env.ownerId,
  name: env.name,
  image: env.image,
  vcpus: env.vcpus,
  memoryMb: env.memoryMb,
  diskGib: env.diskGib,
  network: networkFor(env),
  runtimeClass: env.runtimeClass,
});

interface Deps {
  db: Db;
  environmentsRepo: Pick<EnvironmentsRepo, 'record' | 'update'>;
  eventsRepo: Pick<EnvironmentEventsRepo, 'append'>;
  runtime: RuntimeDriver;
  stopGraceSeconds: number;
  /** After each committed change, so followers see it at once. */
  published: (environmentId: string) => void;
  /** Writes the environment's template into /workspace; returns what to say about it. */
  applyTemplate: (environmentId: string, templateId: string) => Promise<string>;
  /** How to build the environment's image when it is its template's (from the template's Dockerfile). */
  imageRecipe: (env: EnvironmentRecord) => Promise<ImageRecipe | undefined>;
  /** Runs the template's start command, if any, in a just-started environment; returns what to say about it. */
  startTemplate: (environmentId: string, templateId: string) => Promise<string | null>;
  /** Chooses the node a new environment goes on (placement.ts), recording it where other processes must see it at once; NoNodeError while none can take it. */
  place: (env: EnvironmentRecord) => Promise<string>;
  /** Puts what Berth keeps inside environments (berth-hold) into a container just made, before its first start. */
  prepareInstance?: (env: EnvironmentRecord) => Promise<void>;
}

/**
 * Level-triggered: looks at one environment and the runtime as they are now and
 * takes the steps that bring the runtime to the desired state. It never trusts
 * why it was called, so a replayed, duplicated or lost wake-up is harmless.
 * Throws when a step fails; the worker records the failure and retries.
 */
export function createReconciler(deps: Deps) {
  const { db, runtime } = deps;

  async function setStatus(env: EnvironmentRecord, status: EnvironmentStatus, extra: Partial<EnvironmentRecord> = {}, event: Partial<NewEvent> = {}) {
    const changed = env.status !== status;
    await db.transaction(async (tx) => {
      await deps.environmentsRepo.update(tx, env.id, { status, ...extra });
      if (changed) await deps.eventsRepo.append(tx, env.id, { type: 'status', status, message: event.message ?? status, data: event.data });
    });
    env.status = status;
    if (changed) deps.published(env.id);
  }

  async function note(env: EnvironmentRecord, type: string, message: string) {
    await deps.eventsRepo.append(db, env.id, { type, message });
    deps.published(env.id);
  }

  async function toDeleted(env: EnvironmentRecord) {
    if (env.status === 'deleted') return;
    await setStatus(env, 'deleting');
    // A move under way may have begun its copy on the other node.
    if (env.moveToNodeId) await runtime.remove(env.id, { workspace: true, nodeId: env.moveToNodeId });
    await runtime.remove(env.id, { workspace: true });
    await setStatus(env, 'deleted', { containerId: null, ...SETTLED }, { message: 'deleted with its workspace' });
  }

  async function toStopped(env: EnvironmentRecord) {
    const instance = await runtime.inspect(env.id);
    if (instance?.state === 'running' || instance?.state === 'restarting') {
      await setStatus(env, 'stopping');
      await runtime.stop(env.id, deps.stopGraceSeconds);
    }
    await setStatus(env, 'stopped', SETTLED);
  }

  async function toRunning(env: EnvironmentRecord) {
    let instance = await runtime.inspect(env.id);
    // The egress policy may have changed since the instance joined its network: move it, live.
    if (instance && (await runtime.attachNetwork(specOf(env)))) await note(env, 'network', `now under egress policy ${env.egress}`);
    const restartPending = !!env.restartRequestedAt && (!env.startedAt || env.restartRequestedAt > env.startedAt);
    if (instance?.state === 'running' && !restartPending) {
      if (env.status !== 'running' || env.attempts > 0) {
        // Started by an attempt that failed (or crashed) before writing the template's files.
        await firstRun(env);
        await setStatus(env, 'running', SETTLED);
      }
      return;
    }
    if (instance?.state === 'running' && restartPending) {
      await setStatus(env, 'stopping', {}, { message: 'restarting' });
      await runtime.stop(env.id, deps.stopGraceSeconds);
    } else if (instance && env.status === 'running') {
      // It died under us: say so; starting it again below is the retry.
      await note(env, 'exited', `the environment stopped unexpectedly (exit code ${instance.exitCode ?? 'unknown'})`);
    }
    if (!instance) {
      await setStatus(env, 'provisioning');
      // Placed once: its workspace is on that node from now on, and it stays there until moved.
      if (!env.nodeId) {
        env.nodeId = await deps.place(env);
        if (runtime.clustered) await note(env, 'placed', `placed on node ${env.nodeId}`);
      }
      await runtime.ensureImage(env.image, (message) => void note(env, 'provision', message), await deps.imageRecipe(env), env.nodeId);
      const containerId = await runtime.ensureInstance(specOf(env));
      await deps.environmentsRepo.update(db, env.id, { containerId, nodeId: env.nodeId });
      // After the node is recorded: on a swarm, calls about the environment go where the row says.
      await deps.prepareInstance?.(env);
    }
    await setStatus(env, 'starting');
    await runtime.start(env.id);
    instance = await runtime.inspect(env.id);
    if (instance?.state !== 'running') throw new Error(`the environment exited right after starting (exit code ${instance?.exitCode ?? 'unknown'})`);
    // Before it is called running: whoever waits for that (E2B's create) finds the template's files and start command.
    await firstRun(env);
    if (env.templateId) {
      const started = await deps.startTemplate(env.id, env.templateId);
      if (started) await note(env, 'start_command', started);
    }
    await setStatus(env, 'running', { startedAt: new Date(), ...SETTLED });
  }

  /** The template chosen at creation is written once, the first time the environment runs. */
  async function firstRun(env: EnvironmentRecord) {
    if (!env.templateId || env.templateAppliedAt) return;
    const message = await deps.applyTemplate(env.id, env.templateId);
    await deps.environmentsRepo.update(db, env.id, { templateAppliedAt: new Date() });
    await note(env, 'template', message);
  }

  const steps: Record<DesiredState, (env: EnvironmentRecord) => Promise<void>> = {
    deleted: toDeleted,
    stopped: toStopped,
    running: toRunning,
  };

  /**
   * An administrator's move, before anything else the environment is asked to do: the workspace is
   * copied to the new node and verified there, the environment then names that node, and only then
   * is the original removed. A failure at any step leaves the original where it was (retried).
   */
  async function move(env: EnvironmentRecord) {
    const to = env.moveToNodeId!;
    const from = env.nodeId;
    await setStatus(env, 'moving');
    if (from && from !== to) {
      const instance = await runtime.inspect(env.id);
      if (instance?.state === 'running' || instance?.state === 'restarting') await runtime.stop(env.id, deps.stopGraceSeconds);
      await runtime.ensureImage(env.image, (message) => void note(env, 'provision', message), await deps.imageRecipe(env), to);
      const copied = await runtime.copyWorkspace(env.id, specOf({ ...env, nodeId: to }));
      await db.transaction(async (tx) => {
        await deps.environmentsRepo.update(tx, env.id, { nodeId: to, moveToNodeId: null });
        await deps.eventsRepo.append(tx, env.id, { type: 'moved', message: `moved to node ${to}: ${copied.files} entries, ${copied.bytes} bytes, copied and verified`, data: { from, to, ...copied } });
      });
      deps.published(env.id);
      await runtime.remove(env.id, { workspace: true, nodeId: from });
    } else {
      // Never placed (nothing to copy), or there already: it goes there from now on.
      await deps.environmentsRepo.update(db, env.id, { nodeId: to, moveToNodeId: null });
    }
    env.nodeId = to;
    env.moveToNodeId = null;
  }

  /** Brings one environment one full step closer to its intent. */
  async function reconcile(environmentId: string): Promise<void> {
    const env = await deps.environmentsRepo.record(db, environmentId);
    if (!env) return;
    if (env.moveToNodeId && env.desiredState !== 'deleted') await move(env);
    await steps[env.desiredState](env);
  }

  return { reconcile, setStatus };
}

export type Reconciler = ReturnType<typeof createReconciler>;
