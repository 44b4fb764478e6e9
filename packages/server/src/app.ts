import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { registerLiveSockets } from './http/live.js';
import { registerAuth, requireCaller, sessionCookieFor } from './http/auth.js';
import { registerAuthorization } from './http/authorization.js';
import { registerMetrics } from './http/metrics.js';
import { registerOpenApi } from './http/openapi.js';
import { registerProblemHandlers, type ProblemListener } from './http/problem.js';
import { registerSecurityHeaders } from './http/security-headers.js';
import { registerWebSocketRouting } from './http/websocket.js';
import type { App } from './http/types.js';
import { registerAssistantRoutes } from './modules/assistant/assistant.routes.js';
import { registerAppHosts } from './modules/apps/apps.proxy.js';
import { registerAppsRoutes } from './modules/apps/apps.routes.js';
import { registerAuditRoutes } from './modules/audit/audit.routes.js';
import { registerAuthRoutes } from './modules/auth/auth.routes.js';
import { registerFilesRoutes } from './modules/files/files.routes.js';
import { registerTemplatesRoutes } from './modules/templates/templates.routes.js';
import { registerPreviewHosts } from './modules/previews/previews.proxy.js';
import { registerPreviewRoutes } from './modules/previews/previews.routes.js';
import { registerEnvironmentsRoutes } from './modules/environments/environments.routes.js';
import { registerMachineTypesRoutes } from './modules/machine-types/machine-types.routes.js';
import { registerNodesRoutes } from './modules/nodes/nodes.routes.js';
import { registerPoolsRoutes } from './modules/pools/pools.routes.js';
import { registerQuotasRoutes } from './modules/quotas/quotas.routes.js';
import { registerTerminalRoutes } from './modules/terminal/terminal.routes.js';
import { registerConfigRoutes } from './modules/config/config.routes.js';
import { registerHealthRoutes } from './modules/health/health.routes.js';
import { registerE2bRoutes } from './modules/e2b/e2b.routes.js';
import { registerEnvdRoutes } from './modules/e2b/envd.routes.js';
import { registerMcpRoutes } from './modules/mcp/mcp.routes.js';
import { registerOrgsRoutes } from './modules/orgs/orgs.routes.js';
import { registerTokensRoutes } from './modules/tokens/tokens.routes.js';
import { registerUsersRoutes } from './modules/users/users.routes.js';
import type { Services } from './services.js';
import { VERSION } from './version.js';

export interface AppDeps {
  database: Pick<Database, 'ping' | 'kind'>;
  services: Services;
  config: Pick<Config, 'bodyLimitBytes' | 'publicUrl' | 'trustProxy' | 'maxArchiveBytes' | 'webDir' | 'streamBuffer' | 'preview' | 'eventsStream' | 'readyTimeoutMs' | 'mcp' | 'execMaxOutputBytes' | 'assistant' | 'e2bPortWaitMs'>;
  /** Omitted: no request logging (tests). */
  logger?: FastifyBaseLogger;
  onProblem?: ProblemListener;
}

/** How often a closing server looks for connections that have gone idle. */
const CLOSE_SWEEP_MS = 100;

