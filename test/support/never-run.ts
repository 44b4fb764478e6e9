import type { RequestContext } from '../../packages/server/src/context.js';
import { createE2bRepo } from '../../packages/server/src/modules/e2b/e2b.repo.js';
import type { TestServer } from './server.js';

/**
 * Environments created through the environments service and stopped before
 * they ever run: the worker is held meanwhile, so none gets a container. With
 * `sandbox`, each is an E2B sandbox as E2B's create makes it (origin e2b, with
 * its sandbox row), so it lists as paused. For tests that need many of them,
 * or some to delete, and nothing of what would run inside.
 */
/** A context acting as the user through a token of an organization they own (by default their personal one), as a service sees it. */
export async function contextOf(server: TestServer, owner: { id: string; username: string }, orgId?: string): Promise<RequestContext> {
  const user = await server.services.usersRepo.findById(server.database.db, owner.id);
  if (!user) throw new Error(`no user ${owner.id}`);
  return { actor: { ...owner, isAdmin: false, orgId: orgId ?? user.personalOrgId, orgRole: 'owner', via: 'token', credentialId: 'test', scope: 'admin' }, ip: null, userAgent: null, requestId: 'test' };
}

export async function environmentsThatNeverRan(server: TestServer, owner: { id: string; username: string }, count: number, opts: { sandbox?: boolean; orgId?: string } = {}): Promise<string[]> {
  const ctx = await contextOf(server, owner, opts.orgId);
  const e2bRepo = createE2bRepo();
  const { environments, worker } = server.services;
  await worker.stop();
  const ids: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const env = await environments.create(
        ctx,
        { type: 'small' },
        opts.sandbox
          ? { origin: 'e2b', attach: (tx, row) => e2bRepo.insert(tx, { environmentId: row.id, templateId: 'base', metadata: {}, envVars: {}, endAt: new Date(Date.now() + 300_000) }) }
          : {},
      );
      await environments.lifecycle(ctx, env.id, 'stop');
      ids.push(env.id);
    }
  } finally {
    worker.start();
  }
  return ids;
}
