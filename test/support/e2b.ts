import { expect } from 'vitest';

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
