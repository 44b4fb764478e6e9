import type { FastifyBaseLogger } from 'fastify';
import type { DesiredState } from '@berth/contracts';
import type { AuditService } from '../modules/audit/audit.service.js';
import type { EnvironmentEventsRepo, NewEvent } from '../modules/environments/environment-events.repo.js';
import type { EnvironmentsRepo } from '../modules/environments/environments.repo.js';

interface Deps {
  environmentsRepo: Pick<EnvironmentsRepo, 'lock' | 'setIntent'>;
  eventsRepo: Pick<EnvironmentEventsRepo, 'append'>;
  audit: AuditService;
  changed: (environmentId: string) => void;
}

export interface SystemIntent {
  /** The audit action, e.g. environment.auto_stop. */
  action: string;
  /** Which part of Berth acts: the audit row's request id. */
  source: string;
  desiredState: Exclude<DesiredState, 'running'>;
  /** Why, for the audit row; the event says it to the owner. */
  reason: string;
  metadata?: Record<string, unknown>;
  event: NewEvent;
}

/**
 * An intent Berth records on its own (idle auto-stop, an E2B timeout): audited
 * under the system's name, with its event, in one transaction, and only if the
 * environment still wants to run (someone may have acted meanwhile). Then the
 * reconciler does the work, so a crash in between loses nothing.
 */
export function createSystemIntents({ environmentsRepo, eventsRepo, audit, changed }: Deps) {
  return async function record(environmentId: string, intent: SystemIntent): Promise<boolean> {
    const ctx = { actor: null, ip: null, userAgent: null, requestId: intent.source };
    const rec = { targetType: 'environment', targetId: environmentId, message: intent.reason, ...(intent.metadata ? { metadata: intent.metadata } : {}) };
    const done = await audit.mutate(ctx, intent.action, rec, async (tx, r) => {
      const current = await environmentsRepo.lock(tx, environmentId);
      // Someone acted meanwhile: nothing to do, and nothing to audit (a sweep must not write a row per pass).
      if (current?.desiredState !== 'running') {
        r.unchanged = true;
        return false;
      }
      await environmentsRepo.setIntent(tx, environmentId, intent.desiredState);
      await eventsRepo.append(tx, environmentId, intent.event);
      return true;
    });
    if (done) changed(environmentId);
    return done;
  };
}

export type RecordSystemIntent = ReturnType<typeof createSystemIntents>;

/** Runs a sweep every `intervalMs` once started; a failed sweep is logged and the next one tries again. */
export function periodic(what: string, sweep: () => Promise<unknown>, log: FastifyBaseLogger) {
  let timer: NodeJS.Timeout | undefined;
  return {
    start(intervalMs: number): void {
      timer = setInterval(() => void sweep().catch((err: unknown) => log.warn({ err }, `${what} failed`)), intervalMs);
    },
    stop(): void {
      clearInterval(timer);
    },
  };
}
