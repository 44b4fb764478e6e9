import path from 'node:path';
import Docker from 'dockerode';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from './app.js';
import type { ProblemListener } from './http/problem.js';
import { bootstrap, type BootstrapResult } from './bootstrap.js';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { installationId, installationKeyring } from './db/installation.js';
import { connectCaddy, startCaddy, type CaddyEdge } from './edge/caddy.js';
import { buildMetricsApp } from './http/metrics.js';
import type { App } from './http/types.js';
import { createClusterDriver } from './runtime/docker/cluster-driver.js';
import { createDockerDriver } from './runtime/docker/docker-driver.js';
import { createNodes } from './runtime/docker/nodes.js';
import { createEnvironmentsRepo } from './modules/environments/environments.repo.js';
import { buildSessionHolder } from './runtime/session-holder.js';
import { createServices, type Services } from './services.js';

/** The periodic passes besides the reconcile worker, which always runs. */
export type Loop = 'resync' | 'idle' | 'e2bExpiry' | 'orgReconciler' | 'pools' | 'apps';

export interface BerthOptions {
  /** Opened (and closed) by the caller: a data directory or DATABASE_URL for `berth server`, a throwaway one in tests. */
  database: Database;
  /** Omitted: nothing is logged, requests included (tests). */
  log?: FastifyBaseLogger;
  /** Periodic passes to leave off (tests that run a pass themselves, when they choose); by default all run. */
  without?: Loop[];
  /** Told of every refusal the API answers, with the route it came from (the tests hold each against the route table). */
  onProblem?: ProblemListener;
}

export interface Berth {
  app: App;
  services: Services;
  runtime: Services['runtime'];
  docker: Docker;
  /** Labels every runtime object this installation creates. */
  installId: string;
  /** What the first-start bootstrap did (it runs on every start). */
  boot: BootstrapResult;
  /**
   * Starts serving: listening to revocations first (no connection may open while this process
   * is deaf to them), then the HTTP listener when `listen` is given (tests inject instead), the
   * metrics listener when configured, the reconcile worker and the periodic passes.
   * Returns the address listened on, if any.
   */
  start(listen: { host: string; port: number }): Promise<string>;
  start(): Promise<undefined>;
  /** Stops in the reverse order: requests drained, then the loops, then revocations. The database stays open. */
  stop(): Promise<void>;
}

/**
 * The one composition of Berth, used by `berth server` (main.ts) and by the test
 * harness alike: runtime, services, the HTTP app, bootstrap, and the loops, in
 * one order, with start and stop handles.
 */
