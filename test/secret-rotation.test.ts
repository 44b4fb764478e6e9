import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyring } from '../packages/server/src/keyring.js';
import { agentUser, createSandbox, startE2bServer } from './support/e2b.js';
import type { TestServer } from './support/server.js';

// Two keys of the operator's: the one Berth ran with until now, and the one it was rotated to.
const OLD = 'old-berth-secret-'.padEnd(48, '0');
const NEW = 'new-berth-secret-'.padEnd(48, '1');

interface Running {
  server: TestServer;
  url: string;
  sandboxId: string;
  /** The access token Berth's create answered with. */
  minted: string;
}

async function withSandbox(env: Record<string, string>, username: string): Promise<Running> {
  const { server, url, admin } = await startE2bServer(env);
  const agent = await agentUser(server, admin, username);
  const handle = await createSandbox(url, agent.apiKey);
  return { server, url, sandboxId: handle.sandboxID, minted: handle.envdAccessToken };
}

/** The in-sandbox API's health check, which needs the sandbox's access token. */
const envdHealth = async ({ url, sandboxId }: Running, token: string) =>
  (await fetch(`${url}/health`, { headers: { 'e2b-sandbox-id': sandboxId, 'x-access-token': token } })).status;

/** What a Berth running with only this key handed out for the sandbox. */
const tokenUnder = (key: string, sandboxId: string) => createKeyring(key).sign('e2b-envd', sandboxId);

let rotating: Running;
let rotated: Running;
beforeAll(async () => {
  [rotating, rotated] = await Promise.all([
    withSandbox({ BERTH_SECRET: NEW, BERTH_SECRET_PREVIOUS: OLD }, 'rotating-agent'),
    withSandbox({ BERTH_SECRET: NEW }, 'rotated-agent'),
  ]);
}, 120_000);
afterAll(async () => {
  await Promise.all([rotating?.server.close(), rotated?.server.close()]);
});

describe('BERTH_SECRET keys the envd access tokens', () => {
  it('mints tokens under BERTH_SECRET, not the key in the database', async () => {
    expect(rotated.minted).toBe(tokenUnder(NEW, rotated.sandboxId));
    expect(await envdHealth(rotated, rotated.minted)).toBe(204);
  });

  it('while rotating, mints under the new key and still accepts a token minted under BERTH_SECRET_PREVIOUS', async () => {
    expect(rotating.minted).toBe(tokenUnder(NEW, rotating.sandboxId));

    expect(await envdHealth(rotating, tokenUnder(OLD, rotating.sandboxId))).toBe(204);
    expect(await envdHealth(rotating, rotating.minted)).toBe(204);
  });

  it('refuses a token minted under the old key once BERTH_SECRET_PREVIOUS is removed', async () => {
    expect(await envdHealth(rotated, tokenUnder(OLD, rotated.sandboxId))).toBe(401);
  });

  it('refuses, while rotating, a token under neither key and another sandbox\'s token', async () => {
    expect(await envdHealth(rotating, tokenUnder('some-other-key'.padEnd(40, '2'), rotating.sandboxId))).toBe(401);
    expect(await envdHealth(rotating, tokenUnder(OLD, rotated.sandboxId))).toBe(401);
  });
});
