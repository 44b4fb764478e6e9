import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchPostgres } from './support/database.js';
import { startServerProcess } from './support/process.js';
import { waitFor } from './support/wait.js';

let dataDir: string;
let scratch: Awaited<ReturnType<typeof createScratchPostgres>>;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-metrics-'));
  scratch = await createScratchPostgres();
});
afterAll(async () => {
  await scratch?.drop();
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe('berth server with BERTH_METRICS_ADDRESS and BERTH_SECRET', () => {
  it('serves /metrics without credentials on the metrics address only, and does not warn about the secret', async () => {
    const server = await startServerProcess({
      ...(scratch ? { DATABASE_URL: scratch.url } : { BERTH_DATA_DIR: dataDir }),
      BERTH_METRICS_ADDRESS: '127.0.0.1:0',
      BERTH_SECRET: 'a-secret-for-the-process-test'.padEnd(40, '-'),
    }, 180_000);
    try {
      // Logged once the listener is up (the log may trail the ready banner).
      const scrape = await waitFor('the metrics address in the log', async () => /"url":"(http:\/\/127\.0\.0\.1:\d+\/metrics)"/.exec(server.output())?.[1]);

      const res = await fetch(scrape);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('# TYPE berth_http_requests_total counter');
      expect((await fetch(scrape.replace(/\/metrics$/, '/api/v1/me'))).status).toBe(404);
      // The main port still asks for an admin.
      expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
      expect(server.output()).not.toContain('BERTH_SECRET is not set');
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    }
  }, 180_000);
});
