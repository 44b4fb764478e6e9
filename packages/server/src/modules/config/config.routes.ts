import { ConfigFlagSchema, ConfigListSchema, ConfigNameParamsSchema, UpdateConfigBodySchema } from '@berth/contracts';
import { responses } from '../../http/responses.js';
import type { App } from '../../http/types.js';
import type { ConfigService } from './config.service.js';

export function registerConfigRoutes(app: App, { config }: { config: ConfigService }): void {
  app.get('/config', { config: { authorize: 'config.manage' }, schema: { tags: ['config'], summary: 'Runtime flags (admin; secrets masked)', response: responses({ 200: ConfigListSchema }) } }, async (request) => ({
    items: await config.list(request.ctx),
  }));

  app.put(
    '/config/:name',
    {
      config: { authorize: 'config.manage' },
      schema: {
        tags: ['config'],
        summary: 'Set a runtime flag (admin)',
        params: ConfigNameParamsSchema,
        body: UpdateConfigBodySchema,
        response: responses({ 200: ConfigFlagSchema }),
      },
    },
    (request) => config.update(request.ctx, request.params.name, request.body),
  );
}
