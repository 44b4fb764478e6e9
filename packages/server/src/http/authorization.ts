import { IdSchema, type TokenScope } from '@berth/contracts';
import type { RequestContext } from '../context.js';
import { ValidationError } from '../errors.js';
import { authorize } from '../modules/auth/authorize.js';
import type { E2bService } from '../modules/e2b/e2b.service.js';
import type { AppsService } from '../modules/apps/apps.service.js';
import type { EnvironmentsService } from '../modules/environments/environments.service.js';
import type { TemplatesService } from '../modules/templates/templates.service.js';
import type { OrgsService } from '../modules/orgs/orgs.service.js';
import type { App, OwnedResource } from './types.js';
import type { EnvironmentLevel } from '../modules/auth/auth.policy.js';

interface Deps {
  environments: Pick<EnvironmentsService, 'visibleForRequest'>;
  orgs: Pick<OrgsService, 'standing'>;
  templates: Pick<TemplatesService, 'changeable'>;
  e2b: Pick<E2bService, 'visible'>;
  apps: Pick<AppsService, 'visible'>;
}

type Check = { param: string; check: (ctx: RequestContext, id: string, level: EnvironmentLevel) => Promise<unknown> };

/** An id that is not a uuid names nothing: refused as a bad path alone (and never sent to a uuid column). */
function uuid(param: string, check: Check['check']): Check {
  return {
    param,
    check: async (ctx, id, level) => {
      if (!IdSchema.safeParse(id).success) throw new ValidationError([{ field: `params.${param}`, message: 'Invalid UUID' }]);
      return check(ctx, id, level);
    },
  };
}

/**
 * Authorization before anything reads the request: routes declare what they
 * need (`config.authorize` for an admin action, `config.owns` for a resource
 * named in the path) and this hook asks the one authorization function, so a
 * refused caller gets 401/403/404 before the body is parsed or validated, and
 * learns nothing of the schema. Install it on every scope with callers, after
 * the hook that resolves the caller. Services check again: they are called from
 * elsewhere too. A token's scope is checked here, once per request: every
 * route needs one (`config.scope`; by default read for GET, else `writes`).
 */
export function registerAuthorization(scope: App, { environments, templates, e2b, orgs, apps }: Deps, opts: { writes?: TokenScope } = {}): void {
  const owners: Record<OwnedResource, Check> = {
    // The service decides again on this read rather than reading the environment twice.
    environment: uuid('id', (ctx, id, level) => environments.visibleForRequest(ctx, id, level)),
    template: uuid('id', (ctx, id) => templates.changeable(ctx.actor, id)),
    // E2B answers an id it does not know, uuid or not, with its own 404.
    sandbox: { param: 'sandboxID', check: (ctx, id) => e2b.visible(ctx.actor, id) },
    // An app's levels: view (its organization's readers), use (who may deploy), manage (delete).
    app: uuid('id', (ctx, id, level) => apps.visible(ctx.actor, id, level === 'use' ? 'deploy' : level)),
  };
  scope.addHook('onRequest', async (request) => {
    const { authorize: action, owns, level = 'view', org, scope } = request.routeOptions.config;
    const actor = request.ctx.actor;
    if (actor) authorize(actor, `scope.${scope ?? (request.method === 'GET' ? 'read' : (opts.writes ?? 'admin'))}`);
    if (action) authorize(actor, action);
    if (org) await orgs.standing(request.ctx.actor, (request.params as { org?: string }).org ?? '', org);
    if (owns) {
      const { param, check } = owners[owns];
      await check(request.ctx, (request.params as Record<string, string | undefined>)[param] ?? '', level);
    }
  });
}
