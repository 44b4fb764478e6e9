import type { Node, NodeList, UpdateNodeBody } from '@berth/contracts';
import type { RequestContext } from '../../context.js';
import { NotFoundError } from '../../errors.js';
import type { RuntimeDriver } from '../../runtime/driver.js';
import type { AuditService } from '../audit/audit.service.js';
import { authorize } from '../auth/authorize.js';
import type { NodeUsage } from './placement.js';

interface Deps {
  runtime: Pick<RuntimeDriver, 'nodes' | 'updateNode'>;
  audit: AuditService;
  /** What environments reserve per node (placement's view of it). */
  usage: () => Promise<ReadonlyMap<string, NodeUsage>>;
}

const NO_USAGE: NodeUsage = { environments: 0, vcpus: 0, memoryMb: 0 };

/**
 * The machines environments run on, for administrators: a swarm's nodes (read from a manager, so
 * the swarm's word on who is up), or the one engine Berth drives. Draining, pausing and labels are
 * the swarm's own, so every Berth process and the swarm agree on them.
 */
export function createNodesService({ runtime, audit, usage }: Deps) {
  async function list(ctx: RequestContext): Promise<NodeList> {
    authorize(ctx.actor, 'nodes.manage');
    const [{ swarm, items }, used] = await Promise.all([runtime.nodes(), usage()]);
    return { swarm, items: items.map((n) => ({ ...n, usage: used.get(n.id) ?? NO_USAGE })) };
  }

  async function update(ctx: RequestContext, id: string, body: UpdateNodeBody): Promise<Node> {
    authorize(ctx.actor, 'nodes.manage');
    // The change is the swarm's; the audit row is written only once it took.
    return audit.mutate(ctx, 'node.update', { targetType: 'node', targetId: id, metadata: { ...body } }, async () => {
      const node = await runtime.updateNode(id, body);
      if (!node) throw new NotFoundError('Node');
      return { ...node, usage: (await usage()).get(node.id) ?? NO_USAGE };
    });
  }

  return { list, update };
}

export type NodesService = ReturnType<typeof createNodesService>;
