import { UnauthorizedError } from '../../errors.js';
import type { App } from '../../http/types.js';
import type { AuthService } from '../auth/auth.service.js';
import { ConnectSandboxSchema, ListSandboxesQuerySchema, NewSandboxSchema, SandboxParamsSchema, SetTimeoutSchema } from './e2b.contracts.js';
import { parseMetadataFilter } from './e2b.domain.js';
import { e2bShape, registerE2bErrorHandler } from './e2b.error-handler.js';
import { E2bApiError } from './e2b.errors.js';
import type { E2bService } from './e2b.service.js';

interface Deps {
  e2b: E2bService;
  auth: Pick<AuthService, 'authenticate'>;
}

const DEFAULT_PAGE = 100;

/**
 * E2B's sandbox lifecycle API at E2B's own paths, so the unmodified SDK works
 * with E2B_API_URL set to Berth. The caller is the Berth API token in
 * X-API-KEY; errors go out as E2B's `{code, message}`, never problem+json.
 */
export function registerE2bRoutes(app: App, { e2b, auth }: Deps): void {
  const schema = { hide: true };
  /** Routes naming a sandbox: the caller must own it (E2B's 404 otherwise), before its body is read. */
  const config = { owns: 'sandbox' } as const;

  registerE2bErrorHandler(app, 'E2B API', () => e2bShape);

  app.addHook('onRequest', async (request) => {
    const key = request.headers['x-api-key'];
    if (typeof key === 'string' && key !== '') request.ctx.actor = await auth.authenticate({ kind: 'token', secret: key, mutating: !['GET', 'HEAD', 'OPTIONS'].includes(request.method) });
    if (!request.ctx.actor) throw new UnauthorizedError('Send a Berth API token as X-API-KEY');
  });

  for (const url of ['/sandboxes', '/v2/sandboxes']) {
    app.post(url, { schema: { ...schema, body: NewSandboxSchema } }, async (request, reply) => reply.code(201).send(await e2b.create(request.ctx, request.body)));

    app.get(url, { schema: { ...schema, querystring: ListSandboxesQuerySchema } }, async (request, reply) => {
      const { metadata, state, template, limit, nextToken } = request.query;
      const offset = nextToken ? Number(nextToken) : 0;
      const states = state ? new Set(state.split(',').map((s) => s.trim())) : null;
      const page = await e2b.list(request.ctx, { metadata: parseMetadataFilter(metadata), states, template, limit: limit ?? (url === '/sandboxes' ? 1000 : DEFAULT_PAGE), offset });
      if (page.next) void reply.header('x-next-token', page.next);
      return page.items;
    });
  }

  for (const url of ['/sandboxes/:sandboxID/connect', '/v2/sandboxes/:sandboxID/connect']) {
    app.post(url, { config, schema: { ...schema, params: SandboxParamsSchema, body: ConnectSandboxSchema } }, async (request, reply) => {
      const { resumed, sandbox } = await e2b.connect(request.ctx, request.params.sandboxID, request.body?.timeout);
      return reply.code(resumed ? 201 : 200).send(sandbox);
    });
  }

  app.get('/sandboxes/:sandboxID', { config, schema: { ...schema, params: SandboxParamsSchema } }, (request) => e2b.info(request.ctx, request.params.sandboxID));

  app.delete('/sandboxes/:sandboxID', { config, schema: { ...schema, params: SandboxParamsSchema } }, async (request, reply) => {
    await e2b.kill(request.ctx, request.params.sandboxID);
    return reply.code(204).send();
  });

  app.post('/sandboxes/:sandboxID/pause', { config, schema: { ...schema, params: SandboxParamsSchema } }, async (request, reply) => {
    await e2b.pause(request.ctx, request.params.sandboxID);
    return reply.code(204).send();
  });

  app.get('/sandboxes/:sandboxID/metrics', { config, schema: { ...schema, params: SandboxParamsSchema } }, (request) => e2b.metrics(request.ctx, request.params.sandboxID));

  // The rest of a sandbox's API (snapshots, forks, network rules) in E2B's error shape, not a bare 404.
  for (const url of ['/sandboxes/:sandboxID/*', '/v2/sandboxes/:sandboxID/*']) {
    app.all(url, { schema }, async (request) => {
      throw new E2bApiError(501, `${request.method} ${request.url.split('?')[0]} is not supported by Berth's E2B API`);
    });
  }

  app.post('/sandboxes/:sandboxID/timeout', { config, schema: { ...schema, params: SandboxParamsSchema, body: SetTimeoutSchema } }, async (request, reply) => {
    await e2b.setTimeout(request.ctx, request.params.sandboxID, request.body.timeout);
    return reply.code(204).send();
  });
}
