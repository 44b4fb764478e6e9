import { PassThrough } from 'node:stream';
import { route } from '../../http/route.js';
import type { App } from '../../http/types.js';
import type { TemplateApplier } from './templates.applier.js';
import type { TemplatesService } from './templates.service.js';

export function registerTemplatesRoutes(app: App, { templates, applier }: { templates: TemplatesService; applier: TemplateApplier }): void {
  /** Changing or deleting a template: its owner, or an admin. */
  const owner = { config: { owns: 'template' } } as const;
  route(app, 'templates.list', {}, async (request) => ({ items: await templates.list(request.ctx) }));
  route(app, 'templates.get', {}, (request) => templates.get(request.ctx, request.params.id));
  route(app, 'templates.create', {}, (request) => templates.create(request.ctx, request.body));
  route(app, 'templates.update', owner, (request) => templates.update(request.ctx, request.params.id, request.body));
  route(app, 'templates.delete', owner, (request) => templates.remove(request.ctx, request.params.id));
  route(app, 'templates.build', owner, async (request, reply) => {
    // Refusals (not the caller's, no Dockerfile) come before the stream starts, as problem+json.
    const build = await templates.startBuild(request.ctx, request.params.id);
    const lines = new PassThrough();
    void build((event) => lines.write(`${JSON.stringify(event)}\n`))
      .catch((err: unknown) => request.log.error({ err }, 'template build failed'))
      .finally(() => lines.end());
    return reply.type('application/x-ndjson').send(lines);
  });
  route(app, 'environments.applyTemplate', { config: { owns: 'environment', level: 'use', scope: 'exec' } }, (request) => applier.apply(request.ctx, request.params.id, request.body));
}
