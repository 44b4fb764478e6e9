import { and, desc, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { apiTokens, users } from '../../db/schema.js';
import type { UserRow } from '../users/users.repo.js';

export type TokenRow = typeof apiTokens.$inferSelect;

const usable = () =>
  and(isNull(apiTokens.revokedAt), or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, sql`now()`)));

export function createTokensRepo() {
  return {
    async insert(db: Db, row: typeof apiTokens.$inferInsert): Promise<TokenRow> {
      const [created] = await db.insert(apiTokens).values(row).returning();
      return created!;
    },

    listUsable(db: Db, userId: string): Promise<TokenRow[]> {
      return db
        .select()
        .from(apiTokens)
        .where(and(eq(apiTokens.userId, userId), usable()))
        .orderBy(desc(apiTokens.createdAt));
    },

    /** A token that is neither revoked nor expired, with its (active) owner. */
    async findUsable(db: Db, tokenHash: string): Promise<{ token: TokenRow; user: UserRow } | undefined> {
      const [row] = await db
        .select({ token: apiTokens, user: users })
        .from(apiTokens)
        .innerJoin(users, eq(users.id, apiTokens.userId))
        .where(and(eq(apiTokens.tokenHash, tokenHash), usable(), eq(users.active, true)));
      return row;
    },

    async revoke(db: Db, userId: string, id: string): Promise<TokenRow | undefined> {
      const [row] = await db
        .update(apiTokens)
        .set({ revokedAt: new Date() })
        .where(and(eq(apiTokens.id, id), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
        .returning();
      return row;
    },

    async revokeAllForUser(db: Db, userId: string): Promise<number> {
      const rows = await db
        .update(apiTokens)
        .set({ revokedAt: new Date() })
        .where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
        .returning({ id: apiTokens.id });
      return rows.length;
    },

    async touch(db: Db, id: string): Promise<void> {
      await db.update(apiTokens).set({ lastUsedAt: new Date() }).where(eq(apiTokens.id, id));
    },
  };
}

export type TokensRepo = ReturnType<typeof createTokensRepo>;
