import { route } from '../../http/route.js';
import { NotFoundError } from '../../errors.js';
import type { App } from '../../http/types.js';
import type { AppsService } from './apps.service.js';

/** An app's routes: authorized by the hook (http/authorization.ts) on the app the path names, before the body is read. */
export function registerAppsRoutes(app: App, { apps }: { apps: AppsService }): void {
  const view = { config: { owns: 'app', level: 'view' } } as const;
  const deploy = { config: { owns: 'app', level: 'use' } } as const;
  const manage = { config: { owns: 'app', level: 'manage' } } as const;
  route(app, 'apps.list', {}, async (request) => ({ items: await apps.list(request.ctx) }));
  route(app, 'apps.create', {}, (request) => apps.create(request.ctx, request.body));
  route(app, 'apps.get', view, (request) => apps.get(request.ctx, request.params.id));
  route(app, 'apps.update', deploy, (request) => apps.update(request.ctx, request.params.id, request.body));
  route(app, 'apps.delete', manage, (request) => apps.remove(request.ctx, request.params.id));
  route(app, 'apps.deploy', deploy, (request) => apps.deploy(request.ctx, request.params.id));
  route(app, 'apps.releases', view, async (request) => ({ items: await apps.releases(request.ctx, request.params.id) }));
  route(app, 'apps.rollback', deploy, (request) => apps.rollback(request.ctx, request.params.id, request.body.release));
  route(app, 'apps.config', view, async (request) => ({ items: await apps.config(request.ctx, request.params.id) }));
  route(app, 'apps.setConfig', deploy, async (request) => ({ items: await apps.setConfig(request.ctx, request.params.id, request.body) }));
  // Caddy asks before it requests a certificate on demand: only hosts of apps that exist get one.
  route(app, 'edge.ask', { config: { public: true } }, async (request) => {
    if (!(await apps.servesHost(request.query.domain))) throw new NotFoundError('App');
  });
  route(app, 'apps.events', view, async (request) => ({ items: await apps.events(request.ctx, request.params.id, request.query.since) }));
}
