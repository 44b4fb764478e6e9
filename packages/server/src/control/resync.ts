import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/client.js';
import type { EnvironmentsRepo } from '../modules/environments/environments.repo.js';
import { networkFor } from '../modules/environments/egress.domain.js';
import type { RuntimeDriver } from '../runtime/driver.js';

interface Deps {
  db: Db;
  environmentsRepo: Pick<EnvironmentsRepo, 'listLive' | 'markDue' | 'expediteQueued'>;
  runtime: Pick<RuntimeDriver, 'list' | 'listWorkspaces' | 'remove' | 'pruneNetworks' | 'syncNetworks'>;
  wake: () => void;
  log: FastifyBaseLogger;
}

export interface ResyncReport {
  due: number;
  orphanInstances: number;
  orphanWorkspaces: number;
}

/**
 * Compares every environment with the runtime. What drifted is made due for a
 * reconcile (the reconciler decides what to do); what no environment owns is
 * removed, so a crash at any instant leaks nothing for long.
 */
export function createResync({ db, environmentsRepo, runtime, wake, log }: Deps) {
  async function resync(): Promise<ResyncReport> {
    // Runtime first, rows second: anything created after this listing has its row already.
    const [instances, workspaces] = await Promise.all([runtime.list(), runtime.listWorkspaces()]);
    const rows = await environmentsRepo.listLive(db);
    const live = new Map(rows.map((r) => [r.id, r]));

    const orphanInstances = instances.filter((i) => !live.has(i.environmentId));
    const orphanWorkspaces = workspaces.filter((id) => !live.has(id) && !orphanInstances.some((i) => i.environmentId === id));
    for (const orphan of [...orphanInstances.map((i) => i.environmentId), ...orphanWorkspaces]) {
      log.info({ environmentId: orphan }, 'removing runtime objects no environment owns');
      await runtime.remove(orphan, { workspace: true });
    }

    // A copy on another node than its environment's (a move that stopped before removing the original) goes.
    const strays = instances.filter((i) => {
      const row = live.get(i.environmentId);
      return !!row && !!i.nodeId && !!row.nodeId && row.nodeId !== 'local' && !row.moveToNodeId && i.nodeId !== row.nodeId;
    });
    for (const stray of strays) {
      log.info({ environmentId: stray.environmentId, nodeId: stray.nodeId }, 'removing a copy of an environment from a node it is not on');
      await runtime.remove(stray.environmentId, { workspace: true, nodeId: stray.nodeId });
    }
    const byEnv = new Map(instances.filter((i) => !strays.includes(i)).map((i) => [i.environmentId, i]));
    const drifted = rows.filter((r) => {
      const instance = byEnv.get(r.id);
      if (r.status === 'unreachable' && instance) return true; // its node is back: now, not after its backoff
      if (r.reconcileAfter !== null || r.status === 'error') return false; // already queued, or waiting for a new intent
      const running = instance?.state === 'running';
      // On another network than its policy's (changed while the worker was away, or made before policies existed).
      const misplaced = !!instance && (instance.networks.length !== 1 || instance.networks[0] !== networkFor(r).key);
      if (r.desiredState === 'running') return !running || r.status !== 'running' || misplaced;
      if (r.desiredState === 'stopped') return running || r.status !== 'stopped';
      return r.status !== 'deleted';
    });
    await environmentsRepo.markDue(
      db,
      drifted.map((r) => r.id),
    );
    if (drifted.length > 0) wake();

    await runtime.pruneNetworks(new Set(rows.filter((r) => r.desiredState !== 'deleted').map((r) => networkFor(r).key)));
    await runtime.syncNetworks();
    return { due: drifted.length, orphanInstances: orphanInstances.length, orphanWorkspaces: orphanWorkspaces.length };
  }

  let timer: NodeJS.Timeout | undefined;
  let current: Promise<unknown> | undefined;
  let failing = false;
  return {
    resync,
    /** Runs now, then every `intervalMs`, one pass at a time. */
    start(intervalMs: number): void {
      const tick = () => {
        current = resync()
          .then(async () => {
            // The runtime is back after an outage: retry what is waiting out a backoff now, not in a minute.
            if (failing) {
              await environmentsRepo.expediteQueued(db);
              wake();
            }
            failing = false;
          })
          .catch((err: unknown) => {
            failing = true;
            log.warn({ err }, 'resync failed; will try again');
          })
          .finally(() => {
            if (timer !== undefined) timer = setTimeout(tick, intervalMs);
          });
      };
      timer = setTimeout(tick, 0);
    },
    async stop(): Promise<void> {
      clearTimeout(timer);
      timer = undefined;
      await current;
    },
  };
}

export type Resync = ReturnType<typeof createResync>;