/** Builds the HTTP app from its dependencies; no globals, so tests build as many as they like. */
export async function buildApp({ database, services, config, logger, onProblem }: AppDeps): Promise<App> {
  const app = Fastify({
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    // Registering ~90 routes compiles their schemas; on a starved machine that ran past Fastify's 10 s default (seen in CI).
    pluginTimeout: 60_000,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
    // Never let a client guess our internals from a default error page.
    return503OnClosing: true,
  }).withTypeProvider<ZodTypeProvider>();

  // Many clients send "content-type: application/json" on bodiless DELETEs and POSTs; an empty
  // body then means "no body", not malformed JSON. Everything else keeps the default, safe parser.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) =>
    body === '' ? done(null, undefined) : parseJson(request, body as string, done),
  );
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const hasWeb = existsSync(path.join(config.webDir, 'index.html'));
  registerProblemHandlers(app, { spa: hasWeb, onProblem });
  // The web app opens a preview by posting its grant to the preview host as a form.
  registerSecurityHeaders(app, { formTargets: () => [`${services.previews.address.scheme}://*.${services.previews.address.domain()}`] });
  // Open terminals would keep app.close() waiting: end them first.
  app.addHook('preClose', async () => services.terminals.closeAll());
  // Fastify closes the connections idle when it closes the server. One whose answer was still on its
  // way (an exec, a stream that ends) goes idle later, and would be kept for the keep-alive timeout
  // (72 s), holding the close up: so, while closing, idle connections are closed as they go idle.
  let sweep: NodeJS.Timeout | undefined;
  app.addHook('preClose', async () => void (sweep = setInterval(() => app.server.closeIdleConnections(), CLOSE_SWEEP_MS)));
  app.addHook('onClose', async () => clearInterval(sweep));
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });

  await app.register(cookie);
  // A WebSocket message is bounded as a request body is (ws would take 100 MiB): larger ones close the socket with 1009.
  await app.register(websocket, { options: { maxPayload: config.bodyLimitBytes } });
  registerLiveSockets(app, { live: services.live });
  registerWebSocketRouting(app);
  registerAuth(app, { auth: services.auth, publicUrl: config.publicUrl });
  registerMetrics(app, { terminalSessions: () => services.terminals.count() });
  await registerOpenApi(app, VERSION);
  registerHealthRoutes(app, { database, runtimeClasses: services.runtimeClasses, readyTimeoutMs: config.readyTimeoutMs });
  if (hasWeb) await app.register(fastifyStatic, { root: config.webDir, prefix: '/', index: 'index.html', wildcard: true });

  // Preview hosts: there only the preview proxy answers, and it answers nowhere else (see registerPreviewHosts).
  const previewAddress = services.previews.address;
  app.addHook('onListen', async () => {
    const address = app.server.address();
    if (address && typeof address === 'object') {
      previewAddress.listening(address.port);
      services.appsAddress.listening(address.port);
      services.edgeSync.listening(address.address, address.port);
      await services.edgeSync.sync();
    }
  });
  await registerPreviewHosts(app, {
    previews: services.previews,
    limits: { ...config.streamBuffer, connectTimeoutMs: config.preview.connectTimeoutMs },
    berthUrl: () => config.publicUrl ?? `${previewAddress.scheme}://${previewAddress.domain()}`,
  });

  // App hosts: only the apps proxy answers there (Berth's own edge; Caddy in front when BERTH_EDGE=caddy).
  await registerAppHosts(app, { router: services.appsRouter, metrics: services.appMetrics, connectTimeoutMs: config.preview.connectTimeoutMs });

  // E2B's in-sandbox API first: its routes match only requests naming a sandbox.
  await registerEnvdRoutes(app, {
    e2b: services.e2b,
    processes: services.envdProcesses,
    files: services.envdFiles,
    announce: services.files.announce,
    audit: services.audit,
    environments: services.environments,
    live: services.live,
    maxFileBytes: config.maxArchiveBytes,
    endpoint: (environmentId, port) => services.runtime.endpoint(environmentId, port),
    portWaitMs: config.e2bPortWaitMs,
    connectTimeoutMs: config.preview.connectTimeoutMs,
  });
  const owners = { environments: services.environments, templates: services.templates, e2b: services.e2b, orgs: services.orgs, apps: services.apps };
  await app.register(async (e2b: App) => {
    registerE2bRoutes(e2b, { e2b: services.e2b, auth: services.auth });
    // E2B keys make, use and kill sandboxes: an exec token is enough for all of its API.
    registerAuthorization(e2b, owners, { writes: 'exec' });
  });
  // MCP (Streamable HTTP at /mcp): its tools act through the services below, as the caller of each request.
  registerMcpRoutes(app, {
    environments: services.environments,
    machineTypes: services.machineTypes,
    templates: services.templates,
    files: services.files,
    previews: services.previews,
    bus: services.bus,
    runtimeClasses: services.runtimeClasses,
    envdProcesses: services.envdProcesses,
    audit: services.audit,
    live: services.live,
    limits: config.mcp,
    maxOutputBytes: config.execMaxOutputBytes,
  });

  await app.register(
    async (api: App) => {
      requireCaller(api);
      registerAuthorization(api, owners);
      registerAuthRoutes(api, { auth: services.auth, sessionCookie: (request) => sessionCookieFor(request, config.publicUrl) });
      registerUsersRoutes(api, { users: services.users });
      registerTokensRoutes(api, { tokens: services.tokens });
      registerOrgsRoutes(api, { orgs: services.orgs, orgQuota: services.orgQuota });
      registerConfigRoutes(api, { config: services.config });
      registerAuditRoutes(api, { audit: services.audit });
      registerQuotasRoutes(api, { quotas: services.quotas });
      registerMachineTypesRoutes(api, { machineTypes: services.machineTypes });
      registerPoolsRoutes(api, { pools: services.pools });
      registerNodesRoutes(api, { nodes: services.nodes });
      registerAppsRoutes(api, { apps: services.apps, databases: services.appDatabases, maxRestoreBytes: config.maxArchiveBytes });
      registerEnvironmentsRoutes(api, { environments: services.environments, bus: services.bus, execStreams: services.execStreams, eventsStream: config.eventsStream });
      registerTerminalRoutes(api, { environments: services.environments, terminals: services.terminals });
      registerFilesRoutes(api, { files: services.files, maxArchiveBytes: config.maxArchiveBytes });
      registerPreviewRoutes(api, { previews: services.previews });
      registerTemplatesRoutes(api, { templates: services.templates, applier: services.applier });
      registerAssistantRoutes(api, { assistant: services.assistant, environments: services.environments, session: { tools: services.assistantTools, maxSteps: config.assistant.maxSteps } });
    },
    { prefix: '/api/v1' },
  );
  return app;
}
