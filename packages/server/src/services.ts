import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.js';
import { createEventBus } from './control/event-bus.js';
import { createNodesService } from './modules/nodes/nodes.service.js';
import { createIdleStopper } from './control/idle.js';
import { createSystemIntents } from './control/system-intent.js';
import { createFilesService } from './modules/files/files.service.js';
import { createTemplateApplier } from './modules/templates/templates.applier.js';
import { createTemplatesRepo } from './modules/templates/templates.repo.js';
import { createTemplatesService } from './modules/templates/templates.service.js';
import { createReconciler } from './control/reconciler.js';
import { createResync } from './control/resync.js';
import { createWorkQueueRepo } from './control/work-queue.repo.js';
import { createWorker } from './control/worker.js';
import { createOrgReconciler } from './control/org-reconciler.js';
import type { Database } from './db/client.js';
import type { Keyring } from './keyring.js';
import { createAuditRepo } from './modules/audit/audit.repo.js';
import { createAuditService } from './modules/audit/audit.service.js';
import { createAuthService } from './modules/auth/auth.service.js';
import { createLiveConnections } from './modules/auth/live-connections.js';
import { createLoginThrottleRepo } from './modules/auth/login-throttle.repo.js';
import { createRevocations } from './modules/auth/revocations.js';
import { createRevocationsRepo } from './modules/auth/revocations.repo.js';
import { createSessionsRepo } from './modules/auth/sessions.repo.js';
import { createConfigRepo } from './modules/config/config.repo.js';
import { createConfigService } from './modules/config/config.service.js';
import { createEnvironmentEventsRepo } from './modules/environments/environment-events.repo.js';
import { createEnvironmentsRepo } from './modules/environments/environments.repo.js';
import { createEnvironmentsService } from './modules/environments/environments.service.js';
import { createExecStreams } from './modules/environments/environments.exec-stream.js';
import { createMachineTypesRepo } from './modules/machine-types/machine-types.repo.js';
import { createPoolsRepo } from './modules/pools/pools.repo.js';
import { createPoolsService } from './modules/pools/pools.service.js';
import { createMachineTypesService } from './modules/machine-types/machine-types.service.js';
import { createQuotasRepo } from './modules/quotas/quotas.repo.js';
import { createQuotasService } from './modules/quotas/quotas.service.js';
import { createTokensRepo } from './modules/tokens/tokens.repo.js';
import { createTokensService } from './modules/tokens/tokens.service.js';
import { createUsersRepo } from './modules/users/users.repo.js';
import { createUsersService } from './modules/users/users.service.js';
import { createOrgsRepo } from './modules/orgs/orgs.repo.js';
import { createNewOrgQuotas, createOrgQuotaService } from './modules/orgs/org-quota.service.js';
import { createOrgsService } from './modules/orgs/orgs.service.js';
import { createTerminalSessions } from './modules/terminal/terminal.sessions.js';
import { createE2bExpiry } from './modules/e2b/e2b.expiry.js';
import { createE2bRepo } from './modules/e2b/e2b.repo.js';
import { createE2bService } from './modules/e2b/e2b.service.js';
import { createEnvdFiles } from './modules/e2b/envd.files.js';
import { createHeldProcesses } from './modules/e2b/envd.held.js';
import { holderArchive, type SessionHolder } from './runtime/session-holder.js';
import { createEnvdProcesses } from './modules/e2b/envd.processes.js';
import { createPreviewAddress } from './modules/previews/previews.address.js';
import { hostnameOf } from './modules/previews/previews.domain.js';
import { createPreviewsRepo } from './modules/previews/previews.repo.js';
import { createPreviewsService } from './modules/previews/previews.service.js';
import type { RuntimeDriver } from './runtime/driver.js';
import { choose } from './modules/nodes/placement.js';
import { createRuntimeClasses } from './modules/nodes/runtime-classes.js';
import { withAdvisoryLock } from './db/advisory-lock.js';
import { createAppsAddress } from './modules/apps/apps.address.js';
import { createAppsReconciler } from './modules/apps/apps.reconciler.js';
import { createAppsRepo } from './modules/apps/apps.repo.js';
import { createAppsRouter } from './modules/apps/apps.proxy.js';
import { createEdgeSync } from './modules/apps/apps.edge.js';
import { createAppMetrics } from './modules/apps/apps.metrics.js';
import { publicTarget } from './modules/apps/apps.hooks.js';
import { createAppDatabases, createDatabaseKeeper } from './modules/apps/apps.database.js';
import { createAppsService } from './modules/apps/apps.service.js';
import { createAssistantRepo } from './modules/assistant/assistant.repo.js';
import { createAssistantService } from './modules/assistant/assistant.service.js';

