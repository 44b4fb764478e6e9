import { sql } from 'drizzle-orm';
import type { Db } from './client.js';

/**
 * Runs `work` holding PostgreSQL's advisory lock on `key`, for as long as `work` runs: every Berth
 * process on the database waits its turn. The lock belongs to a transaction that does nothing else
 * (it holds one pooled connection meanwhile), so it ends with it, even if the process dies.
 */
export function withAdvisoryLock(db: Db) {
  return <T>(key: string, work: () => Promise<T>): Promise<T> =>
    db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
      return work();
    });
}
