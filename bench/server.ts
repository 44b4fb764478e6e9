import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClient, type BerthClient } from '@berth/client';
import pino from 'pino';
import { createBerth } from '../packages/server/src/berth.js';
import { loadConfig } from '../packages/server/src/config.js';
import { openDatabase } from '../packages/server/src/db/client.js';
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
  /** Gives the bench user room for this many environments at once (credits and the environment cap). */
  allow(environments: number): Promise<void>;
  /** Deletes an environment and waits until its container is gone. */
  remove(id: string): Promise<void>;
  close(): Promise<void>;
}

/** A real Berth server on a real port (what a client sees), with a bearer token for the benchmark user. */
export async function startBenchServer(databaseUrl: string | undefined): Promise<BenchServer> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-bench-'));
  // The worker's concurrency may be set for a run (BERTH_WORKER_CONCURRENCY), to see what it does to a burst.
  // E2B sandboxes run standard unless asked (BERTH_UNTRUSTED_RUNTIME_CLASS=sandboxed), so the E2B rows compare with the runc floor;
  // the sandboxed class has rows of its own.
  const concurrency = process.env.BERTH_WORKER_CONCURRENCY;
  const config = loadConfig({ BERTH_ADMIN_PASSWORD: 'bench-admin-password', BERTH_DEFAULT_IMAGE: TEST_IMAGE, BERTH_STOP_GRACE_SECONDS: '0', BERTH_DATA_DIR: dataDir, BERTH_APPS_ALLOW_LOCAL_SOURCES: 'true', BERTH_APPS_DRAIN_SECONDS: '2', BERTH_UNTRUSTED_RUNTIME_CLASS: process.env.BERTH_UNTRUSTED_RUNTIME_CLASS ?? 'standard', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}), ...(concurrency ? { BERTH_WORKER_CONCURRENCY: concurrency } : {}) });
  const database = await openDatabase(databaseUrl ? { url: databaseUrl } : { dataDir });
  // Berth as `berth server` composes it (loops included), listening on a real port.
  const berth = await createBerth(config, { database, log: pino({ level: 'warn' }) });
  const url = await berth.start({ host: '127.0.0.1', port: 0 });

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
    async allow(environments) {
      const me = await client.call('me.get');
      await client.call('users.setQuota', { params: { id: me.id }, body: { credits: environments, maxEnvironments: environments } });
    },
    async remove(id) {
      await client.call('environments.delete', { params: { id } });
      // Minutes at most: after a burst, a hundred deletions queue for the reconcile workers (each several seconds on this machine).
      for (const deadline = Date.now() + 600_000; Date.now() < deadline; ) {
        if ((await client.call('environments.get', { params: { id } })).status === 'deleted') return;
        await new Promise((r) => setTimeout(r, 25));
      }
      const { items } = await client.call('environments.events', { params: { id } });
      throw new Error(`environment ${id} was not deleted: ${JSON.stringify(items)}`);
    },
    async close() {
      await berth.stop();
      await removeInstall(berth.docker, berth.installId);
      await database.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
