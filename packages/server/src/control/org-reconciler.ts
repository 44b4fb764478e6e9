import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/client.js';
import type { AuditService } from '../modules/audit/audit.service.js';
import type { OrgsRepo } from '../modules/orgs/orgs.repo.js';
import { periodic } from './system-intent.js';

const SYSTEM = { actor: null, ip: null, userAgent: null, requestId: 'org-reconciler' };

/** Organizations looked at per pass at most. */
const BATCH = 20;
/** How soon a deleting organization whose environments are still going is looked at again. */
const RECHECK_MS = 1000;

interface Deps {
  db: Db;
  orgsRepo: Pick<OrgsRepo, 'due' | 'claim' | 'update' | 'liveEnvironments' | 'dissolve'>;
  /** How many of an organization's apps are not gone yet (the apps reconciler removes them). */
  appsLeft: (db: Db, orgId: string) => Promise<number>;
  audit: Pick<AuditService, 'record'>;
  log: FastifyBaseLogger;
}

/**
 * Converges organizations on their desired state, as the environment
 * reconciler does environments: level-triggered, from what the rows say, so a
 * pass lost to a crash is simply done by the next one (in any process: a row
 * is held with SKIP LOCKED while it is looked at).
 *
 * - provisioning, desired active: ready it (nothing of its own to make yet: its
 *   environments get their networks as they start), mark it active and say so
 *   in its audit trail.
 * - desired deleted: its environments and apps were told to go when the deletion
 *   was asked for; once every one is gone (removed by the environment and apps
 *   reconcilers), its members, teams, invitations and tokens go and
 *   it is marked deleted (the row stays, for the audit trail; its name is free).
 */
export function createOrgReconciler({ db, orgsRepo, appsLeft, audit, log }: Deps) {
  async function reconcile(id: string): Promise<void> {
    await db.transaction(async (tx) => {
      const org = await orgsRepo.claim(tx, id);
      if (!org) return;
      if (org.desiredState === 'deleted') {
        if ((await orgsRepo.liveEnvironments(tx, org.id)).length > 0 || (await appsLeft(tx, org.id)) > 0) {
          await orgsRepo.update(tx, org.id, { reconcileAfter: new Date(Date.now() + RECHECK_MS) });
          return;
        }
        await orgsRepo.dissolve(tx, org.id);
        await orgsRepo.update(tx, org.id, { status: 'deleted', reconcileAfter: null });
        await audit.record(SYSTEM, 'org.deleted', { targetType: 'organization', targetId: org.id, message: 'everything of the organization is gone', metadata: { org: org.slug } }, true, tx);
        return;
      }
      await orgsRepo.update(tx, org.id, { reconcileAfter: null, ...(org.status === 'provisioning' ? { status: 'active' } : {}) });
      if (org.status === 'provisioning') {
        await audit.record(SYSTEM, 'org.provisioned', { targetType: 'organization', targetId: org.id, message: 'the organization is ready', metadata: { org: org.slug } }, true, tx);
      }
    });
  }

  async function run(): Promise<void> {
    for (const id of await orgsRepo.due(db, BATCH)) {
      await reconcile(id).catch((err: unknown) => log.warn({ err, orgId: id }, 'organization reconcile failed'));
    }
  }

  const timer = periodic('organization reconcile', run, log);
  return {
    run,
    ...timer,
    /** Looks at once (after a change), besides the periodic pass. */
    wake: () => void run().catch((err: unknown) => log.warn({ err }, 'organization reconcile failed')),
  };
}

export type OrgReconciler = ReturnType<typeof createOrgReconciler>;
