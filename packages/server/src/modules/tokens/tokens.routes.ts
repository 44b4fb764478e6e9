import { route } from '../../http/route.js';
import type { App } from '../../http/types.js';
import type { TokensService } from './tokens.service.js';

export function registerTokensRoutes(app: App, { tokens }: { tokens: TokensService }): void {
  route(app, 'tokens.create', {}, (request) => tokens.create(request.ctx, request.body));
  route(app, 'tokens.list', {}, async (request) => ({ items: await tokens.list(request.ctx) }));
  route(app, 'tokens.revoke', {}, (request) => tokens.revoke(request.ctx, request.params.id));
}
