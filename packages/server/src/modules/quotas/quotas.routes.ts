import { IdParamsSchema, QuotaSchema, UpdateQuotaBodySchema } from '@berth/contracts';
import { responses } from '../../http/responses.js';
import type { App } from '../../http/types.js';
import type { QuotasService } from './quotas.service.js';

export function registerQuotasRoutes(app: App, { quotas }: { quotas: QuotasService }): void {
  app.get(
    '/users/:id/quota',
    { config: { authorize: 'users.manage' }, schema: { tags: ['users'], summary: "A user's quota and usage (admin)", params: IdParamsSchema, response: responses({ 200: QuotaSchema }) } },
    (request) => quotas.get(request.ctx, request.params.id),
  );

  app.patch(
    '/users/:id/quota',
    {
      config: { authorize: 'users.manage' },
      schema: {
        tags: ['users'],
        summary: "Change a user's quota (admin); inactive stops all their environments",
        params: IdParamsSchema,
        body: UpdateQuotaBodySchema,
        response: responses({ 200: QuotaSchema }),
      },
    },
    (request) => quotas.update(request.ctx, request.params.id, request.body),
  );
}
