import { route } from '../../http/route.js';
import type { App } from '../../http/types.js';
import type { UsersService } from './users.service.js';

export function registerUsersRoutes(app: App, { users }: { users: UsersService }): void {
  const manage = { config: { authorize: 'users.manage' } } as const;
  route(app, 'me.get', {}, (request) => users.me(request.ctx));
  route(app, 'users.create', manage, (request) => users.create(request.ctx, request.body));
  route(app, 'users.list', manage, async (request) => ({ items: await users.list(request.ctx) }));
  route(app, 'users.get', manage, (request) => users.get(request.ctx, request.params.id));
  route(app, 'users.update', manage, (request) => users.update(request.ctx, request.params.id, request.body));
}
