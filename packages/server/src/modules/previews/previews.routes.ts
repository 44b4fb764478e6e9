import { PortParamsSchema } from '@berth/contracts';
import { route } from '../../http/route.js';
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
  route(app, 'ports.list', { config: { owns: 'environment', level: 'use' } }, async (request) => ({ items: await previews.listPorts(request.ctx, request.params.id) }));
  route(
    app,
    'ports.setSharing',
    {
      config: { scope: 'exec' },
      // Authorized before the body is validated: a refused caller learns nothing of its shape.
      preValidation: async (request) => {
        const params = PortParamsSchema.safeParse(request.params);
        if (params.success) await previews.checkMayShare(request.ctx, params.data.id, params.data.port);
      },
    },
    (request) => previews.setSharing(request.ctx, request.params.id, request.params.port, request.body.sharing),
  );
  route(app, 'ports.grant', { config: { scope: 'exec' } }, (request) => previews.mintGrant(request.ctx, request.params.id, request.params.port));
}
