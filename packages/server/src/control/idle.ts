import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/client.js';
import type { EnvironmentsRepo } from '../modules/environments/environments.repo.js';
import { periodic, type RecordSystemIntent } from './system-intent.js';

interface Deps {
  db: Db;
  environmentsRepo: Pick<EnvironmentsRepo, 'listIdle'>;
  recordIntent: RecordSystemIntent;
  log: FastifyBaseLogger;
}

/**
 * Stops environments nobody used for longer than their owner's idle timeout.
 * Activity is terminal input, exec, file writes and previews. The stop is an
 * intent like any other (audited as environment.auto_stop), so the reconciler
 * does the work and a crash in between loses nothing.
 */
export function createIdleStopper({ db, environmentsRepo, recordIntent, log }: Deps) {
  async function run(): Promise<string[]> {
    const stopped: string[] = [];
    for (const env of await environmentsRepo.listIdle(db)) {
      const reason = `idle for ${env.idleMinutes} minutes (limit ${env.timeoutMinutes})`;
      const done = await recordIntent(env.id, {
        action: 'environment.auto_stop',
        source: 'idle-auto-stop',
        desiredState: 'stopped',
        reason,
        event: { type: 'auto_stop', message: `stopping: ${reason}`, data: { idleMinutes: env.idleMinutes, timeoutMinutes: env.timeoutMinutes } },
      });
      if (done) {
        log.info({ environmentId: env.id, reason }, 'auto-stopping an idle environment');
        stopped.push(env.id);
      }
    }
    return stopped;
  }

  return { run, ...periodic('idle check', run, log) };
}

export type IdleStopper = ReturnType<typeof createIdleStopper>;
