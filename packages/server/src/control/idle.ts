import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/client.js';
import type { AuditService } from '../modules/audit/audit.service.js';
import type { EnvironmentEventsRepo } from '../modules/environments/environment-events.repo.js';
import type { EnvironmentsRepo } from '../modules/environments/environments.repo.js';

interface Deps {
  db: Db;
  environmentsRepo: Pick<EnvironmentsRepo, 'listIdle' | 'lock' | 'setIntent'>;
  eventsRepo: Pick<EnvironmentEventsRepo, 'append'>;
  audit: AuditService;
  changed: (environmentId: string) => void;
  log: FastifyBaseLogger;
}

const SYSTEM = { actor: null, ip: null, userAgent: null, requestId: 'idle-auto-stop' };

/**
 * Stops environments nobody used for longer than their owner's idle timeout.
 * Activity is terminal input, exec, file writes and previews. The stop is an
 * intent like any other (audited as environment.auto_stop), so the reconciler
 * does the work and a crash in between loses nothing.
 */
export function createIdleStopper({ db, environmentsRepo, eventsRepo, audit, changed, log }: Deps) {
  async function run(): Promise<string[]> {
    const idle = await environmentsRepo.listIdle(db);
    const stopped: string[] = [];
    for (const env of idle) {
      const reason = `idle for ${env.idleMinutes} minutes (limit ${env.timeoutMinutes})`;
      const done = await audit.mutate(SYSTEM, 'environment.auto_stop', { targetType: 'environment', targetId: env.id, message: reason }, async (tx) => {
        const current = await environmentsRepo.lock(tx, env.id);
        if (current?.desiredState !== 'running') return false; // someone acted meanwhile
        await environmentsRepo.setIntent(tx, env.id, 'stopped');
        await eventsRepo.append(tx, env.id, { type: 'auto_stop', message: `stopping: ${reason}`, data: { idleMinutes: env.idleMinutes, timeoutMinutes: env.timeoutMinutes } });
        return true;
      });
      if (done) {
        log.info({ environmentId: env.id, reason }, 'auto-stopping an idle environment');
        changed(env.id);
        stopped.push(env.id);
      }
    }
    return stopped;
  }

  let timer: NodeJS.Timeout | undefined;
  return {
    run,
    start(intervalMs: number): void {
      timer = setInterval(() => void run().catch((err: unknown) => log.warn({ err }, 'idle check failed')), intervalMs);
    },
    stop(): void {
      clearInterval(timer);
    },
  };
}

export type IdleStopper = ReturnType<typeof createIdleStopper>;
