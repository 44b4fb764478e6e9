import type { Quota, UpdateQuotaBody } from '@berth/contracts';
import type { RequestContext } from '../../context.js';
import type { Db } from '../../db/client.js';
import { NotFoundError } from '../../errors.js';
import type { AuditService } from '../audit/audit.service.js';
import { authorize } from '../auth/authorize.js';
import type { ConfigService } from '../config/config.service.js';
import type { EnvironmentsRepo } from '../environments/environments.repo.js';
import type { MachineTypesRepo } from '../machine-types/machine-types.repo.js';
import type { QuotaRow, QuotasRepo } from './quotas.repo.js';
import { creditsLeft, unknownTypes } from './quotas.domain.js';

interface Deps {
  db: Db;
  quotasRepo: QuotasRepo;
  machineTypesRepo: Pick<MachineTypesRepo, 'list'>;
  environmentsRepo: Pick<EnvironmentsRepo, 'stopAllForOwner'>;
  config: Pick<ConfigService, 'value'>;
  audit: AuditService;
  /** Tells the reconciler these environments changed intent. */
  wake: (environmentIds: string[]) => void;
}

export function createQuotasService(deps: Deps) {
  const { db, quotasRepo, audit } = deps;

  /**
   * What a new user gets: config defaults and every public machine type. Read
   * before opening a transaction, so the transaction holds its connection (and
   * its locks) no longer than its own writes.
   */
  async function defaults(): Promise<QuotaDefaults> {
    const [credits, aiUsesPerDay, types] = await Promise.all([
      deps.config.value('default_credits'),
      deps.config.value('default_ai_uses_per_day'),
      deps.machineTypesRepo.list(db),
    ]);
    return { credits: Number(credits), aiUsesPerDay: Number(aiUsesPerDay), allowedTypes: types.filter((t) => !t.private).map((t) => t.name) };
  }

  /** Creates the quota of a user being created, in the caller's transaction. */
  async function createFor(tx: Db, userId: string, given: QuotaDefaults): Promise<void> {
    await quotasRepo.insert(tx, { userId, ...given });
  }

  async function backfill(): Promise<void> {
    await quotasRepo.backfill(db, await defaults());
  }

  async function describe(userId: string): Promise<Quota> {
    const found = await quotasRepo.withUsage(db, userId);
    if (!found) throw new NotFoundError('Quota');
    return toQuota(found.row, found.creditsInUse);
  }

  async function get(ctx: RequestContext, userId: string): Promise<Quota> {
    authorize(ctx.actor, 'users.manage');
    return describe(userId);
  }

  async function update(ctx: RequestContext, userId: string, given: UpdateQuotaBody): Promise<Quota> {
    authorize(ctx.actor, 'users.manage');
    const allowedTypes = given.allowedTypes && [...new Set(given.allowedTypes)];
    const body = { ...given, allowedTypes };
    const refusal = allowedTypes && unknownTypes(allowedTypes, (await deps.machineTypesRepo.list(db)).map((t) => t.name));
    if (refusal) throw refusal;
    const { row, stopped } = await audit.mutate(ctx, 'quota.update', { targetType: 'user', targetId: userId, metadata: { ...body } }, async (tx, rec) => {
      if (!(await quotasRepo.lock(tx, userId))) throw new NotFoundError('Quota');
      const updated = (await quotasRepo.update(tx, userId, body))!;
      // An inactive quota runs nothing: every environment of the user is asked to stop.
      const ids = body.active === false ? await deps.environmentsRepo.stopAllForOwner(tx, userId) : [];
      rec.metadata = { ...rec.metadata, stoppedEnvironments: ids.length };
      return { row: updated, stopped: ids };
    });
    deps.wake(stopped);
    return toQuota(row, (await quotasRepo.usage(db, userId)).creditsInUse);
  }

  return { defaults, createFor, backfill, describe, get, update };
}

export type QuotasService = ReturnType<typeof createQuotasService>;
export type QuotaDefaults = { credits: number; aiUsesPerDay: number; allowedTypes: string[] };

const toQuota = (r: QuotaRow, creditsUsed: number): Quota => ({
  credits: r.credits,
  creditsUsed,
  creditsLeft: creditsLeft(r.credits, creditsUsed),
  active: r.active,
  allowedTypes: r.allowedTypes,
  maxEnvironments: r.maxEnvironments,
  aiUsesPerDay: r.aiUsesPerDay,
  idleTimeoutMinutes: r.idleTimeoutMinutes,
});
