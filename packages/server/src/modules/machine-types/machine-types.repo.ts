import { asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import { environments, machineTypes, quotas } from '../../db/schema.js';
import { ConflictError } from '../../errors.js';

export type MachineTypeRow = typeof machineTypes.$inferSelect;
export type NewMachineTypeRow = typeof machineTypes.$inferInsert;

export function createMachineTypesRepo() {
  return {
    list(db: Db, names?: string[]): Promise<MachineTypeRow[]> {
      const q = db.select().from(machineTypes);
      return (names ? q.where(inArray(machineTypes.name, names)) : q).orderBy(asc(machineTypes.creditsCost), asc(machineTypes.name));
    },

    /**
     * The type, locked against deletion (shared) or for it (exclusive) until the
     * transaction ends, so a create cannot use a type being deleted.
     */
    async lock(db: Db, name: string, mode: 'share' | 'update'): Promise<MachineTypeRow | undefined> {
      const [row] = await db.select().from(machineTypes).where(eq(machineTypes.name, name)).for(mode === 'share' ? 'share' : 'update');
      return row;
    },

    /** Takes a deleted type out of every quota, so a new type of that name is not granted by accident. */
    async removeFromQuotas(db: Db, name: string): Promise<void> {
      await db.update(quotas).set({ allowedTypes: sql`array_remove(${quotas.allowedTypes}, ${name})` }).where(sql`${name} = any(${quotas.allowedTypes})`);
    },

    async count(db: Db): Promise<number> {
      const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(machineTypes);
      return row!.n;
    },

    async insert(db: Db, row: NewMachineTypeRow): Promise<MachineTypeRow> {
      try {
        const [created] = await db.insert(machineTypes).values(row).returning();
        return created!;
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError(`A machine type named "${row.name}" exists`);
        throw err;
      }
    },

    async seed(db: Db, rows: NewMachineTypeRow[]): Promise<void> {
      await db.insert(machineTypes).values(rows).onConflictDoNothing();
    },

    async update(db: Db, name: string, patch: Partial<NewMachineTypeRow>): Promise<MachineTypeRow | undefined> {
      const [row] = await db
        .update(machineTypes)
        .set({ ...patch, updatedAt: new Date() })
        .where(eq(machineTypes.name, name))
        .returning();
      return row;
    },

    async delete(db: Db, name: string): Promise<boolean> {
      const rows = await db.delete(machineTypes).where(eq(machineTypes.name, name)).returning({ name: machineTypes.name });
      return rows.length > 0;
    },

    /** Environments of this type that still exist (deleted ones may outlive their type). */
    async countInUse(db: Db, name: string): Promise<number> {
      const [row] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(environments)
        .where(sql`${environments.machineType} = ${name} and ${environments.desiredState} <> 'deleted'`);
      return row!.n;
    },
  };
}

export type MachineTypesRepo = ReturnType<typeof createMachineTypesRepo>;
