import { IdParamsSchema, PortListSchema, PortParamsSchema, PortSharingBodySchema, PortSharingResultSchema, PreviewGrantSchema } from '@berth/contracts';
import { responses } from '../../http/responses.js';
import type { App } from '../../http/types.js';
import type { PreviewsService } from './previews.service.js';

interface Deps {
  previews: Pick<PreviewsService, 'listPorts' | 'checkMayShare' | 'setSharing' | 'mintGrant'>;
}

/**
 * Previews as Berth's API sees them: listening ports with their preview URL and
 * sharing, changing a port's sharing, and minting the grant that opens one. The
 * previews themselves are served on their own origin (previews.proxy.ts).
 */
export function registerPreviewRoutes(app: App, { previews }: Deps): void {
  app.get(
    '/environments/:id/ports',
    { config: { owns: 'environment', level: 'use' }, schema: { tags: ['previews'], summary: 'TCP ports listening inside the environment, with their preview URL and sharing', params: IdParamsSchema, response: responses({ 200: PortListSchema }) } },
    async (request) => ({ items: await previews.listPorts(request.ctx, request.params.id) }),
  );

  app.put(
    '/environments/:id/ports/:port/sharing',
    {
      config: { scope: 'exec' },
      schema: {
        tags: ['previews'],
        summary: "Who may open a port's preview: owner (and admins), authenticated (any signed-in user) or public (anyone)",
        params: PortParamsSchema,
        body: PortSharingBodySchema,
        response: responses({ 200: PortSharingResultSchema }),
      },
      // Authorized before the body is validated: a refused caller learns nothing of its shape.
      preValidation: async (request) => {
        const params = PortParamsSchema.safeParse(request.params);
        if (params.success) await previews.checkMayShare(request.ctx, params.data.id, params.data.port);
      },
    },
    async (request) => previews.setSharing(request.ctx, request.params.id, request.params.port, request.body.sharing),
  );

  app.post(
    '/environments/:id/ports/:port/grant',
    {
      config: { scope: 'exec' },
      schema: {
        tags: ['previews'],
        summary: 'A single-use grant, valid for a minute, that opens the preview on its own origin (POST it there as a form)',
        params: PortParamsSchema,
        response: responses({ 201: PreviewGrantSchema }),
      },
    },
    async (request, reply) => reply.code(201).send(await previews.mintGrant(request.ctx, request.params.id, request.params.port)),
  );
}
