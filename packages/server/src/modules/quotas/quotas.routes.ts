import { route } from '../../http/route.js';
import type { App } from '../../http/types.js';
import type { QuotasService } from './quotas.service.js';

export function registerQuotasRoutes(app: App, { quotas }: { quotas: QuotasService }): void {
  const manage = { config: { authorize: 'users.manage' } } as const;
  route(app, 'users.quota', manage, (request) => quotas.get(request.ctx, request.params.id));
  route(app, 'users.setQuota', manage, (request) => quotas.update(request.ctx, request.params.id, request.body));
}
