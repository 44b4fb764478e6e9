import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { auditLog } from '../../db/schema.js';

export const LOGIN_FAILED_ACTION = 'user.login_failed';

/**
 * Failed logins are already audit rows, so the throttle reads them there: the
 * count is shared by every Berth process and survives a restart, with no
 * second store to keep in step.
 */
export function createLoginThrottleRepo() {
  /**
   * Seconds until the caller may try again, or 0. With `max` failures inside the
   * window, one more is allowed once the max-th newest of them leaves it.
   */
  async function retryAfter(db: Db, key: 'username' | 'ip', value: string, max: number, windowSeconds: number): Promise<number> {
    const match = key === 'ip' ? sql`${auditLog.ip} = ${value}` : sql`${auditLog.metadata}->>'username' = ${value}`;
    const result = (await db.execute(sql`
      select ceil(extract(epoch from (${auditLog.createdAt} + make_interval(secs => ${windowSeconds}) - now()))) as wait
      from ${auditLog}
      where ${auditLog.action} = ${LOGIN_FAILED_ACTION}
        and ${auditLog.createdAt} > now() - make_interval(secs => ${windowSeconds})
        and ${match}
      order by ${auditLog.createdAt} desc
      limit 1 offset ${max - 1}`)) as unknown as { rows: { wait: number | string }[] };
    const row = result.rows[0];
    return row ? Math.max(1, Number(row.wait)) : 0;
  }

  return { retryAfter };
}

export type LoginThrottleRepo = ReturnType<typeof createLoginThrottleRepo>;
