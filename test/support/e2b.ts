import { expect } from 'vitest';
import { ADMIN, startTestServer, type Caller, type TestServer } from './server.js';

/** What E2B's create answers (the fields tests use). */
export interface SandboxHandle {
  sandboxID: string;
  envdAccessToken: string;
  envdVersion: string;
  templateID: string;
}

/** Creates a sandbox through Berth's E2B API with a raw request, as an agent's SDK would. */
export async function createSandbox(baseUrl: string, apiKey: string, path = '/v2/sandboxes'): Promise<SandboxHandle> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ templateID: 'base' }),
  });
  const body = await res.text();
  expect(res.status, body).toBe(201);
  return JSON.parse(body) as SandboxHandle;
}

/** Kills a sandbox through the E2B API (204 when it existed). */
export async function killSandbox(baseUrl: string, apiKey: string, sandboxId: string): Promise<number> {
  return (await fetch(`${baseUrl}/sandboxes/${sandboxId}`, { method: 'DELETE', headers: { 'x-api-key': apiKey } })).status;
}

/** A user who runs agents: signed up, given room for several sandboxes, with an API token (their E2B API key). */
export interface AgentUser {
  id: string;
  caller: Caller;
  apiKey: string;
}

export async function agentUser(server: TestServer, admin: Caller, username: string, quota: Record<string, unknown> = { credits: 20, maxEnvironments: 20 }): Promise<AgentUser> {
  const { id, caller } = await server.signUp(username, 'a-long-enough-password');
  const patched = await admin.patch(`/api/v1/users/${id}/quota`, quota);
  expect(patched.statusCode, patched.body).toBe(200);
  const token = await caller.post('/api/v1/tokens', { name: 'agent' });
  expect(token.statusCode, token.body).toBe(201);
  return { id, caller, apiKey: token.json<{ token: string }>().token };
}

/** A test server listening on a real port (the SDK talks HTTP), with the admin signed in. */
export async function startE2bServer(env: Record<string, string> = {}): Promise<{ server: TestServer; url: string; admin: Caller }> {
  const server = await startTestServer(env);
  const url = await server.app.listen({ host: '127.0.0.1', port: 0 });
  return { server, url, admin: await server.login(ADMIN.username, ADMIN.password) };
}
