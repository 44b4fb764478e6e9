import { and, asc, eq, inArray, isNotNull, isNull, ne, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import { environments, warmPools } from '../../db/schema.js';
import { ConflictError } from '../../errors.js';
import type { EnvironmentRow } from '../environments/environments.repo.js';
import type { PoolCounts, PoolMember } from './pools.domain.js';

export type WarmPoolRow = typeof warmPools.$inferSelect;

/** What a claim makes of an unclaimed environment: its owner's, by its owner's choices. */
export interface ClaimPatch {
  ownerId: string;
  orgId: string;
  name: string;
  origin: 'berth' | 'e2b';
  creditsCost: number;
}

export function createPoolsRepo() {
  return {
    async list(db: Db): Promise<WarmPoolRow[]> {
      return db.select().from(warmPools).orderBy(asc(warmPools.createdAt), asc(warmPools.id));
    },

    async get(db: Db, id: string): Promise<WarmPoolRow | undefined> {
      const [row] = await db.select().from(warmPools).where(eq(warmPools.id, id));
      return row;
    },

    /** The pool, held until commit: one keeper (of any replica) changes it at a time. */
    async lock(db: Db, id: string): Promise<WarmPoolRow | undefined> {
      const [row] = await db.select().from(warmPools).where(eq(warmPools.id, id)).for('update');
      return row;
    },

    async insert(db: Db, row: typeof warmPools.$inferInsert): Promise<WarmPoolRow> {
      try {
        const [created] = await db.insert(warmPools).values(row).returning();
        return created!;
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError('There is already a pool for this machine type, template and image');
        throw err;
      }
    },

    async setSize(db: Db, id: string, size: number): Promise<WarmPoolRow | undefined> {
      const [row] = await db.update(warmPools).set({ size, updatedAt: sql`now()` }).where(eq(warmPools.id, id)).returning();
      return row;
    },

    async delete(db: Db, id: string): Promise<void> {
      await db.delete(warmPools).where(eq(warmPools.id, id));
    },

    /** A pool's unclaimed environments that are not on their way out. */
    async members(db: Db, poolId: string): Promise<PoolMember[]> {
      return db
        .select({ id: environments.id, poolVersion: environments.poolVersion, status: environments.status, createdAt: environments.createdAt })
        .from(environments)
        .where(and(eq(environments.poolId, poolId), isNull(environments.ownerId), ne(environments.desiredState, 'deleted')));
    },

    /** An unclaimed environment for a pool, due for the reconciler to build and start. */
    async insertMember(db: Db, row: Omit<typeof environments.$inferInsert, 'ownerId' | 'orgId' | 'desiredState'> & { poolId: string; poolVersion: string }): Promise<string> {
      const [created] = await db
        .insert(environments)
        .values({ ...row, ownerId: null, orgId: null, desiredState: 'running', status: 'pending', reconcileAfter: sql`now()` })
        .returning({ id: environments.id });
      return created!.id;
    },

    /**
     * Takes one ready, unclaimed environment of this version and makes it the claimant's, or
     * none. SKIP LOCKED: concurrent claims each take a different one, never wait on each other
     * and never take the same (a row another claim committed no longer matches `owner_id is null`).
     */
    async claim(db: Db, version: string, patch: ClaimPatch): Promise<EnvironmentRow | undefined> {
      const candidate = sql`(select id from ${environments}
        where owner_id is null and pool_version = ${version} and status = 'running' and desired_state = 'running'
        order by created_at limit 1 for update skip locked)`;
      try {
        const [row] = await db
          .update(environments)
          .set({
            ...patch,
            egress: 'internet',
            egressAllow: [],
            // From now on it is the claimant's: credits, idle time and E2B's startedAt count from here.
            startedAt: sql`now()`,
            lastActivityAt: sql`now()`,
            reconcileAfter: sql`now()`,
            updatedAt: sql`now()`,
          })
          .where(and(eq(environments.id, candidate), isNull(environments.ownerId)))
          .returning();
        return row as EnvironmentRow | undefined;
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError(`You already have an environment named "${patch.name}"`);
        throw err;
      }
    },

    /** Per pool: its unclaimed environments by state, and how many were claimed from it. */
    async counts(db: Db, poolIds: string[], versions: Map<string, string | null>): Promise<Map<string, PoolCounts>> {
      const counts = new Map(poolIds.map((id) => [id, { ready: 0, building: 0, failed: 0, draining: 0, claimed: 0 }]));
      if (poolIds.length === 0) return counts;
      const rows = await db
        .select({
          poolId: environments.poolId,
          version: environments.poolVersion,
          status: environments.status,
          desiredState: environments.desiredState,
          claimed: isNotNull(environments.ownerId),
          n: sql<number>`count(*)::int`,
        })
        .from(environments)
        .where(and(inArray(environments.poolId, poolIds), sql`not (${environments.ownerId} is null and ${environments.status} = 'deleted')`))
        .groupBy(environments.poolId, environments.poolVersion, environments.status, environments.desiredState, sql`${environments.ownerId} is not null`);
      for (const r of rows) {
        const c = counts.get(r.poolId!)!;
        if (r.claimed) c.claimed += r.n;
        else if (r.desiredState === 'deleted' || r.version !== versions.get(r.poolId!)) c.draining += r.n;
        else if (r.status === 'running') c.ready += r.n;
        else if (r.status === 'error') c.failed += r.n;
        else c.building += r.n;
      }
      return counts;
    },

    /** Failed, unclaimed environments of a pool (a resize replaces them). */
    async failedMembers(db: Db, poolId: string): Promise<string[]> {
      const rows = await db
        .select({ id: environments.id })
        .from(environments)
        .where(and(eq(environments.poolId, poolId), isNull(environments.ownerId), eq(environments.status, 'error'), ne(environments.desiredState, 'deleted')));
      return rows.map((r) => r.id);
    },
  };
}

export type PoolsRepo = ReturnType<typeof createPoolsRepo>;