export type ServiceConfig = Pick<
  Config,
  | 'sessionTtlHours'
  | 'loginThrottle'
  | 'defaultImage'
  | 'execMaxOutputBytes'
  | 'stopGraceSeconds'
  | 'worker'
  | 'terminal'
  | 'streamBuffer'
  | 'maxArchiveBytes'
  | 'maxSocketsPerUser'
  | 'revocationRecheckMs'
  | 'e2bMaxProcessesPerUser'
  | 'e2bReadyTimeoutMs'
  | 'preview'
  | 'port'
  | 'assistant'
  | 'intervals'
  | 'apps'
  | 'publicUrl'
  | 'untrustedRuntimeClass'
>;

/**
 * The composition root: every service and the narrow dependencies it gets.
 * `keyring` keys everything Berth signs (BERTH_SECRET; db/installation.ts).
 */
export function createServices(database: Database, runtime: RuntimeDriver, config: ServiceConfig, log: FastifyBaseLogger, keyring: Keyring, holder: SessionHolder | null = null) {
  const { db } = database;
  const usersRepo = createUsersRepo();
  const orgsRepo = createOrgsRepo();
  const sessionsRepo = createSessionsRepo();
  const tokensRepo = createTokensRepo();
  const quotasRepo = createQuotasRepo();
  const machineTypesRepo = createMachineTypesRepo();
  const environmentsRepo = createEnvironmentsRepo();
  const eventsRepo = createEnvironmentEventsRepo();
  const audit = createAuditService({ db, auditRepo: createAuditRepo() });
  const configService = createConfigService({ db, configRepo: createConfigRepo(), audit });
  const bus = createEventBus({ db, database, log });
  const live = createLiveConnections({ maxSocketsPerUser: config.maxSocketsPerUser });
  const revocations = createRevocations({ db, database, repo: createRevocationsRepo(), live, log, recheckMs: config.revocationRecheckMs });

  // What the engines offer, read at start (berth.ts) and now and then after.
  const runtimeClasses = createRuntimeClasses({ runtime, untrusted: config.untrustedRuntimeClass });
  const templatesRepo = createTemplatesRepo();
  const templates = createTemplatesService({ db, templatesRepo, runtime, audit });
  const placementLock = withAdvisoryLock(db, 1);
  const reconciler = createReconciler({
    db,
    environmentsRepo,
    eventsRepo,
    runtime,
    stopGraceSeconds: config.stopGraceSeconds,
    published: bus.publish,
    applyTemplate: (environmentId, templateId) => applier.onFirstRun(environmentId, templateId),
    imageRecipe: (env) => templates.recipeFor(env),
    startTemplate: (environmentId, templateId) => templates.runStartCommand(environmentId, templateId),
    // A sandbox's commands are held by it from the first on: there already, it is not in the way of that command (nor of a
    // pool's claim). Other environments get it when a terminal or a process first needs it, not on every create.
    prepareInstance: holder
      ? async (env) => {
          if (env.origin === 'e2b' || env.poolId) await runtime.writeArchive(env.id, '/', holderArchive(holder));
        }
      : undefined,
    place: async (env) => {
      // One engine: nothing to choose (the reconciler records it with the container).
      if (!runtime.clustered) return 'local';
      // One placement at a time across every Berth process: each sees where the one before went.
      return placementLock('berth:placement', async () => {
        const [{ items }, usage] = await Promise.all([runtime.nodes(), environmentsRepo.usageByNode(db)]);
        const nodeId = choose(items, usage, { vcpus: env.vcpus, memoryMb: env.memoryMb, labels: env.nodeLabels, runtimeClass: env.runtimeClass });
        await environmentsRepo.update(db, env.id, { nodeId });
        return nodeId;
      });
    },
  });
  const worker = createWorker({ db, queue: createWorkQueueRepo(), reconciler, environmentsRepo, eventsRepo, published: bus.publish, log, options: config.worker });
  const resync = createResync({ db, environmentsRepo, runtime, wake: worker.wake, log });
  /** An intent changed: reconcile it and tell followers. */
  const changed = (environmentId: string) => {
    worker.wake();
    bus.publish(environmentId);
  };

  const quotas = createQuotasService({
    db,
    quotasRepo,
    machineTypesRepo,
    environmentsRepo,
    config: configService,
    audit,
    wake: (ids) => ids.forEach(changed),
  });
  const pools = createPoolsService({ db, poolsRepo: createPoolsRepo(), machineTypesRepo, templatesRepo, environmentsRepo, eventsRepo, audit, defaultImage: config.defaultImage, changed, refillDelayMs: config.intervals.poolRefillDelayMs, runtimeClasses, log });
  const environments = createEnvironmentsService({
    db,
    environmentsRepo,
    eventsRepo,
    quotasRepo,
    machineTypesRepo,
    orgsRepo,
    runtime,
    runtimeClasses,
    templateTarget: async (actor, templateId) => {
      const t = await templates.visible(actor, templateId);
      return { image: templates.imageOf(t), nodeLabels: t.nodeLabels, runtimeClass: t.runtimeClass };
    },
    claimPooled: pools.claim,
    audit,
    defaultImage: config.defaultImage,
    execMaxOutputBytes: config.execMaxOutputBytes,
    changed,
  });
  const terminals = createTerminalSessions({
    holder,
    runtime,
    touch: environments.noteActivity,
    log,
    options: config.terminal,
    buffer: config.streamBuffer,
  });
  const execStreams = createExecStreams({ environments, live });
  const files = createFilesService({ db, runtime, environments, eventsRepo, audit, published: bus.publish, maxArchiveBytes: config.maxArchiveBytes });
  const applier = createTemplateApplier({ db, templates, templatesRepo, environments, files, audit });
  const recordIntent = createSystemIntents({ environmentsRepo, eventsRepo, audit, changed });
  const idle = createIdleStopper({ db, environmentsRepo, recordIntent, log });
  const previews = createPreviewsService({
    db,
    previewsRepo: createPreviewsRepo(),
    environments,
    runtime,
    audit,
    address: createPreviewAddress({ domain: config.preview.domain, scheme: config.preview.scheme, port: config.port }),
    keyring,
    grantTtlSeconds: config.preview.grantTtlSeconds,
    cookieTtlSeconds: config.preview.cookieTtlSeconds,
    portsTimeoutMs: config.preview.portsTimeoutMs,
    portsMaxBytes: config.preview.portsMaxBytes,
  });
  const e2bRepo = createE2bRepo();
  const e2b = createE2bService({ db, e2bRepo, environments, templates, config: configService, audit, bus, keyring, readyTimeoutMs: config.e2bReadyTimeoutMs, previewDomain: previews.address.domain, runtimeClasses });
  const e2bExpiry = createE2bExpiry({ db, e2bRepo, recordIntent, log });
  const appsRepo = createAppsRepo();
  const orgReconciler = createOrgReconciler({ db, orgsRepo, appsLeft: appsRepo.countOf, audit, log });
  const newOrgQuotas = createNewOrgQuotas({ db, quotasRepo, machineTypesRepo, config: configService });
  const orgs = createOrgsService({
    db,
    orgsRepo,
    usersRepo,
    environmentsRepo,
    eventsRepo,
    environments,
    audit,
    revocations,
    changed,
    orgChanged: orgReconciler.wake,
    newOrgQuotas,
    // The apps reconciler is made below: woken through this closure, once it exists.
    apps: { deleteAllOf: appsRepo.deleteAllOf, markDueOf: appsRepo.markDueOf, wake: () => appsReconciler.wake() },
  });
  const envdProcesses = createEnvdProcesses({ runtime, maxPerUser: config.e2bMaxProcessesPerUser, held: holder ? createHeldProcesses({ runtime, holder }) : undefined });
  const assistant = createAssistantService({ db, assistantRepo: createAssistantRepo(), usersRepo, config: configService, audit, orgs, providerTimeoutMs: config.assistant.providerTimeoutMs });
  const appsAddress = createAppsAddress({ domain: config.apps.domain, scheme: config.apps.scheme, port: config.port });
  const appsRouter = createAppsRouter({ db, appsRepo, runtime, address: appsAddress, cacheMs: config.apps.routeCacheMs });
  const appMetrics = createAppMetrics();
  const edgeSync = createEdgeSync({ address: appsAddress, domains: async () => (await appsRepo.allDomains(db)).map((d) => d.host), log });
  /** Host names no custom domain may take: under Berth's own, its previews' or the apps domain, or *.localhost. */
  const reservedHost = (host: string): boolean => {
    const under = (domain: string) => host === hostnameOf(domain) || host.endsWith(`.${hostnameOf(domain)}`);
    // Berth's own name, and any domain above it (a page there could set cookies for Berth's).
    const own = config.publicUrl ? hostnameOf(new URL(config.publicUrl).host) : undefined;
    return under('localhost') || under(appsAddress.domain()) || under(previews.address.domain()) || (own !== undefined && (under(own) || own.endsWith(`.${host}`)));
  };
  const appsReconciler = createAppsReconciler({
    db,
    appsRepo,
    machineTypesRepo,
    runtime,
    keyring,
    // Traffic moves in Berth's own routing (Caddy, when in front, sends every app host there).
    switched: async (appId) => appsRouter.forget(appId),
    databases: createDatabaseKeeper({ db, appsRepo, runtime, keyring }),
    urlOf: (app) => appsAddress.url(app.host),
    options: { ...config.apps, maxSourceBytes: config.maxArchiveBytes, leaseSeconds: config.worker.leaseSeconds, maxAttempts: config.worker.maxAttempts, stopGraceSeconds: config.stopGraceSeconds },
    log,
  });
  const apps = createAppsService({
    db,
    appsRepo,
    machineTypesRepo,
    orgOf: (tx, id) => orgsRepo.lock(tx, id, 'share'),
    environments,
    audit,
    keyring,
    runtime,
    address: appsAddress,
    allowLocalSources: config.apps.allowLocalSources,
    wake: appsReconciler.wake,
    reservedHost,
    // Without it, Berth cannot tell its own name from an organization's: no custom domains then.
    knowsOwnName: config.publicUrl !== undefined,
    publicTarget,
    metrics: appMetrics,
    domainsChanged: async () => {
      await appsRouter.domainsChanged();
      await edgeSync.sync();
    },
  });
  const appDatabases = createAppDatabases({ db, appsRepo, apps, audit, keyring, runtime, wake: appsReconciler.wake });
  const nodes = createNodesService({ runtime, audit, usage: () => environmentsRepo.usageByNode(db) });
  return {
    apps,
    nodes,
    runtimeClasses,
    appMetrics,
    appDatabases,
    appsAddress,
    appsRouter,
    appsReconciler,
    edgeSync,
    orgReconciler,
    e2b,
    e2bExpiry,
    envdProcesses,
    assistant,
    /** What the assistant's tools act through: the services a user's own requests use. */
    assistantTools: {
      environments,
      files,
      processes: envdProcesses,
      previews,
      audit,
      limits: { toolOutputBytes: config.assistant.toolOutputBytes, bashTimeoutMs: config.assistant.bashTimeoutMs },
    },
    envdFiles: createEnvdFiles({ files: files.machine }),
    audit,
    usersRepo,
    terminals,
    execStreams,
    idle,
    files,
    previews,
    runtime,
    templates,
    applier,
    bus,
    worker,
    resync,
    live,
    revocations,
    auth: createAuthService({
      db,
      usersRepo,
      sessionsRepo,
      orgsRepo,
      tokensRepo,
      throttleRepo: createLoginThrottleRepo(),
      audit,
      revocations,
      sessionTtlHours: config.sessionTtlHours,
      throttle: config.loginThrottle,
    }),
    users: createUsersService({ db, usersRepo, orgsRepo, sessionsRepo, tokensRepo, quotas, audit, revocations }),
    tokens: createTokensService({ db, tokensRepo, audit, revocations }),
    orgs,
    orgQuota: createOrgQuotaService({ db, quotasRepo, machineTypesRepo, config: configService, audit, orgs }),
    config: configService,
    quotas,
    machineTypes: createMachineTypesService({ db, machineTypesRepo, quotasRepo, audit }),
    environments,
    pools,
  };
}

export type Services = ReturnType<typeof createServices>;
