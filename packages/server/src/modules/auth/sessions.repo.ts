import { and, eq, gt, lt, ne, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { preparedPer } from '../../db/prepared.js';
import { sessions, users } from '../../db/schema.js';
import type { UserRow } from '../users/users.repo.js';

/** Every request signed in with a session cookie runs this: prepared once per database handle. */
const findLiveQuery = preparedPer((db: Db) =>
  db
    .select({ sessionId: sessions.id, user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.tokenHash, sql.placeholder('tokenHash')), gt(sessions.expiresAt, sql`now()`), eq(users.active, true)))
    .prepare('berth_session_live'),
);

export function createSessionsRepo() {
  return {
    async insert(db: Db, row: typeof sessions.$inferInsert): Promise<void> {
      await db.insert(sessions).values(row);
    },

    /** The live session for a secret's hash, with its (active) user. */
    async findLive(db: Db, tokenHash: string): Promise<{ sessionId: string; user: UserRow } | undefined> {
      const [row] = await findLiveQuery(db).execute({ tokenHash });
      return row;
    },

    async delete(db: Db, id: string): Promise<void> {
      await db.delete(sessions).where(eq(sessions.id, id));
    },

    /** Ends the user's sessions, but `except` (the one asking, when it keeps its own). */
    async deleteForUser(db: Db, userId: string, except?: string): Promise<number> {
      const gone = await db
        .delete(sessions)
        .where(and(eq(sessions.userId, userId), except ? ne(sessions.id, except) : undefined))
        .returning({ id: sessions.id });
      return gone.length;
    },

    async deleteExpiredForUser(db: Db, userId: string): Promise<void> {
      await db.delete(sessions).where(and(eq(sessions.userId, userId), lt(sessions.expiresAt, sql`now()`)));
    },
  };
}

export type SessionsRepo = ReturnType<typeof createSessionsRepo>;
