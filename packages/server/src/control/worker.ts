import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/client.js';
import type { EnvironmentEventsRepo } from '../modules/environments/environment-events.repo.js';
import { backoffMs } from '../modules/environments/environments.domain.js';
import type { EnvironmentsRepo } from '../modules/environments/environments.repo.js';
import { ImageUnavailableError, NodeUnreachableError, RuntimeUnavailableError } from '../runtime/driver.js';
import { createClaimLoop, type ClaimLoopOptions } from './claim-loop.js';
import type { Reconciler } from './reconciler.js';
import type { Claim, WorkQueueRepo } from './work-queue.repo.js';

export interface WorkerOptions extends ClaimLoopOptions {
  maxAttempts: number;
}

interface Deps {
  db: Db;
  queue: WorkQueueRepo;
  reconciler: Reconciler;
  environmentsRepo: Pick<EnvironmentsRepo, 'record' | 'update'>;
  eventsRepo: Pick<EnvironmentEventsRepo, 'append'>;
  published: (environmentId: string) => void;
  log: FastifyBaseLogger;
  options: WorkerOptions;
}

/**
 * Claims due environments and reconciles them, a few at a time. A wake-up
 * makes it look at once; otherwise it sleeps until the next row falls due.
 */
export function createWorker(deps: Deps) {
  const { db, queue, options, log } = deps;
  const loop = createClaimLoop<Claim>({
    source: {
      claimDue: (workerId, limit, leaseSeconds) => queue.claimDue(db, workerId, limit, leaseSeconds),
      renew: (workerId, claim, leaseSeconds) => queue.renew(db, workerId, [claim.id], leaseSeconds),
      nextDueInMs: () => queue.nextDueInMs(db),
    },
    async work(claim, workerId) {
      try {
        await deps.reconciler.reconcile(claim.id);
        await queue.release(db, workerId, claim, null);
      } catch (err) {
        await failed(claim, workerId, err).catch((e: unknown) => log.error({ err: e, environmentId: claim.id }, 'could not record a reconcile failure'));
      }
    },
    options,
    log,
    what: 'environments',
  });

  /** Records a failed reconcile: retry with backoff, or give up with status error past the limit. */
  async function failed(claim: Claim, workerId: string, err: unknown): Promise<void> {
    const env = await deps.environmentsRepo.record(db, claim.id);
    if (!env) return;
    const message = err instanceof Error ? err.message : String(err);
    const attempts = env.attempts + 1;
    // An engine outage is nobody's fault: keep retrying it (backoff capped) instead of failing the environment.
    // An image that cannot be pulled or built will not be there on the next try either: fail at once.
    const giveUp = err instanceof ImageUnavailableError || (attempts >= options.maxAttempts && !(err instanceof RuntimeUnavailableError));
    const errorCode = err instanceof ImageUnavailableError ? err.code : 'reconcile_failed';
    // What the owner sees is the error's message; the engine's own words (an image's) stay in this log.
    const detail = err instanceof ImageUnavailableError ? err.detail : undefined;
    log.warn({ environmentId: claim.id, attempts, err: message, detail }, giveUp ? 'reconcile failed; giving up' : 'reconcile failed; will retry');
    // Its node is lost: it waits for it, intent kept, and says so once.
    const unreachable = err instanceof NodeUnreachableError && env.status !== 'unreachable' && env.desiredState !== 'deleted';
    await db.transaction(async (tx) => {
      await deps.environmentsRepo.update(tx, claim.id, { attempts, lastError: message, ...(giveUp ? { status: 'error', errorCode } : unreachable ? { status: 'unreachable' } : {}) });
      if (unreachable) await deps.eventsRepo.append(tx, claim.id, { type: 'status', status: 'unreachable', message });
      await deps.eventsRepo.append(tx, claim.id, giveUp ? { type: 'error', status: 'error', message, data: { code: errorCode } } : { type: 'retry', message: `attempt ${attempts} failed: ${message}`, data: { attempts } });
    });
    deps.published(claim.id);
    await queue.release(db, workerId, claim, giveUp ? null : backoffMs(attempts));
  }

  return loop;
}

export type Worker = ReturnType<typeof createWorker>;
