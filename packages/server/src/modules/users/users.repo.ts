import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import { users } from '../../db/schema.js';
import { ConflictError } from '../../errors.js';

export type UserRow = typeof users.$inferSelect;
export type NewUserRow = typeof users.$inferInsert;

export function createUsersRepo() {
  return {
    async insert(db: Db, row: NewUserRow): Promise<UserRow> {
      try {
        const [created] = await db.insert(users).values(row).returning();
        return created!;
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError(`The username "${row.username}" is taken`);
        throw err;
      }
    },

    async findById(db: Db, id: string): Promise<UserRow | undefined> {
      const [row] = await db.select().from(users).where(eq(users.id, id));
      return row;
    },

    async findByUsername(db: Db, username: string): Promise<UserRow | undefined> {
      const [row] = await db
        .select()
        .from(users)
        .where(sql`lower(${users.username}) = lower(${username})`);
      return row;
    },

    list(db: Db): Promise<UserRow[]> {
      return db.select().from(users).orderBy(asc(users.createdAt), asc(users.id));
    },

    async count(db: Db): Promise<number> {
      const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(users);
      return row!.n;
    },

    /**
     * Counts active admins, locking their rows until the transaction ends, so two
     * admins stepping down at once cannot both see the other still there.
     */
    async countActiveAdminsForUpdate(db: Db): Promise<number> {
      const rows = await db
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.isAdmin, true), eq(users.active, true)))
        .for('update');
      return rows.length;
    },

    async update(db: Db, id: string, patch: Partial<NewUserRow>): Promise<UserRow | undefined> {
      const [row] = await db
        .update(users)
        .set({ ...patch, updatedAt: new Date() })
        .where(eq(users.id, id))
        .returning();
      return row;
    },
  };
}

export type UsersRepo = ReturnType<typeof createUsersRepo>;
