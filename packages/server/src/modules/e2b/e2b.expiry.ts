import type { FastifyBaseLogger } from 'fastify';
import { periodic, type RecordSystemIntent } from '../../control/system-intent.js';
import type { Db } from '../../db/client.js';
import type { E2bRepo } from './e2b.repo.js';

/** Sandboxes killed per pass at most; the next pass (a second later) takes the rest. */
const BATCH = 100;

interface Deps {
  db: Db;
  e2bRepo: Pick<E2bRepo, 'listExpired'>;
  recordIntent: RecordSystemIntent;
  log: FastifyBaseLogger;
}

/**
 * E2B's timeout: a running sandbox whose end time has passed is killed. The
 * kill is a delete intent like any other (audited as sandbox.timeout), so the
 * reconciler does the work and a crash in between loses nothing. Paused
 * (stopped) sandboxes are not listed: they wait for a connect, as on E2B,
 * which resumes them with a new end time.
 */
export function createE2bExpiry({ db, e2bRepo, recordIntent, log }: Deps) {
  async function run(): Promise<string[]> {
    const killed: string[] = [];
    for (const sandbox of await e2bRepo.listExpired(db, new Date(), BATCH)) {
      const endAt = sandbox.endAt.toISOString();
      const done = await recordIntent(sandbox.env.id, {
        action: 'sandbox.timeout',
        source: 'e2b-timeout',
        desiredState: 'deleted',
        reason: `the sandbox's timeout passed at ${endAt}`,
        metadata: { endAt },
        event: { type: 'timeout', message: `deleting: the sandbox's timeout passed at ${endAt}`, data: { endAt } },
      });
      if (done) killed.push(sandbox.env.id);
    }
    return killed;
  }

  return { run, ...periodic('E2B timeout check', run, log) };
}

export type E2bExpiry = ReturnType<typeof createE2bExpiry>;
