import { route } from '../../http/route.js';
import type { App } from '../../http/types.js';
import type { NodesService } from './nodes.service.js';

export function registerNodesRoutes(app: App, { nodes }: { nodes: NodesService }): void {
  const manage = { config: { authorize: 'nodes.manage' } } as const;
  route(app, 'nodes.list', manage, (request) => nodes.list(request.ctx));
  route(app, 'nodes.update', manage, (request) => nodes.update(request.ctx, request.params.id, request.body));
}