export async function createBerth(config: Config, options: BerthOptions): Promise<Berth> {
  const { database } = options;
  const log = options.log ?? pino({ level: 'silent' });
  const without = new Set(options.without ?? []);
  const docker = new Docker(config.docker);
  const installId = await installationId(database.db);
  const images = { devBaseImage: config.devBaseImage };
  const environmentsRepo = createEnvironmentsRepo();
  // A swarm manager's nodes run environments; else the one engine does (also when it cannot be asked now).
  const swarm = await createNodes(docker, config.sandboxedRuntime)
    .managerNodeId()
    .catch(() => null);
  const runtime = swarm
    ? createClusterDriver({ manager: docker, installId, images, agentImage: config.defaultImage, tls: config.engineTls, locate: (id) => environmentsRepo.nodeOf(database.db, id), onBackgroundError: (err, what) => log.warn({ err }, `could not ${what}`), sandboxedRuntime: config.sandboxedRuntime })
    : createDockerDriver({ docker, installId, images, sandboxedRuntime: config.sandboxedRuntime });
  const holder = await buildSessionHolder(config.dataDir, log);
  const services = createServices(database, runtime, config, log, await installationKeyring(database.db, config.secret), holder);
  const app = await buildApp({ database, services, config, logger: options.log, onProblem: options.onProblem });
  const boot = await bootstrap(database.db, services, config.admin);

  // A scraper's own listener, when asked for: on the main port /metrics needs an admin.
  let metrics: FastifyInstance | undefined;
  const loops: Record<Loop, () => void> = {
    resync: () => services.resync.start(config.resyncSeconds * 1000),
    idle: () => services.idle.start(config.intervals.idleCheckMs),
    e2bExpiry: () => services.e2bExpiry.start(config.intervals.e2bExpiryCheckMs),
    orgReconciler: () => services.orgReconciler.start(config.intervals.orgReconcileMs),
    pools: () => services.pools.start(config.intervals.poolCheckMs),
    apps: () => services.appsReconciler.start(),
  };

  let edge: CaddyEdge | undefined;
  /** Caddy in front of the apps when asked for (started, or reached at its admin URL); else Berth's own edge serves them. */
  async function startEdge(address: string | undefined): Promise<void> {
    if (config.edge.kind !== 'caddy') {
      if (config.edge.caddyMissing) log.warn('BERTH_EDGE=caddy, but caddy is not installed (apt-get install caddy): apps are served through Berth itself');
      return;
    }
    const { bin, adminUrl, httpAddress, httpsAddress, adminAddress, tls } = config.edge;
    const hostPort = (a: { host: string; port: number }) => `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
    // Caddy asks Berth before it requests a certificate for a host: only app hosts get one.
    const askUrl = `${config.publicUrl ?? address ?? `http://127.0.0.1:${config.port}`}/api/v1/edge/ask`;
    const edgeConfig = {
      httpListen: hostPort(httpAddress),
      httpsListen: httpsAddress ? hostPort(httpsAddress) : null,
      tls: tls.mode === 'acme' ? { mode: 'acme' as const, email: tls.email, askUrl } : { mode: 'internal' as const },
      accessLog: null,
    };
    if (adminUrl) edge = connectCaddy(adminUrl, edgeConfig);
    else if (bin) {
      edge = await startCaddy({ bin, dataDir: path.join(config.dataDir, 'caddy'), config: { ...edgeConfig, adminListen: hostPort(adminAddress) }, log });
      log.info({ http: edgeConfig.httpListen, https: edgeConfig.httpsListen }, 'apps are served through Caddy');
    }
    services.edgeSync.use(edge);
    await services.edgeSync.sync();
  }

  async function start(listen?: { host: string; port: number }): Promise<string | undefined> {
    await app.ready();
    // What the engines offer, said once at start (an engine not answering yet is the reconciler's to wait for).
    await services.runtimeClasses.offered().then(
      (classes) => log.info({ runtimeClasses: classes }, classes.includes('sandboxed') ? 'runtime classes: standard, sandboxed (gVisor)' : 'runtime classes: standard only (gVisor is not registered with the engine)'),
      (err: unknown) => log.warn({ err }, 'could not ask the engine which runtime classes it offers'),
    );
    await services.revocations.start();
    await services.bus.start();
    const address = listen ? await app.listen(listen) : undefined;
    await startEdge(address);
    if (config.metricsAddress) {
      metrics = buildMetricsApp(app.metrics);
      const scrape = await metrics.listen(config.metricsAddress);
      app.log.info({ url: `${scrape}/metrics` }, 'serving /metrics without credentials');
    }
    await services.appsRouter.start();
    services.worker.start();
    for (const loop of ['resync', 'idle', 'e2bExpiry', 'orgReconciler', 'pools', 'apps'] as const) if (!without.has(loop)) loops[loop]();
    return address;
  }

  async function stop(): Promise<void> {
    await app.close();
    await metrics?.close();
    services.idle.stop();
    services.e2bExpiry.stop();
    services.orgReconciler.stop();
    await services.pools.stop();
    await services.appsReconciler.stop();
    services.edgeSync.use(undefined);
    services.appsRouter.stop();
    await edge?.close();
    await services.resync.stop();
    await services.worker.stop();
    await services.revocations.stop();
    await services.bus.stop();
  }

  return { app, services, runtime, docker, installId, boot, start: start as Berth['start'], stop };
}
