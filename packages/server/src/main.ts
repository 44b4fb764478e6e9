import Docker from 'dockerode';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from './app.js';
import { bootstrap } from './bootstrap.js';
import { loadConfig, type Config } from './config.js';
import { openDatabase } from './db/client.js';
import { installationId, installationKeyring } from './db/installation.js';
import { buildMetricsApp } from './http/metrics.js';
import { createDockerDriver } from './runtime/docker/docker-driver.js';
import { createServices } from './services.js';

const SHUTDOWN_GRACE_MS = 15_000;

function createLogger(config: Config) {
  return pino({
    level: config.logLevel,
    // Credentials never reach the log, whatever a future log line includes.
    redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]', 'req.headers["x-access-token"]', 'res.headers["set-cookie"]'],
  });
}

/** `berth server`: load config, open the database, wire, listen, and shut down cleanly on a signal. */
export async function runServer(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadConfig(env);
  const log = createLogger(config);
  const database = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir });
  const runtime = createDockerDriver({ docker: new Docker(config.docker), installId: await installationId(database.db) });
  if (!config.secret) {
    log.warn(
      'BERTH_SECRET is not set: signing with the key stored in the database, so a copy of the database is enough to forge sandbox access tokens. ' +
        'Set BERTH_SECRET to a random value of 32 characters or more (openssl rand -hex 32); see "Rotating BERTH_SECRET" in the README.',
    );
  }
  const services = createServices(database, runtime, config, log, await installationKeyring(database.db, config.secret));
  const app = await buildApp({ database, services, config, logger: log });
  const boot = await bootstrap(database.db, services, config.admin);
  // Listening before serving: no connection may open while this process is deaf to revocations.
  await services.revocations.start();

  const address = await app.listen({ host: config.host, port: config.port });
  // A scraper's own listener, when asked for: on the main port /metrics needs an admin.
  let metrics: FastifyInstance | undefined;
  if (config.metricsAddress) {
    metrics = buildMetricsApp(app.metrics);
    const scrape = await metrics.listen(config.metricsAddress);
    app.log.info({ url: `${scrape}/metrics` }, 'serving /metrics without credentials');
  }
  services.worker.start();
  services.resync.start(config.resyncSeconds * 1000);
  services.idle.start(60_000);
  services.e2bExpiry.start(1000);
  services.orgReconciler.start(1000);
  const url = config.publicUrl ?? address;
  app.log.info({ url, database: database.kind, dataDir: database.kind === 'pglite' ? config.dataDir : undefined }, 'Berth is listening');
  if (boot.adminCreated) {
    // Printed to the terminal, not the structured log, so the password is shown once and not stored.
    const password = boot.generatedPassword ?? '(the value of BERTH_ADMIN_PASSWORD)';
    process.stdout.write(`\n  Berth is ready at ${url}\n  Sign in as "${config.admin.username}" with password: ${password}\n\n`);
  } else {
    process.stdout.write(`\n  Berth is ready at ${url}\n\n`);
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down: draining requests');
    const force = setTimeout(() => {
      app.log.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    await app.close();
    await metrics?.close();
    services.idle.stop();
    services.e2bExpiry.stop();
    services.orgReconciler.stop();
    await services.resync.stop();
    await services.worker.stop();
    await services.revocations.stop();
    await database.close();
    app.log.info('stopped');
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
