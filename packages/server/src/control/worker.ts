import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/client.js';
import type { EnvironmentEventsRepo } from '../modules/environments/environment-events.repo.js';
import { backoffMs } from '../modules/environments/environments.domain.js';
import type { EnvironmentsRepo } from '../modules/environments/environments.repo.js';
import { ImageUnavailableError, RuntimeUnavailableError } from '../runtime/driver.js';
import type { Reconciler } from './reconciler.js';
import type { Claim, WorkQueueRepo } from './work-queue.repo.js';

export interface WorkerOptions {
  concurrency: number;
  leaseSeconds: number;
  maxAttempts: number;
  /** Longest an idle worker sleeps before looking for due work again. */
  idleMs: number;
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
  const workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const inFlight = new Map<string, Promise<void>>();
  let running = false;
  let loop: Promise<void> | undefined;
  let wakeUp: (() => void) | undefined;
  let woken = false;

  function wake(): void {
    woken = true;
    wakeUp?.();
  }

  async function sleep(ms: number): Promise<void> {
    if (woken) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wakeUp = undefined;
  }

  async function handle(claim: Claim): Promise<void> {
    const renew = setInterval(() => {
      queue.renew(db, workerId, [claim.id], options.leaseSeconds).catch((err: unknown) => log.warn({ err }, 'lease renewal failed'));
    }, (options.leaseSeconds * 1000) / 3);
    try {
      await deps.reconciler.reconcile(claim.id);
      await queue.release(db, workerId, claim, null);
    } catch (err) {
      await failed(claim, err).catch((e: unknown) => log.error({ err: e, environmentId: claim.id }, 'could not record a reconcile failure'));
    } finally {
      clearInterval(renew);
    }
  }

  /** Records a failed reconcile: retry with backoff, or give up with status error past the limit. */
  async function failed(claim: Claim, err: unknown): Promise<void> {
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
    await db.transaction(async (tx) => {
      await deps.environmentsRepo.update(tx, claim.id, { attempts, lastError: message, ...(giveUp ? { status: 'error', errorCode } : {}) });
      await deps.eventsRepo.append(tx, claim.id, giveUp ? { type: 'error', status: 'error', message, data: { code: errorCode } } : { type: 'retry', message: `attempt ${attempts} failed: ${message}`, data: { attempts } });
    });
    deps.published(claim.id);
    await queue.release(db, workerId, claim, giveUp ? null : backoffMs(attempts));
  }

  async function run(): Promise<void> {
    while (running) {
      woken = false;
      const room = options.concurrency - inFlight.size;
      let claims: Claim[] = [];
      if (room > 0) {
        try {
          claims = await queue.claimDue(db, workerId, room, options.leaseSeconds);
        } catch (err) {
          log.error({ err }, 'could not claim work');
        }
      }
      for (const claim of claims) {
        const job = handle(claim).finally(() => {
          inFlight.delete(claim.id);
          wake(); // a slot is free
        });
        inFlight.set(claim.id, job);
      }
      if (claims.length > 0 && claims.length === room) continue;
      const due = await queue.nextDueInMs(db).catch(() => null);
      await sleep(Math.min(due ?? options.idleMs, options.idleMs));
    }
  }

  return {
    workerId,
    wake,
    start(): void {
      if (running) return;
      running = true;
      loop = run();
    },
    /** Stops claiming and waits for the reconciles under way. */
    async stop(): Promise<void> {
      running = false;
      wake();
      await loop;
      await Promise.allSettled(inFlight.values());
    },
  };
}

export type Worker = ReturnType<typeof createWorker>;
