import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBerth } from '../packages/server/src/berth.js';
import { loadConfig } from '../packages/server/src/config.js';
import { openDatabase, type Database, type Db } from '../packages/server/src/db/client.js';
import * as schema from '../packages/server/src/db/schema.js';
import { serverProcesses, signedInCall } from './support/process.js';
import { ADMIN } from './support/server.js';
import { waitFor } from './support/wait.js';

/**
 * Berth's default database: a PostgreSQL server it starts in its data directory (no TCP port, as
 * root too), one Berth per directory, that dies with the Berth that started it, and that takes
 * over what an earlier Berth kept in its embedded PGlite database.
 */

const MIGRATIONS = path.resolve('packages/server/src/db/migrations');
const dirs: string[] = [];
const tempDir = async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-embedded-'));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
});

/** The pids of PostgreSQL servers running on a folder under `dir`. */
async function postgresOn(dir: string): Promise<number[]> {
  const { stdout } = await promisify(execFile)('ps', ['-eo', 'pid=,args=']);
  return stdout
    .split('\n')
    .filter((line) => line.includes('/postgres -D ') && line.includes(dir))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

/** Berth's app on a database, as `berth server` wires it (no loops, no listening socket). */
async function berthOn(database: Database, dataDir: string) {
  const config = loadConfig({ BERTH_ADMIN_PASSWORD: ADMIN.password, BERTH_DATA_DIR: dataDir });
  const berth = await createBerth(config, { database, without: ['resync', 'idle', 'e2bExpiry'] });
  const app: FastifyInstance = berth.app;
  const call = async (method: 'GET' | 'POST', url: string, headers: Record<string, string> = {}, payload?: object) => {
    const res = await app.inject({ method, url, headers: { ...headers, ...(method === 'POST' ? { origin: 'http://localhost' } : {}) }, ...(payload ? { payload } : {}) });
    return { status: res.statusCode, body: res.statusCode === 204 ? undefined : res.json() };
  };
  const login = async (username: string, password: string) => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
    expect(res.statusCode, res.body).toBe(200);
    return { cookie: `${res.cookies[0]!.name}=${res.cookies[0]!.value}` };
  };
  return { call, login, close: () => app.close() };
}

describe('the embedded database', () => {
  it("takes over an earlier Berth's PGlite database on its first start: users, passwords, tokens and the audit log, once", async () => {
    const dataDir = await tempDir();
    // What an earlier Berth left: its PGlite database in <data dir>/pgdata, written by Berth itself.
    const client = new PGlite({ dataDir: path.join(dataDir, 'pgdata') });
    const db = drizzle({ client, schema });
    await migrate(db, { migrationsFolder: MIGRATIONS });
    const old: Database = {
      db: db as unknown as Db,
      kind: 'embedded',
      ping: async () => undefined,
      listen: (channel, onPayload) => client.listen(channel, onPayload),
      close: () => client.close(),
    };
    const before = await berthOn(old, dataDir);
    const admin = await before.login(ADMIN.username, ADMIN.password);
    expect((await before.call('POST', '/api/v1/users', admin, { username: 'grace', password: 'a-long-enough-password' })).status).toBe(201);
    const grace = await before.login('grace', 'a-long-enough-password');
    const token = (await before.call('POST', '/api/v1/tokens', grace, { name: 'laptop' })).body as { token: string };
    const auditBefore = (await before.call('GET', '/api/v1/audit?limit=100', admin)).body as { items: { id: string; action: string }[] };
    expect(auditBefore.items.length).toBeGreaterThan(0);
    await before.close();
    await old.close();

    // This Berth: its own PostgreSQL, with everything above in it.
    const database = await openDatabase({ dataDir });
    try {
      expect(database.kind).toBe('embedded');
      const after = await berthOn(database, dataDir);
      const me = await after.call('GET', '/api/v1/me', { authorization: `Bearer ${token.token}` });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ username: 'grace' });
      const adminAgain = await after.login(ADMIN.username, ADMIN.password);
      await after.login('grace', 'a-long-enough-password');
      const auditAfter = (await after.call('GET', '/api/v1/audit?limit=100', adminAgain)).body as { items: { id: string; action: string }[] };
      // Every old row, and new ones numbered after them (the identity went on where it was).
      const oldIds = new Set(auditBefore.items.map((r) => r.id));
      expect(auditAfter.items.filter((r) => oldIds.has(r.id))).toHaveLength(oldIds.size);
      const newest = auditAfter.items.filter((r) => !oldIds.has(r.id));
      expect(newest.length).toBeGreaterThan(0);
      for (const row of newest) expect(BigInt(row.id)).toBeGreaterThan(BigInt(auditBefore.items[0]!.id));
      await after.close();
    } finally {
      await database.close();
    }
    // The PGlite folder is kept aside, and is not brought over again.
    await expect(fs.stat(path.join(dataDir, 'pgdata.imported'))).resolves.toBeTruthy();
    await expect(fs.stat(path.join(dataDir, 'pgdata'))).rejects.toThrow();
    const again = await openDatabase({ dataDir });
    try {
      const users = await again.db.select().from(schema.users);
      expect(users.map((u) => u.username).sort()).toEqual(['admin', 'grace']);
    } finally {
      await again.close();
    }
  }, 120_000);
});

describe('a Berth process on the embedded database', () => {
  let dataDir: string;
  const { start, crash, stopAll } = serverProcesses(() => ({ BERTH_DATA_DIR: dataDir, BERTH_ADMIN_PASSWORD: ADMIN.password }));
  beforeAll(async () => {
    dataDir = await tempDir();
  });
  afterAll(() => stopAll());

  it('is alone on its data directory; killed with SIGKILL, it takes its PostgreSQL with it, and the next Berth there has the data', async () => {
    const first = await start();
    const call = await signedInCall(first, ADMIN);
    expect((await call('POST', '/users', { username: 'linus', password: 'a-long-enough-password' })).status).toBe(201);
    expect(await postgresOn(dataDir)).not.toEqual([]);
    // One Berth per data directory: another is refused, and the first serves on.
    await expect(openDatabase({ dataDir })).rejects.toThrow(`Another Berth process (pid ${first.child.pid}) is using`);
    expect((await call('GET', '/users')).status).toBe(200);

    await crash(first);
    await waitFor('the orphaned PostgreSQL to stop', async () => (await postgresOn(dataDir)).length === 0, 20_000);

    const second = await start();
    const again = await signedInCall(second, ADMIN);
    const { body } = await again<{ items: { username: string }[] }>('GET', '/users');
    expect(body.items.map((u) => u.username)).toContain('linus');
  }, 180_000);
});
