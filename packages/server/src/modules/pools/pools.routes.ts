import { route } from '../../http/route.js';
import type { App } from '../../http/types.js';
import type { PoolsService } from './pools.service.js';

export function registerPoolsRoutes(app: App, { pools }: { pools: PoolsService }): void {
  const manage = { config: { authorize: 'pools.manage' } } as const;
  route(app, 'pools.list', manage, async (request) => ({ items: await pools.list(request.ctx) }));
  route(app, 'pools.create', manage, (request) => pools.create(request.ctx, request.body));
  route(app, 'pools.update', manage, (request) => pools.update(request.ctx, request.params.id, request.body));
  route(app, 'pools.delete', manage, (request) => pools.remove(request.ctx, request.params.id));
}
