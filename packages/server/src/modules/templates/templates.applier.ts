import type { ApplyTemplateBody } from '@berth/contracts';
import type { RequestContext } from '../../context.js';
import type { Db } from '../../db/client.js';
import type { AuditService } from '../audit/audit.service.js';
import type { EnvironmentsService } from '../environments/environments.service.js';
import type { FilesService } from '../files/files.service.js';
import { relative, WORKSPACE } from '../files/files.domain.js';
import type { TemplatesRepo } from './templates.repo.js';
import type { TemplatesService } from './templates.service.js';

interface Deps {
  db: Db;
  templates: Pick<TemplatesService, 'visible' | 'writeFiles'>;
  templatesRepo: Pick<TemplatesRepo, 'get'>;
  environments: Pick<EnvironmentsService, 'running'>;
  files: Pick<FilesService, 'resolve' | 'recordChange'>;
  audit: AuditService;
}

/** Templates meeting environments: at creation (first run) and on request later. */
export function createTemplateApplier(deps: Deps) {
  /** For the reconciler: the template chosen at creation, into /workspace. */
  async function onFirstRun(environmentId: string, templateId: string): Promise<string> {
    const template = await deps.templatesRepo.get(deps.db, templateId);
    if (!template) return 'the template chosen at creation no longer exists; nothing was written';
    await deps.templates.writeFiles(environmentId, WORKSPACE, template.files, false);
    return `wrote ${template.files.length} file(s) from template "${template.name}"`;
  }

  async function apply(ctx: RequestContext, environmentId: string, body: ApplyTemplateBody): Promise<{ files: number; path: string }> {
    await deps.environments.running(ctx, environmentId);
    const template = await deps.templates.visible(ctx.actor, body.templateId);
    const dir = await deps.files.resolve(environmentId, body.path);
    const rec = { targetType: 'environment', targetId: environmentId, metadata: { templateId: template.id, path: relative(dir), clean: body.clean } };
    await deps.audit.precheck(ctx, 'environment.apply_template', rec, () => deps.templates.writeFiles(environmentId, dir, template.files, body.clean));
    await deps.files.recordChange(ctx, environmentId, 'environment.apply_template', rec.metadata, {
      type: 'template',
      message: `applied template "${template.name}" to /${relative(dir)}`,
      data: rec.metadata,
    });
    return { files: template.files.length, path: relative(dir) };
  }

  return { onFirstRun, apply };
}

export type TemplateApplier = ReturnType<typeof createTemplateApplier>;
