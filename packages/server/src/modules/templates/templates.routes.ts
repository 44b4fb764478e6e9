import { ApplyTemplateBodySchema, CreateTemplateBodySchema, IdParamsSchema, TemplateListSchema, TemplateSchema, UpdateTemplateBodySchema } from '@berth/contracts';
import { z } from 'zod';
import { responses } from '../../http/responses.js';
import type { App } from '../../http/types.js';
import type { TemplateApplier } from './templates.applier.js';
import type { TemplatesService } from './templates.service.js';

export function registerTemplatesRoutes(app: App, { templates, applier }: { templates: TemplatesService; applier: TemplateApplier }): void {
  const tags = ['templates'];
  app.get('/templates', { schema: { tags, summary: 'Public templates and your own (without file contents)', response: responses({ 200: TemplateListSchema }) } }, async (request) => ({
    items: await templates.list(request.ctx),
  }));
  app.get('/templates/:id', { schema: { tags, summary: 'A template with its files', params: IdParamsSchema, response: responses({ 200: TemplateSchema }) } }, (request) =>
    templates.get(request.ctx, request.params.id),
  );
  app.post(
    '/templates',
    { schema: { tags, summary: 'Create a template (public ones: admins only)', body: CreateTemplateBodySchema, response: responses({ 201: TemplateSchema }) } },
    async (request, reply) => reply.code(201).send(await templates.create(request.ctx, request.body)),
  );
  app.patch(
    '/templates/:id',
    { config: { owns: 'template' }, schema: { tags, summary: 'Change a template (its owner, or an admin)', params: IdParamsSchema, body: UpdateTemplateBodySchema, response: responses({ 200: TemplateSchema }) } },
    (request) => templates.update(request.ctx, request.params.id, request.body),
  );
  app.post(
    '/environments/:id/apply-template',
    {
      config: { owns: 'environment', level: 'use', scope: 'exec' },
      schema: {
        tags,
        summary: "Write a template's files into a folder of a running environment",
        params: IdParamsSchema,
        body: ApplyTemplateBodySchema,
        response: responses({ 200: z.object({ files: z.number().int(), path: z.string() }) }),
      },
    },
    (request) => applier.apply(request.ctx, request.params.id, request.body),
  );
  app.delete(
    '/templates/:id',
    { config: { owns: 'template' }, schema: { tags, summary: 'Delete a template (its owner, or an admin)', params: IdParamsSchema, response: responses({ 204: z.null() }) } },
    async (request, reply) => {
      await templates.remove(request.ctx, request.params.id);
      return reply.code(204).send(null);
    },
  );
}
