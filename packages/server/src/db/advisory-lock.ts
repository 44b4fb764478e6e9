import { sql } from 'drizzle-orm';
import type { Db } from './client.js';

/** Locks one process holds at once: each holds a pooled connection, and the pool (10) serves every request. */
export const MAX_HELD_LOCKS = 4;

/**
 * Runs `work` holding PostgreSQL's advisory lock on `key`, for as long as `work` runs: every Berth
 * process on the database waits its turn. The lock belongs to a transaction that does nothing else
 * (it holds one pooled connection meanwhile), so it ends with it, even if the process dies. At most
 * `maxHeld` are held at once by this process (the rest queue here, in order), so many slow
 * lock-holders cannot take every connection from the rest of the server.
 */
export function withAdvisoryLock(db: Pick<Db, 'transaction'>, maxHeld = MAX_HELD_LOCKS) {
  let held = 0;
  const waiting: (() => void)[] = [];
  const slot = async () => {
    if (held >= maxHeld) await new Promise<void>((resolve) => waiting.push(resolve));
    else held++;
  };
  // A freed slot passes straight to the next in line (held stays the same), or is given back.
  const free = () => {
    const next = waiting.shift();
    if (next) next();
    else held--;
  };
  return async <T>(key: string, work: () => Promise<T>): Promise<T> => {
    await slot();
    try {
      return await db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
        return work();
      });
    } finally {
      free();
    }
  };
}
