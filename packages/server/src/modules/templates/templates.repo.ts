import { and, asc, eq, or, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import { templates, users } from '../../db/schema.js';
import { ConflictError } from '../../errors.js';

export type TemplateRow = typeof templates.$inferSelect;
export type TemplateWithOwner = TemplateRow & { ownerUsername: string | null };

export function createTemplatesRepo() {
  const select = (db: Db, where: SQL | undefined) =>
    db
      .select({ t: templates, ownerUsername: users.username })
      .from(templates)
      .leftJoin(users, eq(users.id, templates.ownerId))
      .where(where)
      .orderBy(asc(templates.name), asc(templates.id));
  const flat = (r: { t: TemplateRow; ownerUsername: string | null }): TemplateWithOwner => ({ ...r.t, ownerUsername: r.ownerUsername });

  return {
    /** Public templates and the viewer's own (admins: all). */
    /** The public templates and the viewer's own; with `all`, every one. */
    async listVisible(db: Db, viewerId: string, all: boolean): Promise<TemplateWithOwner[]> {
      return (await select(db, all ? undefined : or(eq(templates.public, true), eq(templates.ownerId, viewerId)))).map(flat);
    },

    async getBySlug(db: Db, slug: string): Promise<TemplateWithOwner | undefined> {
      const [row] = await select(db, eq(templates.slug, slug));
      return row && flat(row);
    },

    async get(db: Db, id: string): Promise<TemplateWithOwner | undefined> {
      const [row] = await select(db, eq(templates.id, id));
      return row && flat(row);
    },

    async insert(db: Db, row: typeof templates.$inferInsert): Promise<TemplateRow> {
      try {
        const [created] = await db.insert(templates).values(row).returning();
        return created!;
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError(`A template with slug "${row.slug}" exists`);
        throw err;
      }
    },

    /** Inserts templates whose slug is not taken; never touches existing ones. */
    async seed(db: Db, rows: (typeof templates.$inferInsert)[]): Promise<void> {
      await db.insert(templates).values(rows).onConflictDoNothing();
    },

    async update(db: Db, id: string, patch: Partial<typeof templates.$inferInsert>): Promise<void> {
      await db
        .update(templates)
        .set({ ...patch, updatedAt: new Date() })
        .where(and(eq(templates.id, id)));
    },

    async delete(db: Db, id: string): Promise<void> {
      await db.delete(templates).where(eq(templates.id, id));
    },
  };
}

export type TemplatesRepo = ReturnType<typeof createTemplatesRepo>;
