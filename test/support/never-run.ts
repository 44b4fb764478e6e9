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
export async function environmentsThatNeverRan(server: TestServer, owner: { id: string; username: string }, count: number, opts: { sandbox?: boolean } = {}): Promise<string[]> {
  const ctx: RequestContext = { actor: { ...owner, isAdmin: false, via: 'token', credentialId: 'test' }, ip: null, userAgent: null, requestId: 'test' };
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
