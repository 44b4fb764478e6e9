import type { Node, NodeList, UpdateNodeBody } from '@berth/contracts';
import type { RequestContext } from '../../context.js';
import { NotFoundError } from '../../errors.js';
import type { RuntimeDriver } from '../../runtime/driver.js';
import type { AuditService } from '../audit/audit.service.js';
import { authorize } from '../auth/authorize.js';

interface Deps {
  runtime: Pick<RuntimeDriver, 'nodes' | 'updateNode'>;
  audit: AuditService;
}

/**
 * The machines environments run on, for administrators: a swarm's nodes (read from a manager, so
 * the swarm's word on who is up), or the one engine Berth drives. Draining, pausing and labels are
 * the swarm's own, so every Berth process and the swarm agree on them.
 */
export function createNodesService({ runtime, audit }: Deps) {
  async function list(ctx: RequestContext): Promise<NodeList> {
    authorize(ctx.actor, 'nodes.manage');
    return runtime.nodes();
  }

  async function update(ctx: RequestContext, id: string, body: UpdateNodeBody): Promise<Node> {
    authorize(ctx.actor, 'nodes.manage');
    // The change is the swarm's; the audit row is written only once it took.
    return audit.mutate(ctx, 'node.update', { targetType: 'node', targetId: id, metadata: { ...body } }, async () => {
      const node = await runtime.updateNode(id, body);
      if (!node) throw new NotFoundError('Node');
      return node;
    });
  }

  return { list, update };
}

export type NodesService = ReturnType<typeof createNodesService>;
