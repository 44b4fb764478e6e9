import { and, eq, ne, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { apps, environments, orgQuotas, quotas, users } from '../../db/schema.js';
import type { OrgUsage, Usage } from './quotas.domain.js';

export type QuotaRow = typeof quotas.$inferSelect;
export type OrgQuotaRow = typeof orgQuotas.$inferSelect;

/**
 * What a user's environments in their personal organization draw on their quota (those in other
 * organizations draw on those), and the apps of that organization with them, as columns of one
 * statement; `exclude…` leaves one environment or app out (its new size is what is asked).
 */
function usageOf(userId: string, excludeEnvironmentId?: string, excludeAppId?: string) {
  const personalOrg = sql`(select ${users.personalOrgId} from ${users} where ${users.id} = ${userId})`;
  const mine = sql`${environments.ownerId} = ${userId} and ${environments.orgId} = ${personalOrg} and ${environments.desiredState} <> 'deleted'${excludeEnvironmentId ? sql` and ${environments.id} <> ${excludeEnvironmentId}` : sql``}`;
  const appsDraw = sql`(select coalesce(sum(${apps.creditsCost} * ${apps.replicas}), 0) from ${apps} where ${apps.orgId} = ${personalOrg} and ${apps.desiredState} <> 'deleted'${excludeAppId ? sql` and ${apps.id} <> ${excludeAppId}` : sql``})`;
  return {
    creditsInUse: sql<number>`((select coalesce(sum(${environments.creditsCost}) filter (where ${environments.desiredState} = 'running'), 0) from ${environments} where ${mine}) + ${appsDraw})::int`,
    environments: sql<number>`(select count(*) from ${environments} where ${mine})::int`,
  };
}

export function createQuotasRepo() {
  /**
   * What an organization's apps draw on its credits (each replica its cost, until the app is deleted),
   * and what those a member made draw; `excludeAppId` leaves one out (its new size is what is asked).
   */
  async function appsUsage(db: Db, orgId: string, memberId?: string, excludeAppId?: string): Promise<{ credits: number; memberCredits: number }> {
    const mine = memberId ? sql`${apps.createdBy} = ${memberId}` : sql`false`;
    const [row] = await db
      .select({
        credits: sql<number>`coalesce(sum(${apps.creditsCost} * ${apps.replicas}), 0)::int`,
        memberCredits: sql<number>`coalesce(sum(${apps.creditsCost} * ${apps.replicas}) filter (where ${mine}), 0)::int`,
      })
      .from(apps)
      .where(and(eq(apps.orgId, orgId), ne(apps.desiredState, 'deleted'), excludeAppId ? ne(apps.id, excludeAppId) : undefined));
    return { credits: Number(row?.credits ?? 0), memberCredits: Number(row?.memberCredits ?? 0) };
  }

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

    appsUsage,

    /** What a user's environments in their personal organization draw on their quota (those in other organizations draw on those). */
    async usage(db: Db, userId: string, excludeEnvironmentId?: string, excludeAppId?: string): Promise<Usage> {
      const { creditsInUse, environments: count } = usageOf(userId, excludeEnvironmentId, excludeAppId);
      const [row] = await db.select({ creditsInUse, environments: count }).from(users).where(eq(users.id, userId));
      return { creditsInUse: row?.creditsInUse ?? 0, environments: row?.environments ?? 0 };
    },

    /** The quota row and the credits in use, read together (what a user's quota page shows). */
    async withUsage(db: Db, userId: string): Promise<{ row: QuotaRow; creditsInUse: number } | undefined> {
      const [found] = await db.select({ row: quotas, creditsInUse: usageOf(userId).creditsInUse }).from(quotas).where(eq(quotas.userId, userId));
      return found;
    },

    /** The quota of the user whose personal organization this is. */
    async getPersonal(db: Db, orgId: string): Promise<QuotaRow | undefined> {
      const [row] = await db.select({ quota: quotas }).from(quotas).innerJoin(users, eq(users.id, quotas.userId)).where(eq(users.personalOrgId, orgId));
      return row?.quota;
    },

    async getOrg(db: Db, orgId: string): Promise<OrgQuotaRow | undefined> {
      const [row] = await db.select().from(orgQuotas).where(eq(orgQuotas.orgId, orgId));
      return row;
    },

    /** An organization's quota row, locked until the transaction ends: every credit decision in it takes this lock. */
    async lockOrg(db: Db, orgId: string): Promise<OrgQuotaRow | undefined> {
      const [row] = await db.select().from(orgQuotas).where(eq(orgQuotas.orgId, orgId)).for('update');
      return row;
    },

    async insertOrg(db: Db, row: typeof orgQuotas.$inferInsert): Promise<void> {
      await db.insert(orgQuotas).values(row);
    },

    async updateOrg(db: Db, orgId: string, patch: Partial<typeof orgQuotas.$inferInsert>): Promise<OrgQuotaRow> {
      const [row] = await db
        .update(orgQuotas)
        .set({ ...patch, updatedAt: new Date() })
        .where(eq(orgQuotas.orgId, orgId))
        .returning();
      return row!;
    },

    /** What an organization's environments draw on its pool, and what one member's draw of it. */
    async orgUsage(db: Db, orgId: string, memberId?: string, excludeEnvironmentId?: string, excludeAppId?: string): Promise<OrgUsage> {
      const running = sql`${environments.desiredState} = 'running'`;
      const members = memberId ? sql`${environments.ownerId} = ${memberId}` : sql`false`;
      const [row] = await db
        .select({
          creditsInUse: sql<number>`coalesce(sum(${environments.creditsCost}) filter (where ${running}), 0)::int`,
          memberCreditsInUse: sql<number>`coalesce(sum(${environments.creditsCost}) filter (where ${running} and ${members}), 0)::int`,
          environments: sql<number>`count(*)::int`,
        })
        .from(environments)
        .where(and(eq(environments.orgId, orgId), ne(environments.desiredState, 'deleted'), excludeEnvironmentId ? ne(environments.id, excludeEnvironmentId) : undefined));
      // Its apps draw on the same pool, and on the cap of the member who made each.
      const appsDraw = await appsUsage(db, orgId, memberId, excludeAppId);
      return { ...row!, creditsInUse: row!.creditsInUse + appsDraw.credits, memberCreditsInUse: row!.memberCreditsInUse + appsDraw.memberCredits };
    },
  };
}

export type QuotasRepo = ReturnType<typeof createQuotasRepo>;
