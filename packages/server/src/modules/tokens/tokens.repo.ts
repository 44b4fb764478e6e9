import { and, desc, eq, gt, isNull, ne, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { preparedPer } from '../../db/prepared.js';
import { apiTokens, memberships, organizations, users } from '../../db/schema.js';
import type { UserRow } from '../users/users.repo.js';

export type TokenRow = typeof apiTokens.$inferSelect;
type MembershipRole = (typeof memberships.$inferSelect)['role'];

const usable = () =>
  and(isNull(apiTokens.revokedAt), or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, sql`now()`)));

/** Every authenticated API request by token runs this: prepared once per database handle. */
const findUsableQuery = preparedPer((db: Db) =>
  db
    .select({ token: apiTokens, user: users, role: memberships.role, orgStatus: organizations.status })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .innerJoin(memberships, and(eq(memberships.orgId, apiTokens.orgId), eq(memberships.userId, apiTokens.userId)))
    .innerJoin(organizations, eq(organizations.id, apiTokens.orgId))
    .where(and(eq(apiTokens.tokenHash, sql.placeholder('tokenHash')), usable(), eq(users.active, true), ne(organizations.status, 'deleted')))
    .prepare('berth_token_usable'),
);

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

    /**
     * A token that is neither revoked nor expired, with its (active) owner and
     * the owner's role, today, in the token's organization: a token of someone
     * no longer a member, or of an organization that is gone, is not usable.
     */
    async findUsable(db: Db, tokenHash: string): Promise<{ token: TokenRow; user: UserRow; role: MembershipRole; orgStatus: string } | undefined> {
      const [row] = await findUsableQuery(db).execute({ tokenHash });
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
