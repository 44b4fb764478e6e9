import { and, asc, count, desc, eq, gte, max, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { assistantConversations, assistantMessages, assistantUsage, memberships, organizations, orgQuotas, quotas, users } from '../../db/schema.js';

export type ConversationRow = typeof assistantConversations.$inferSelect;
export type MessageRow = typeof assistantMessages.$inferSelect;
export type NewUsage = typeof assistantUsage.$inferInsert;

export interface UsageTotals {
  day: string;
  userId: string;
  username: string | null;
  requests: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: string;
}

export function createAssistantRepo() {
  return {
    async conversations(db: Db, userId: string, environmentId: string): Promise<ConversationRow[]> {
      return db
        .select()
        .from(assistantConversations)
        .where(and(eq(assistantConversations.userId, userId), eq(assistantConversations.environmentId, environmentId)))
        .orderBy(desc(assistantConversations.updatedAt), desc(assistantConversations.createdAt));
    },

    /** The conversation if it is this user's, about this environment: anyone else's does not exist for them. */
    async conversation(db: Db, id: string, userId: string, environmentId: string): Promise<ConversationRow | undefined> {
      const [row] = await db
        .select()
        .from(assistantConversations)
        .where(and(eq(assistantConversations.id, id), eq(assistantConversations.userId, userId), eq(assistantConversations.environmentId, environmentId)));
      return row;
    },

    async createConversation(db: Db, row: { userId: string; environmentId: string; title?: string }): Promise<ConversationRow> {
      const [created] = await db.insert(assistantConversations).values(row).returning();
      return created!;
    },

    async deleteConversation(db: Db, id: string): Promise<void> {
      await db.delete(assistantConversations).where(eq(assistantConversations.id, id));
    },

    async clear(db: Db, id: string): Promise<number> {
      const gone = await db.delete(assistantMessages).where(eq(assistantMessages.conversationId, id)).returning({ seq: assistantMessages.seq });
      await db.update(assistantConversations).set({ title: '', updatedAt: new Date() }).where(eq(assistantConversations.id, id));
      return gone.length;
    },

    async messages(db: Db, conversationId: string): Promise<MessageRow[]> {
      return db.select().from(assistantMessages).where(eq(assistantMessages.conversationId, conversationId)).orderBy(asc(assistantMessages.seq));
    },

    /** Appends messages after the last one, and marks the conversation as just used (a title for a first message). */
    async append(db: Db, conversationId: string, items: { role: MessageRow['role']; content: unknown }[], title?: string): Promise<void> {
      const [last] = await db.select({ seq: max(assistantMessages.seq) }).from(assistantMessages).where(eq(assistantMessages.conversationId, conversationId));
      const from = (last?.seq ?? 0) + 1;
      if (items.length > 0) await db.insert(assistantMessages).values(items.map((m, i) => ({ conversationId, seq: from + i, role: m.role, content: m.content })));
      await db
        .update(assistantConversations)
        .set({ updatedAt: new Date(), ...(title ? { title: sql`case when ${assistantConversations.title} = '' then ${title} else ${assistantConversations.title} end` } : {}) })
        .where(eq(assistantConversations.id, conversationId));
    },

    /** Serialises limit checks of one user in one organization until the transaction ends (no two turns slip under the limit). */
    async lockUser(db: Db, userId: string, orgId: string): Promise<void> {
      await db.execute(sql`select pg_advisory_xact_lock(hashtext(${`assistant:${orgId}:${userId}`}))`);
    },

    async logUsage(db: Db, row: NewUsage): Promise<string> {
      const [created] = await db.insert(assistantUsage).values(row).returning({ id: assistantUsage.id });
      return created!.id;
    },

    async setUsageTokens(db: Db, id: string, tokens: { promptTokens: number; completionTokens: number; costUsd: string }): Promise<void> {
      await db.update(assistantUsage).set(tokens).where(eq(assistantUsage.id, id));
    },

    async deleteUsage(db: Db, id: string): Promise<void> {
      await db.delete(assistantUsage).where(eq(assistantUsage.id, id));
    },

    /** Turns the user started in the organization since `since`, whatever environment (deleted ones too). */
    async usesSince(db: Db, userId: string, orgId: string, since: Date): Promise<number> {
      const [row] = await db
        .select({ n: count() })
        .from(assistantUsage)
        .where(and(eq(assistantUsage.userId, userId), eq(assistantUsage.orgId, orgId), gte(assistantUsage.createdAt, since)));
      return row?.n ?? 0;
    },

    /** What decides a user's daily limit in an organization. */
    async limits(db: Db, userId: string, orgId: string): Promise<{ personal: boolean; orgDefault: number | null; memberOverride: number | null; personalQuota: number | null } | undefined> {
      const [row] = await db
        .select({ personal: organizations.personal, orgDefault: orgQuotas.assistantUsesPerDay, memberOverride: memberships.assistantUsesPerDay, personalQuota: quotas.aiUsesPerDay })
        .from(organizations)
        .leftJoin(orgQuotas, eq(orgQuotas.orgId, organizations.id))
        .leftJoin(memberships, and(eq(memberships.orgId, organizations.id), eq(memberships.userId, userId)))
        .leftJoin(quotas, eq(quotas.userId, userId))
        .where(eq(organizations.id, orgId));
      return row;
    },

    async setMemberLimit(db: Db, orgId: string, userId: string, usesPerDay: number | null): Promise<boolean> {
      const rows = await db
        .update(memberships)
        .set({ assistantUsesPerDay: usesPerDay })
        .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)))
        .returning({ userId: memberships.userId });
      return rows.length > 0;
    },

    /** Requests, tokens and cost per UTC day and user since `since`; of one organization, or all. */
    async usage(db: Db, since: Date, orgId?: string): Promise<UsageTotals[]> {
      const day = sql<string>`to_char(${assistantUsage.createdAt} at time zone 'UTC', 'YYYY-MM-DD')`;
      return db
        .select({
          day,
          userId: assistantUsage.userId,
          username: users.username,
          requests: sql<number>`count(*)::int`,
          promptTokens: sql<number>`coalesce(sum(${assistantUsage.promptTokens}), 0)::int`,
          completionTokens: sql<number>`coalesce(sum(${assistantUsage.completionTokens}), 0)::int`,
          costUsd: sql<string>`coalesce(sum(${assistantUsage.costUsd}), 0)::text`,
        })
        .from(assistantUsage)
        .leftJoin(users, eq(users.id, assistantUsage.userId))
        .where(and(gte(assistantUsage.createdAt, since), orgId ? eq(assistantUsage.orgId, orgId) : undefined))
        .groupBy(day, assistantUsage.userId, users.username)
        .orderBy(desc(day), asc(users.username));
    },
  };
}

export type AssistantRepo = ReturnType<typeof createAssistantRepo>;
