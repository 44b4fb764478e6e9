import type { AuditEntry, OrgCeilingBody, OrgQuota, UpdateOrgQuotaBody } from '@berth/contracts';
import type { RequestContext } from '../../context.js';
import type { Db } from '../../db/client.js';
import { ForbiddenError, NotFoundError } from '../../errors.js';
import type { AuditService } from '../audit/audit.service.js';
import { authorize } from '../auth/authorize.js';
import type { ConfigService } from '../config/config.service.js';
import type { MachineTypesRepo } from '../machine-types/machine-types.repo.js';
import { aboveCeiling, creditsLeft, unknownTypes } from '../quotas/quotas.domain.js';
import type { OrgQuotaRow, QuotasRepo } from '../quotas/quotas.repo.js';
import type { OrgsService } from './orgs.service.js';

interface Deps {
  db: Db;
  quotasRepo: Pick<QuotasRepo, 'getOrg' | 'lockOrg' | 'insertOrg' | 'updateOrg' | 'orgUsage' | 'getPersonal' | 'usage'>;
  machineTypesRepo: Pick<MachineTypesRepo, 'list'>;
  config: Pick<ConfigService, 'value'>;
  audit: Pick<AuditService, 'mutate' | 'listInOrg'>;
  orgs: Pick<OrgsService, 'standing'>;
}

export type NewOrgQuota = { credits: number; maxEnvironments: number; allowedTypes: string[]; assistantUsesPerDay: number };

/** The quota a new organization gets: the org_default_* flags and every public machine type, as its ceiling too. */
export function createNewOrgQuotas(deps: Pick<Deps, 'db' | 'machineTypesRepo' | 'config'> & { quotasRepo: Pick<QuotasRepo, 'insertOrg'> }) {
  /** What a new organization gets, read before its transaction opens (which then holds its connection no longer than its writes). */
  async function defaults(): Promise<NewOrgQuota> {
    const [credits, maxEnvironments, aiUses, types] = await Promise.all([
      deps.config.value('org_default_credits'),
      deps.config.value('org_default_max_environments'),
      deps.config.value('default_ai_uses_per_day'),
      deps.machineTypesRepo.list(deps.db),
    ]);
    return {
      credits: Number(credits),
      maxEnvironments: Number(maxEnvironments),
      allowedTypes: types.filter((t) => !t.private).map((t) => t.name),
      assistantUsesPerDay: Number(aiUses),
    };
  }

  /** Gives a new organization its quota, in the transaction that makes it. */
  async function createFor(tx: Db, orgId: string, given: NewOrgQuota): Promise<void> {
    await deps.quotasRepo.insertOrg(tx, {
      orgId,
      ...given,
      ceilingCredits: given.credits,
      ceilingMaxEnvironments: given.maxEnvironments,
      ceilingAllowedTypes: given.allowedTypes,
    });
  }

  return { defaults, createFor };
}

export type NewOrgQuotas = ReturnType<typeof createNewOrgQuotas>;

/**
 * An organization's quota and its audit trail. The instance admin sets the
 * ceiling; the organization's owners and admins choose within it: the pool,
 * each member's cap, the machine types, how many environments, the idle
 * timeout. A personal organization's quota is its user's (set by the admin on the user).
 */
