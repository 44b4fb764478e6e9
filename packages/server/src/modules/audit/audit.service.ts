import type { AuditEntry, AuditQuery } from '@berth/contracts';
import type { Db } from '../../db/client.js';
import type { RequestContext } from '../../context.js';
import { AppError } from '../../errors.js';
import { authorize } from '../auth/authorize.js';
import type { AuditRepo, AuditRow } from './audit.repo.js';

/** What a mutation says about itself; the runner adds who, where and whether it worked. */
export interface AuditRecord {
  targetType?: string;
  targetId?: string;
  message?: string;
  metadata?: Record<string, unknown>;
  /** The acting user when it differs from the request's (a login acts as the user it signs in). */
  actor?: { id: string; username: string };
  /** The organization it happened in, when neither its target nor the actor says (see AuditRepo.insert). */
  orgId?: string;
  /** Set by a mutation's `work` when it found nothing to change: nothing happened, so no row is written. */
  unchanged?: boolean;
}

interface Deps {
  db: Db;
  auditRepo: AuditRepo;
}

export function createAuditService({ db, auditRepo }: Deps) {
  function rowFor(ctx: RequestContext, action: string, rec: AuditRecord, success: boolean) {
    const actor = rec.actor ?? ctx.actor;
    return {
      actorId: actor?.id ?? null,
      actorUsername: actor?.username ?? null,
      action,
      targetType: rec.targetType ?? null,
      targetId: rec.targetId ?? null,
      message: rec.message ?? '',
      metadata: rec.metadata ?? {},
      ip: ctx.ip,
      userAgent: ctx.userAgent,
      success,
      orgId: rec.orgId,
      actorOrgId: ctx.actor?.orgId ?? null,
    };
  }

  /** Records an event on its own (refusals, and changes that run outside `mutate`). */
  async function record(ctx: RequestContext, action: string, rec: AuditRecord, success: boolean, tx: Db = db) {
    await auditRepo.insert(tx, rowFor(ctx, action, rec, success));
  }

  /**
   * The one way to change state: `work` runs in a transaction and its audit row
   * commits with it. If `work` refuses (or fails), the change rolls back and a
   * failed audit row says why, so refusals are audited too.
   */
  async function mutate<T>(
    ctx: RequestContext,
    action: string,
    initial: AuditRecord,
    work: (tx: Db, rec: AuditRecord) => Promise<T>,
  ): Promise<T> {
    const rec: AuditRecord = { ...initial };
    try {
      return await db.transaction(async (tx) => {
        const result = await work(tx, rec);
        if (!rec.unchanged) await auditRepo.insert(tx, rowFor(ctx, action, rec, true));
        return result;
      });
    } catch (err) {
      await recordFailure(ctx, action, rec, err);
      throw err;
    }
  }

  /**
   * Runs a check that must pass before a mutation and must not hold its
   * transaction open (a call to the runtime, say); a refusal is audited like any other.
   */
  async function precheck(ctx: RequestContext, action: string, rec: AuditRecord, check: () => Promise<void>): Promise<void> {
    try {
      await check();
    } catch (err) {
      await recordFailure(ctx, action, rec, err);
      throw err;
    }
  }

  async function recordFailure(ctx: RequestContext, action: string, rec: AuditRecord, err: unknown): Promise<void> {
    const code = err instanceof AppError ? err.code : 'internal_error';
    const message = err instanceof AppError ? err.message : 'internal error';
    await record(ctx, action, { ...rec, message, metadata: { ...rec.metadata, code } }, false);
  }

  async function list(ctx: RequestContext, q: AuditQuery): Promise<AuditPage> {
    authorize(ctx.actor, 'audit.read');
    return page(q.limit, await auditRepo.list(db, { ...q, limit: q.limit + 1 }));
  }

  /** An organization's trail; the caller has authorized the reader (its owners and admins). */
  async function listInOrg(orgId: string, q: { limit: number; before?: string }): Promise<AuditPage> {
    return page(q.limit, await auditRepo.listInOrg(db, orgId, { ...q, limit: q.limit + 1 }));
  }

  return { record, mutate, precheck, list, listInOrg };
}

export type AuditService = ReturnType<typeof createAuditService>;

type AuditPage = { items: AuditEntry[]; nextCursor: string | null };

/** `rows` holds one more than asked when another page exists: so the last page is never an empty one. */
function page(limit: number, rows: AuditRow[]): AuditPage {
  const items = rows.slice(0, limit).map(toAuditEntry);
  return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
}

function toAuditEntry(r: AuditRow): AuditEntry {
  return {
    id: r.id.toString(),
    actorId: r.actorId,
    actorUsername: r.actorUsername,
    action: r.action,
    targetType: r.targetType,
    targetId: r.targetId,
    message: r.message,
    metadata: r.metadata,
    ip: r.ip,
    userAgent: r.userAgent,
    success: r.success,
    createdAt: r.createdAt.toISOString(),
  };
}
