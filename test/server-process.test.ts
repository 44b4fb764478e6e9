import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchPostgres } from './support/database.js';
import { startServerProcess } from './support/process.js';

let dataDir: string;
let scratch: Awaited<ReturnType<typeof createScratchPostgres>>;
let databaseEnv: Record<string, string>;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-process-'));
  scratch = await createScratchPostgres();
  databaseEnv = scratch ? { DATABASE_URL: scratch.url } : { BERTH_DATA_DIR: dataDir };
});
afterAll(async () => {
  await scratch?.drop();
  await fs.rm(dataDir, { recursive: true, force: true });
});

async function login(url: string, username: string, password: string): Promise<Response> {
  return fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
}

describe('berth server as a process', () => {
  it('prints a generated admin password once, keeps data across a restart, and stops cleanly on SIGTERM', async () => {
    const first = await startServerProcess(databaseEnv);
    const password = /with password: (\S+)/.exec(first.output())?.[1];
    expect(password).toBeDefined();
    expect(password!.length).toBeGreaterThanOrEqual(20);
    // Nothing configured: the quick start runs, and says how to keep the signing key out of the database.
    expect(first.output()).toMatch(/BERTH_SECRET is not set.*openssl rand -hex 32/);

    const signIn = await login(first.url, 'admin', password!);
    expect(signIn.status).toBe(200);
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const created = await fetch(`${first.url}/api/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, origin: first.url },
      body: JSON.stringify({ username: 'grace', password: 'grace-password-123' }),
    });
    expect(created.status).toBe(201);
    // The password is not in the structured log, only in the one-time banner.
    expect(first.output().split(password!).length - 1).toBe(1);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('"msg":"stopped"');

    const second = await startServerProcess(databaseEnv);
    try {
      expect(second.output()).not.toContain('with password');
      expect((await login(second.url, 'grace', 'grace-password-123')).status).toBe(200);
      expect((await login(second.url, 'admin', password!)).status).toBe(200);
    } finally {
      second.child.kill('SIGINT');
      expect(await second.exited).toBe(0);
    }
    // Two cold starts of a real process: an embedded database's first start alone (initdb) takes seconds.
  }, 240_000);

  it('refuses a second server on the same embedded data directory while the first runs', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-lock-'));
    const first = await startServerProcess({ BERTH_DATA_DIR: dir });
    try {
      await expect(startServerProcess({ BERTH_DATA_DIR: dir }, 60_000)).rejects.toThrow(/Another Berth process \(pid \d+\) is using/);
    } finally {
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      await fs.rm(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('refuses to start with invalid configuration, listing every problem', async () => {
    await expect(startServerProcess({ ...databaseEnv, BERTH_PORT: 'seventy', BERTH_LOG_LEVEL: 'loud' }, 60_000)).rejects.toThrow(
      /BERTH_PORT[\s\S]*BERTH_LOG_LEVEL|BERTH_LOG_LEVEL[\s\S]*BERTH_PORT/,
    );
  }, 90_000);
});
