import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import type { AuditQuery } from '@berth/contracts';
import type { Db } from '../../db/client.js';
import { auditLog } from '../../db/schema.js';

export type AuditRow = typeof auditLog.$inferSelect;
export type NewAuditRow = typeof auditLog.$inferInsert;

export function createAuditRepo() {
  return {
    async insert(db: Db, row: NewAuditRow): Promise<void> {
      await db.insert(auditLog).values(row);
    },

    /** Newest first; `before` is the id of the last entry of the previous page. */
    async list(db: Db, q: AuditQuery): Promise<AuditRow[]> {
      const where: SQL[] = [];
      if (q.actor) where.push(eq(auditLog.actorId, q.actor));
      if (q.action) where.push(eq(auditLog.action, q.action));
      if (q.targetType) where.push(eq(auditLog.targetType, q.targetType));
      if (q.targetId) where.push(eq(auditLog.targetId, q.targetId));
      if (q.before) where.push(lt(auditLog.id, BigInt(q.before)));
      return db
        .select()
        .from(auditLog)
        .where(and(...where))
        .orderBy(desc(auditLog.id))
        .limit(q.limit);
    },
  };
}

export type AuditRepo = ReturnType<typeof createAuditRepo>;
