import type { Environment } from '@berth/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_BUILD } from './support/paths.js';
import { startTestServer, type TestServer } from './support/server.js';
import { upgradeRequest } from './support/upgrade.js';

/** WebSocket upgrades on Berth's own origin, with the web app served (its wildcard route matches every path). */
let server: TestServer;
let url: string;
let bearer: Record<string, string>;
let environmentId: string;

beforeAll(async () => {
  server = await startTestServer({ BERTH_WEB_DIR: WEB_BUILD });
  url = await server.app.listen({ host: '127.0.0.1', port: 0 });
  const { caller } = await server.signUp('socketeer', 'a-long-enough-password');
  bearer = { authorization: `Bearer ${(await caller.post('/api/v1/tokens', { name: 'ws' })).json<{ token: string }>().token}` };
  const created = await caller.post('/api/v1/environments', { type: 'small' });
  expect(created.statusCode, created.body).toBe(202);
  environmentId = created.json<Environment>().id;
});

afterAll(async () => {
  await server?.close();
});

describe('WebSocket upgrades', () => {
  it.each([
    ['an unknown path', '/no/such/socket'],
    ['an unknown API path', '/api/v1/no-such-socket'],
    ['the web app', '/'],
    ['an HTTP-only API route', '/api/v1/me'],
    ['an HTTP-only public route', '/healthz'],
    ['the OpenAPI document', '/api/openapi.json'],
  ])('refuses an upgrade to %s with 404 problem+json, never 101', async (_what, path) => {
    const answer = await upgradeRequest(url, path, bearer);
    expect(answer.upgraded, `${path} switched protocols`).toBe(false);
    expect(answer.status).toBe(404);
    expect(answer.contentType).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(answer.body)).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('still upgrades a WebSocket route for a caller who may use it', async () => {
    const answer = await upgradeRequest(url, `/api/v1/environments/${environmentId}/events/ws`, bearer);
    expect(answer).toMatchObject({ status: 101, upgraded: true });
  });
});
