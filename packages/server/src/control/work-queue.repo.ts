import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { environments } from '../db/schema.js';

export interface Claim {
  id: string;
  /** Database time of the claim: intents recorded after it must not be lost on release. */
  claimedAt: Date;
}

type Rows<T> = { rows: T[] };

/**
 * The environments table is the reconcile queue: a row is due when
 * reconcile_after has passed, and a worker holds it alone while its lease
 * lasts. SKIP LOCKED lets any number of workers claim without waiting on each other.
 */
export function createWorkQueueRepo() {
  return {
    async claimDue(db: Db, workerId: string, limit: number, leaseSeconds: number): Promise<Claim[]> {
      const result = (await db.execute(sql`
        update ${environments} set lease_owner = ${workerId}, lease_until = now() + make_interval(secs => ${leaseSeconds})
        where id in (
          select id from ${environments}
          where reconcile_after <= now() and (lease_until is null or lease_until < now())
          order by reconcile_after
          limit ${limit}
          for update skip locked)
        returning id, now() as claimed_at`)) as unknown as Rows<{ id: string; claimed_at: string | Date }>;
      return result.rows.map((r) => ({ id: r.id, claimedAt: new Date(r.claimed_at) }));
    },

    async renew(db: Db, workerId: string, ids: string[], leaseSeconds: number): Promise<void> {
      if (ids.length === 0) return;
      await db.execute(sql`
        update ${environments} set lease_until = now() + make_interval(secs => ${leaseSeconds})
        where lease_owner = ${workerId} and id in (${sql.join(
          ids.map((id) => sql`${id}::uuid`),
          sql`, `,
        )})`);
    },

    /**
     * Gives the row back. `nextInMs` null means nothing left to do; an intent
     * recorded while we worked (reconcile_after moved past the claim) is kept.
     */
    async release(db: Db, workerId: string, claim: Claim, nextInMs: number | null): Promise<void> {
      const next = nextInMs === null ? sql`null` : sql`now() + make_interval(secs => ${nextInMs / 1000})`;
      await db.execute(sql`
        update ${environments}
        set lease_owner = null, lease_until = null,
            reconcile_after = case when reconcile_after > ${claim.claimedAt.toISOString()}::timestamptz then reconcile_after else ${next} end
        where id = ${claim.id} and lease_owner = ${workerId}`);
    },

    /** When the next row falls due, so an idle worker sleeps exactly that long. */
    async nextDueInMs(db: Db): Promise<number | null> {
      const result = (await db.execute(sql`
        select extract(epoch from (min(greatest(reconcile_after, coalesce(lease_until, reconcile_after))) - now())) * 1000 as ms
        from ${environments} where reconcile_after is not null`)) as unknown as Rows<{ ms: string | number | null }>;
      const ms = result.rows[0]?.ms;
      return ms === null || ms === undefined ? null : Math.max(0, Number(ms));
    },
  };
}

export type WorkQueueRepo = ReturnType<typeof createWorkQueueRepo>;
