import { and, desc, eq, lt, sql, type SQL } from 'drizzle-orm';
import { isUuid, type AuditQuery } from '@berth/contracts';
import type { Db } from '../../db/client.js';
import { auditLog, environments } from '../../db/schema.js';

export type AuditRow = typeof auditLog.$inferSelect;
export type NewAuditRow = typeof auditLog.$inferInsert;

export function createAuditRepo() {
  return {
    /**
     * Writes the row. Unless it names its organization, a row about an
     * environment belongs to the environment's, one about an organization to
     * that one, and anything else to the organization the actor acts in.
     */
    async insert(db: Db, row: NewAuditRow & { actorOrgId?: string | null }): Promise<void> {
      const { actorOrgId, ...values } = row;
      await db.insert(auditLog).values({ ...values, orgId: values.orgId ?? orgOf(values, actorOrgId ?? null) });
    },

    /** An organization's trail, newest first: what its owners and admins may read. */
    async listInOrg(db: Db, orgId: string, q: { limit: number; before?: string }): Promise<AuditRow[]> {
      return db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.orgId, orgId), q.before ? lt(auditLog.id, BigInt(q.before)) : undefined))
        .orderBy(desc(auditLog.id))
        .limit(q.limit);
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

function orgOf(row: NewAuditRow, actorOrgId: string | null): SQL | string | null {
  const target = row.targetId && isUuid(row.targetId) ? row.targetId : null;
  if (target && row.targetType === 'environment') {
    return sql`coalesce((select ${environments.orgId} from ${environments} where ${environments.id} = ${target}), ${actorOrgId}::uuid)`;
  }
  if (target && row.targetType === 'organization') return target;
  return actorOrgId;
}

export type AuditRepo = ReturnType<typeof createAuditRepo>;
