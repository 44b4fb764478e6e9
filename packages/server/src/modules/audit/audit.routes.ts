import { AuditPageSchema, AuditQuerySchema } from '@berth/contracts';
import { responses } from '../../http/responses.js';
import type { App } from '../../http/types.js';
import type { AuditService } from './audit.service.js';

export function registerAuditRoutes(app: App, { audit }: { audit: AuditService }): void {
  app.get(
    '/audit',
    { config: { authorize: 'audit.read' }, schema: { tags: ['audit'], summary: 'The audit log, newest first (admin)', querystring: AuditQuerySchema, response: responses({ 200: AuditPageSchema }) } },
    (request) => audit.list(request.ctx, request.query),
  );
}
