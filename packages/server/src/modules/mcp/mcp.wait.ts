import type { Environment } from '@berth/contracts';
import type { RequestContext } from '../../context.js';
import type { EventBus } from '../../control/event-bus.js';
import { BerthError } from '../../errors.js';
import type { EnvironmentsService } from '../environments/environments.service.js';

interface Deps {
  environments: Pick<EnvironmentsService, 'get'>;
  bus: Pick<EventBus, 'subscribe'>;
}

/** How the wait ended: it runs, it failed, it was stopped or deleted meanwhile, or the time ran out first. */
export type WaitOutcome = 'running' | 'error' | 'stopped' | 'timeout';

/**
 * Follows an environment until it runs, or something else settles it, or the
 * time runs out, or `signal` aborts (the client cancelled the call). Re-read at
 * each of its events, as the caller sees it, so access lost meanwhile fails the wait.
 */
export async function untilRunning({ environments, bus }: Deps, ctx: RequestContext, id: string, timeoutMs: number, signal?: AbortSignal): Promise<{ env: Environment; state: WaitOutcome }> {
  let last = await environments.get(ctx, id);
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (state: WaitOutcome | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe();
      signal?.removeEventListener('abort', aborted);
      if (state instanceof Error) reject(state);
      else resolve({ env: last, state });
    };
    const settle = (env: Environment) => {
      last = env;
      if (env.status === 'running' && env.desiredState === 'running') finish('running');
      else if (env.status === 'error') finish('error');
      else if (env.desiredState !== 'running') finish('stopped');
    };
    const check = () => void environments.get(ctx, id).then(settle, (err: Error) => finish(err));
    const aborted = () => finish(new BerthError('cancelled', 499, 'The call was cancelled'));
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    const unsubscribe = bus.subscribe(id, check);
    signal?.addEventListener('abort', aborted, { once: true });
    settle(last);
    // Events written between the first read and the subscription would otherwise be missed.
    if (!settled) check();
  });
}
