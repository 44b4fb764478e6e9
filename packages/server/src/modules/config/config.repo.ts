import { asc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { configFlags } from '../../db/schema.js';

export type ConfigRow = typeof configFlags.$inferSelect;

export function createConfigRepo() {
  return {
    list(db: Db): Promise<ConfigRow[]> {
      return db.select().from(configFlags).orderBy(asc(configFlags.name));
    },

    async get(db: Db, name: string): Promise<ConfigRow | undefined> {
      const [row] = await db.select().from(configFlags).where(eq(configFlags.name, name));
      return row;
    },

    /** Adds flags that do not exist yet; never overwrites what an admin set. */
    async seed(db: Db, rows: (typeof configFlags.$inferInsert)[]): Promise<void> {
      if (rows.length > 0) await db.insert(configFlags).values(rows).onConflictDoNothing();
    },

    async update(db: Db, name: string, patch: { value: string; description?: string }): Promise<ConfigRow | undefined> {
      const [row] = await db
        .update(configFlags)
        .set({ ...patch, updatedAt: new Date() })
        .where(eq(configFlags.name, name))
        .returning();
      return row;
    },
  };
}

export type ConfigRepo = ReturnType<typeof createConfigRepo>;
