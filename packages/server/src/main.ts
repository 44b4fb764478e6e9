import pino from 'pino';
import { createBerth } from './berth.js';
import { loadConfig, type Config } from './config.js';
import { openDatabase } from './db/client.js';

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
  const database = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir }, (message) => log.info(message));
  if (!config.secret) {
    log.warn(
      'BERTH_SECRET is not set: signing with the key stored in the database, so a copy of the database is enough to forge sandbox access tokens. ' +
        'Set BERTH_SECRET to a random value of 32 characters or more (openssl rand -hex 32); see "Rotating BERTH_SECRET" in the README.',
    );
  }
  const berth = await createBerth(config, { database, log });
  const { app, boot } = berth;
  const address = await berth.start({ host: config.host, port: config.port });
  const url = config.publicUrl ?? address;
  app.log.info({ url, database: database.kind, dataDir: database.kind === 'embedded' ? config.dataDir : undefined }, 'Berth is listening');
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
    }, config.shutdownGraceMs);
    force.unref();
    await berth.stop();
    await database.close();
    app.log.info('stopped');
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
