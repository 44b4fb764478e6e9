import { and, eq, ne, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { environments, quotas, users } from '../../db/schema.js';
import type { Usage } from './quotas.domain.js';

export type QuotaRow = typeof quotas.$inferSelect;

export function createQuotasRepo() {
  return {
    async get(db: Db, userId: string): Promise<QuotaRow | undefined> {
      const [row] = await db.select().from(quotas).where(eq(quotas.userId, userId));
      return row;
    },

    /** The quota row, locked until the transaction ends: the one lock every credit check takes. */
    async lock(db: Db, userId: string): Promise<QuotaRow | undefined> {
      const [row] = await db.select().from(quotas).where(eq(quotas.userId, userId)).for('update');
      return row;
    },

    async insert(db: Db, row: typeof quotas.$inferInsert): Promise<void> {
      await db.insert(quotas).values(row).onConflictDoNothing();
    },

    /** Gives every user without a quota one (users from before quotas existed). */
    async backfill(db: Db, defaults: { credits: number; aiUsesPerDay: number; allowedTypes: string[] }): Promise<void> {
      await db.execute(sql`
        insert into ${quotas} (user_id, credits, ai_uses_per_day, allowed_types)
        select ${users.id}, ${defaults.credits}, ${defaults.aiUsesPerDay}, ${sql.param(defaults.allowedTypes)}::text[]
        from ${users}
        where not exists (select 1 from ${quotas} q where q.user_id = ${users.id})`);
    },

    async update(db: Db, userId: string, patch: Partial<typeof quotas.$inferInsert>): Promise<QuotaRow | undefined> {
      const [row] = await db
        .update(quotas)
        .set({ ...patch, updatedAt: new Date() })
        .where(eq(quotas.userId, userId))
        .returning();
      return row;
    },

    async usage(db: Db, userId: string, excludeEnvironmentId?: string): Promise<Usage> {
      const [row] = await db
        .select({
          creditsInUse: sql<number>`coalesce(sum(${environments.creditsCost}) filter (where ${environments.desiredState} = 'running'), 0)::int`,
          environments: sql<number>`count(*)::int`,
        })
        .from(environments)
        .where(
          and(
            eq(environments.ownerId, userId),
            ne(environments.desiredState, 'deleted'),
            excludeEnvironmentId ? ne(environments.id, excludeEnvironmentId) : undefined,
          ),
        );
      return row!;
    },
  };
}

export type QuotasRepo = ReturnType<typeof createQuotasRepo>;
