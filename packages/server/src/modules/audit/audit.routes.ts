import { route } from '../../http/route.js';
import type { App } from '../../http/types.js';
import type { AuditService } from './audit.service.js';

export function registerAuditRoutes(app: App, { audit }: { audit: AuditService }): void {
  route(app, 'audit.list', { config: { authorize: 'audit.read' } }, (request) => audit.list(request.ctx, request.query));
}
