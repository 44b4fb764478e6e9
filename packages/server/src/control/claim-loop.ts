import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';

/** What a claim loop takes its work from: rows claimed for a lease, so one process works each at a time. */
export interface ClaimSource<C extends { id: string }> {
  /** Up to `limit` rows that are due, claimed by `workerId` for `leaseSeconds`. */
  claimDue(workerId: string, limit: number, leaseSeconds: number): Promise<C[]>;
  /** Extends a claim still being worked on. */
  renew(workerId: string, claim: C, leaseSeconds: number): Promise<void>;
  /** When the next row falls due, if any does. */
  nextDueInMs(): Promise<number | null>;
}

export interface ClaimLoopOptions {
  concurrency: number;
  leaseSeconds: number;
  /** Longest an idle loop sleeps before looking for due work again. */
  idleMs: number;
  /** How long stop() waits for work under way (its lease lapses and another process takes it up); unbounded when unset. */
  stopWaitMs?: number;
}

/**
 * Claims due rows and works them, a few at a time, each under a lease renewed while it runs (a
 * process that dies lets it lapse, and another takes the row up). A wake-up makes it look at once;
 * otherwise it sleeps until the next row falls due. `work` gets the id this process claims under
 * and settles the claim itself; what it throws is logged.
 */
export function createClaimLoop<C extends { id: string }>(deps: {
  source: ClaimSource<C>;
  work: (claim: C, workerId: string) => Promise<void>;
  options: ClaimLoopOptions;
  log: FastifyBaseLogger;
  /** What the rows are, for the log. */
  what: string;
}) {
  const { source, options, log, what } = deps;
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

  async function nap(ms: number): Promise<void> {
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

  async function handle(claim: C): Promise<void> {
    const renew = setInterval(() => {
      source.renew(workerId, claim, options.leaseSeconds).catch((err: unknown) => log.warn({ err, id: claim.id }, `${what}: lease renewal failed`));
    }, (options.leaseSeconds * 1000) / 3);
    try {
      await deps.work(claim, workerId);
    } catch (err) {
      log.error({ err, id: claim.id }, `${what}: could not finish`);
    } finally {
      clearInterval(renew);
    }
  }

  async function run(): Promise<void> {
    while (running) {
      woken = false;
      const room = options.concurrency - inFlight.size;
      let claims: C[] = [];
      if (room > 0) {
        try {
          claims = await source.claimDue(workerId, room, options.leaseSeconds);
        } catch (err) {
          log.error({ err }, `${what}: could not claim work`);
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
      const due = await source.nextDueInMs().catch(() => null);
      // Not less than a moment: a row due now that another process holds is not ours to spin on.
      await nap(Math.min(Math.max(due ?? options.idleMs, 50), options.idleMs));
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
    /** Stops claiming and waits for the work under way (at most stopWaitMs). */
    async stop(): Promise<void> {
      running = false;
      wake();
      await loop;
      const settled = Promise.allSettled(inFlight.values());
      await (options.stopWaitMs === undefined ? settled : Promise.race([settled, sleep(options.stopWaitMs)]));
    },
  };
}
