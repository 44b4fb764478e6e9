import type { Environment, ExecResult } from '@berth/contracts';
import { expect } from 'vitest';
import type { Caller } from './server.js';

/** Creates an environment (202) and returns it as the create answered. */
export async function createEnvironment(caller: Caller, body: Record<string, unknown> = { type: 'small' }): Promise<Environment> {
  const res = await caller.post('/api/v1/environments', body);
  expect(res.statusCode, res.body).toBe(202);
  return res.json<Environment>();
}

/** Runs a command (a string runs with `bash -lc`) in a running environment: the exec API's answer. */
export async function execIn(caller: Caller, id: string, command: string | string[], timeoutMs?: number): Promise<ExecResult> {
  const res = await caller.post(`/api/v1/environments/${id}/exec`, { command, ...(timeoutMs ? { timeoutMs } : {}) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<ExecResult>();
}
