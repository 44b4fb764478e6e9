import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { loginAttempts } from '../../db/schema.js';

export function createLoginThrottleRepo() {
  return {
    /**
     * Counts one attempt for `key` in its window (starting a new window when the
     * old one has passed), atomically, and returns the count so far and the
     * seconds until the window ends.
     */
    async count(db: Db, key: string, windowSeconds: number): Promise<{ count: number; resetsIn: number }> {
      const window = sql`make_interval(secs => ${windowSeconds})`;
      const expired = sql`${loginAttempts.windowStartedAt} < now() - ${window}`;
      const [row] = await db
        .insert(loginAttempts)
        .values({ key, count: 1, windowStartedAt: sql`now()` })
        .onConflictDoUpdate({
          target: loginAttempts.key,
          set: {
            count: sql`case when ${expired} then 1 else ${loginAttempts.count} + 1 end`,
            windowStartedAt: sql`case when ${expired} then now() else ${loginAttempts.windowStartedAt} end`,
          },
        })
        .returning({
          count: loginAttempts.count,
          resetsIn: sql<string>`ceil(extract(epoch from ${loginAttempts.windowStartedAt} + ${window} - now()))`,
        });
      return { count: row!.count, resetsIn: Math.max(1, Number(row!.resetsIn)) };
    },

    /** Takes back an attempt that turned out to be a success. */
    async uncount(db: Db, key: string): Promise<void> {
      await db
        .update(loginAttempts)
        .set({ count: sql`greatest(${loginAttempts.count} - 1, 0)` })
        .where(sql`${loginAttempts.key} = ${key}`);
    },
  };
}

export type LoginThrottleRepo = ReturnType<typeof createLoginThrottleRepo>;
