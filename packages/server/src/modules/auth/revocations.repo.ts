import { and, eq, gt, inArray, isNull, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { apiTokens, sessions, users } from '../../db/schema.js';

export function createRevocationsRepo() {
  return {
    /**
     * Sends a notification on `channel`. Inside a transaction it is delivered when
     * (and only if) the transaction commits, to every listening session, this
     * process's own included.
     */
    async notify(db: Db, channel: string, payload: string): Promise<void> {
      await db.execute(sql`select pg_notify(${channel}, ${payload})`);
    },

    /** Of these users, sessions and tokens, the ones still good: active, unexpired, unrevoked. */
    async stillValid(db: Db, ids: { users: string[]; sessions: string[]; tokens: string[] }): Promise<Set<string>> {
      const [activeUsers, liveSessions, usableTokens] = await Promise.all([
        ids.users.length ? db.select({ id: users.id }).from(users).where(and(inArray(users.id, ids.users), eq(users.active, true))) : [],
        ids.sessions.length ? db.select({ id: sessions.id }).from(sessions).where(and(inArray(sessions.id, ids.sessions), gt(sessions.expiresAt, sql`now()`))) : [],
        ids.tokens.length
          ? db
              .select({ id: apiTokens.id })
              .from(apiTokens)
              .where(and(inArray(apiTokens.id, ids.tokens), isNull(apiTokens.revokedAt), or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, sql`now()`))))
          : [],
      ]);
      return new Set([...activeUsers, ...liveSessions, ...usableTokens].map((r) => r.id));
    },
  };
}

export type RevocationsRepo = ReturnType<typeof createRevocationsRepo>;
