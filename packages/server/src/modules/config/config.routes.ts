import { route } from '../../http/route.js';
import type { App } from '../../http/types.js';
import type { ConfigService } from './config.service.js';

export function registerConfigRoutes(app: App, { config }: { config: ConfigService }): void {
  const manage = { config: { authorize: 'config.manage' } } as const;
  route(app, 'config.list', manage, async (request) => ({ items: await config.list(request.ctx) }));
  route(app, 'config.set', manage, (request) => config.update(request.ctx, request.params.name, request.body));
}
