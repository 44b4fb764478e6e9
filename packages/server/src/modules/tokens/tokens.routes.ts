import { CreateTokenBodySchema, CreatedTokenSchema, IdParamsSchema, TokenListSchema } from '@berth/contracts';
import { z } from 'zod';
import { responses } from '../../http/responses.js';
import type { App } from '../../http/types.js';
import type { TokensService } from './tokens.service.js';

export function registerTokensRoutes(app: App, { tokens }: { tokens: TokensService }): void {
  app.post(
    '/tokens',
    { schema: { tags: ['tokens'], summary: 'Create an API token (the secret is shown once)', body: CreateTokenBodySchema, response: responses({ 201: CreatedTokenSchema }) } },
    async (request, reply) => reply.code(201).send(await tokens.create(request.ctx, request.body)),
  );

  app.get('/tokens', { schema: { tags: ['tokens'], summary: "The caller's usable tokens", response: responses({ 200: TokenListSchema }) } }, async (request) => ({
    items: await tokens.list(request.ctx),
  }));

  app.delete(
    '/tokens/:id',
    { schema: { tags: ['tokens'], summary: 'Revoke a token', params: IdParamsSchema, response: responses({ 204: z.null() }) } },
    async (request, reply) => {
      await tokens.revoke(request.ctx, request.params.id);
      return reply.code(204).send(null);
    },
  );
}
