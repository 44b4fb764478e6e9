import type { Environment, EnvironmentStatus } from '@berth/contracts';
import type { Caller } from './server.js';

/** Thrown by a probe to stop waiting at once: the awaited state can no longer come. */
export class GaveUp extends Error {}

/** Polls `probe` until it returns a value, or fails with the last state seen after `timeoutMs`. */
export async function waitFor<T>(what: string | (() => string), probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
      last = value;
    } catch (err) {
      if (err instanceof GaveUp) throw err;
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}; last: ${String(last)}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Waits until the environment reaches `status` (failing early if it lands in error instead). */
export async function waitForStatus(caller: Caller, id: string, status: EnvironmentStatus, timeoutMs = 60_000): Promise<Environment> {
  let seen: Environment | undefined;
  return waitFor(
    () => `environment ${id} to be ${status} (last: ${seen?.status}, ${seen?.lastError})`,
    async () => {
      const res = await caller.get(`/api/v1/environments/${id}`);
      if (res.statusCode !== 200) throw new Error(`GET ${res.statusCode} ${res.body}`);
      seen = res.json<Environment>();
      if (seen.status === 'error' && status !== 'error') throw new GaveUp(`environment ${id} went to error: ${seen.lastError}`);
      return seen.status === status ? seen : undefined;
    },
    timeoutMs,
  );
}

/** Creates an environment and waits until it runs. */
export async function runningEnvironment(caller: Caller, body: Record<string, unknown> = { type: 'small' }, timeoutMs?: number): Promise<Environment> {
  const res = await caller.post('/api/v1/environments', body);
  if (res.statusCode !== 202) throw new Error(`create: ${res.statusCode} ${res.body}`);
  return waitForStatus(caller, res.json<Environment>().id, 'running', timeoutMs);
}
