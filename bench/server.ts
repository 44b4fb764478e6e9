import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClient, type BerthClient } from '@berth/client';
import Docker from 'dockerode';
import pino from 'pino';
import { buildApp } from '../packages/server/src/app.js';
import { bootstrap } from '../packages/server/src/bootstrap.js';
import { loadConfig } from '../packages/server/src/config.js';
import { openDatabase } from '../packages/server/src/db/client.js';
import { installationId, installationKeyring } from '../packages/server/src/db/installation.js';
import { createDockerDriver } from '../packages/server/src/runtime/docker/docker-driver.js';
import { createServices } from '../packages/server/src/services.js';
import { removeInstall } from '../test/support/docker.js';
import { TEST_IMAGE } from '../test/support/images.js';

export interface BenchServer {
  url: string;
  database: string;
  headers: Record<string, string>;
  /** The bench user's API token (also what the E2B SDK sends as its API key). */
  token: string;
  /** The typed client, with that token. */
  client: BerthClient;
  /** Deletes an environment and waits until its container is gone. */
  remove(id: string): Promise<void>;
  close(): Promise<void>;
}

/** A real Berth server on a real port (what a client sees), with a bearer token for the benchmark user. */
export async function startBenchServer(databaseUrl: string | undefined): Promise<BenchServer> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-bench-'));
  const config = loadConfig({ BERTH_ADMIN_PASSWORD: 'bench-admin-password', BERTH_DEFAULT_IMAGE: TEST_IMAGE, BERTH_STOP_GRACE_SECONDS: '0', BERTH_DATA_DIR: dataDir, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) });
  const database = await openDatabase(databaseUrl ? { url: databaseUrl } : { dataDir });
  const docker = new Docker(config.docker);
  const installId = await installationId(database.db);
  const services = createServices(database, createDockerDriver({ docker, installId }), config, pino({ level: 'warn' }), await installationKeyring(database.db, config.secret));
  await bootstrap(database.db, services, config.admin);
  const app = await buildApp({ database, services, config });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  await services.revocations.start();
  services.worker.start();

  const login = await createClient({ baseUrl: url }).send('POST', '/api/v1/auth/login', { body: JSON.stringify({ username: 'admin', password: 'bench-admin-password' }), headers: { 'content-type': 'application/json' } });
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const { token } = await createClient({ baseUrl: url, headers: () => ({ cookie, origin: url }) }).call('tokens.create', { body: { name: 'bench' } });
  const client = createClient({ baseUrl: url, token });
  return {
    url,
    database: database.kind,
    headers: { authorization: `Bearer ${token}` },
    token,
    client,
    async remove(id) {
      await client.call('environments.delete', { params: { id } });
      for (let i = 0; i < 400; i++) {
        if ((await client.call('environments.get', { params: { id } })).status === 'deleted') return;
        await new Promise((r) => setTimeout(r, 25));
      }
      const { items } = await client.call('environments.events', { params: { id } });
      throw new Error(`environment ${id} was not deleted: ${JSON.stringify(items)}`);
    },
    async close() {
      await app.close();
      await services.worker.stop();
      await services.revocations.stop();
      await removeInstall(docker, installId);
      await database.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
