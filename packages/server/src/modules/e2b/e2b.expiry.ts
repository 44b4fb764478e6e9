import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../../db/client.js';
import type { AuditService } from '../audit/audit.service.js';
import type { EnvironmentEventsRepo } from '../environments/environment-events.repo.js';
import type { EnvironmentsRepo } from '../environments/environments.repo.js';
import type { E2bRepo } from './e2b.repo.js';

interface Deps {
  db: Db;
  e2bRepo: Pick<E2bRepo, 'listExpired'>;
  environmentsRepo: Pick<EnvironmentsRepo, 'lock' | 'setIntent'>;
  eventsRepo: Pick<EnvironmentEventsRepo, 'append'>;
  audit: AuditService;
  changed: (environmentId: string) => void;
  log: FastifyBaseLogger;
}

const SYSTEM = { actor: null, ip: null, userAgent: null, requestId: 'e2b-timeout' };

/**
 * E2B's timeout: a running sandbox whose end time has passed is killed. The
 * kill is a delete intent like any other (audited as sandbox.timeout), so the
 * reconciler does the work and a crash in between loses nothing. Paused
 * (stopped) sandboxes wait for a connect, as on E2B.
 */
export function createE2bExpiry({ db, e2bRepo, environmentsRepo, eventsRepo, audit, changed, log }: Deps) {
  async function run(): Promise<string[]> {
    const killed: string[] = [];
    for (const sandbox of await e2bRepo.listExpired(db, new Date())) {
      const id = sandbox.env.id;
      const done = await audit.mutate(SYSTEM, 'sandbox.timeout', { targetType: 'environment', targetId: id, metadata: { endAt: sandbox.endAt.toISOString() } }, async (tx) => {
        const current = await environmentsRepo.lock(tx, id);
        if (current?.desiredState !== 'running') return false; // stopped or deleted meanwhile
        await environmentsRepo.setIntent(tx, id, 'deleted');
        await eventsRepo.append(tx, id, { type: 'timeout', message: `deleting: the sandbox's timeout passed at ${sandbox.endAt.toISOString()}`, data: { endAt: sandbox.endAt.toISOString() } });
        return true;
      });
      if (done) {
        changed(id);
        killed.push(id);
      }
    }
    return killed;
  }

  let timer: NodeJS.Timeout | undefined;
  return {
    run,
    start(intervalMs: number): void {
      timer = setInterval(() => void run().catch((err: unknown) => log.warn({ err }, 'E2B timeout check failed')), intervalMs);
    },
    stop(): void {
      clearInterval(timer);
    },
  };
}

export type E2bExpiry = ReturnType<typeof createE2bExpiry>;