export function createOrgQuotaService(deps: Deps) {
  const { db, quotasRepo, audit } = deps;

  async function get(ctx: RequestContext, slug: string): Promise<OrgQuota> {
    const { org } = await deps.orgs.standing(ctx.actor, slug, 'org.read');
    if (org.personal) return personalQuota(org.id);
    const row = await quotasRepo.getOrg(db, org.id);
    if (!row) throw new NotFoundError('Quota');
    return toOrgQuota({ ...row, ceiling: ceilingOf(row) }, await quotasRepo.orgUsage(db, org.id));
  }

  async function update(ctx: RequestContext, slug: string, body: UpdateOrgQuotaBody): Promise<OrgQuota> {
    const { org } = await deps.orgs.standing(ctx.actor, slug, 'org.manage');
    await checkTypesExist(body.allowedTypes);
    const allowedTypes = body.allowedTypes && [...new Set(body.allowedTypes)];
    await audit.mutate(ctx, 'org.quota.update', { targetType: 'organization', targetId: org.id, metadata: { org: org.slug, ...body } }, async (tx) => {
      if (org.personal) throw new ForbiddenError("A personal organization's quota is its user's; an administrator changes it");
      const row = await quotasRepo.lockOrg(tx, org.id);
      if (!row) throw new NotFoundError('Quota');
      const next = { ...row, ...body, ...(allowedTypes ? { allowedTypes } : {}) };
      const refusal = aboveCeiling(next, ceilingOf(row));
      if (refusal) throw refusal;
      await quotasRepo.updateOrg(tx, org.id, { ...body, ...(allowedTypes ? { allowedTypes } : {}) });
    });
    return get(ctx, slug);
  }

  /**
   * Sets the ceiling (instance admins). A lower ceiling lowers the
   * organization's own choices with it; running environments keep running, and
   * what no longer fits cannot start again.
   */
  async function setCeiling(ctx: RequestContext, slug: string, body: OrgCeilingBody): Promise<OrgQuota> {
    authorize(ctx.actor, 'orgs.ceiling');
    const { org } = await deps.orgs.standing(ctx.actor, slug, 'org.read');
    await checkTypesExist(body.allowedTypes);
    await audit.mutate(ctx, 'org.ceiling.update', { targetType: 'organization', targetId: org.id, metadata: { org: org.slug, ...body } }, async (tx) => {
      if (org.personal) throw new ForbiddenError("A personal organization's quota is its user's: change the user's quota");
      const row = await quotasRepo.lockOrg(tx, org.id);
      if (!row) throw new NotFoundError('Quota');
      const ceiling = {
        credits: body.credits ?? row.ceilingCredits,
        maxEnvironments: body.maxEnvironments ?? row.ceilingMaxEnvironments,
        allowedTypes: body.allowedTypes ? [...new Set(body.allowedTypes)] : row.ceilingAllowedTypes,
      };
      // A raised ceiling leaves the organization's choice alone: its owners raise it within.
      await quotasRepo.updateOrg(tx, org.id, {
        ceilingCredits: ceiling.credits,
        ceilingMaxEnvironments: ceiling.maxEnvironments,
        ceilingAllowedTypes: ceiling.allowedTypes,
        credits: Math.min(row.credits, ceiling.credits),
        maxEnvironments: Math.min(row.maxEnvironments, ceiling.maxEnvironments),
        allowedTypes: row.allowedTypes.filter((t) => ceiling.allowedTypes.includes(t)),
        memberCreditCap: row.memberCreditCap === null ? null : Math.min(row.memberCreditCap, ceiling.credits),
      });
    });
    return get(ctx, slug);
  }

  /** The organization's audit trail, newest first: its owners and admins (and instance admins). */
  async function trail(ctx: RequestContext, slug: string, q: { limit: number; before?: string }): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
    const { org } = await deps.orgs.standing(ctx.actor, slug, 'org.manage');
    return audit.listInOrg(org.id, q);
  }

  async function personalQuota(orgId: string): Promise<OrgQuota> {
    const row = await quotasRepo.getPersonal(db, orgId);
    if (!row) throw new NotFoundError('Quota');
    // Its user's quota is its own ceiling: nobody chooses within it.
    const limits = { credits: row.credits, maxEnvironments: row.maxEnvironments, allowedTypes: row.allowedTypes };
    return toOrgQuota(
      { ...limits, memberCreditCap: null, idleTimeoutMinutes: row.idleTimeoutMinutes, assistantUsesPerDay: row.aiUsesPerDay, ceiling: limits },
      await quotasRepo.usage(db, row.userId),
    );
  }

  async function checkTypesExist(names: string[] | undefined): Promise<void> {
    const refusal = names && unknownTypes(names, (await deps.machineTypesRepo.list(db)).map((t) => t.name));
    if (refusal) throw refusal;
  }

  return { get, update, setCeiling, trail };
}

export type OrgQuotaService = ReturnType<typeof createOrgQuotaService>;

const ceilingOf = (r: OrgQuotaRow) => ({ credits: r.ceilingCredits, maxEnvironments: r.ceilingMaxEnvironments, allowedTypes: r.ceilingAllowedTypes });

type Limits = Pick<OrgQuota, 'credits' | 'memberCreditCap' | 'allowedTypes' | 'maxEnvironments' | 'idleTimeoutMinutes' | 'assistantUsesPerDay' | 'ceiling'>;

function toOrgQuota(q: Limits, usage: { creditsInUse: number; environments: number }): OrgQuota {
  return {
    credits: q.credits,
    creditsUsed: usage.creditsInUse,
    creditsLeft: creditsLeft(q.credits, usage.creditsInUse),
    memberCreditCap: q.memberCreditCap,
    allowedTypes: q.allowedTypes,
    maxEnvironments: q.maxEnvironments,
    environments: usage.environments,
    idleTimeoutMinutes: q.idleTimeoutMinutes,
    assistantUsesPerDay: q.assistantUsesPerDay,
    ceiling: q.ceiling,
  };
}
