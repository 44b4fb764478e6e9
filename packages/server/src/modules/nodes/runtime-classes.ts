import type { RuntimeClass } from '@berth/contracts';
import { AppError } from '../../errors.js';
import type { RuntimeDriver } from '../../runtime/driver.js';

interface Deps {
  runtime: Pick<RuntimeDriver, 'nodes'>;
  /** What E2B sandboxes and MCP's run_code ask for (BERTH_UNTRUSTED_RUNTIME_CLASS). */
  untrusted: 'sandboxed' | 'standard';
  /** How long what the engines said stands before they are asked again. */
  ttlMs?: number;
}

/** The stronger of two classes: an environment runs under the strongest its type, template and create ask for. */
export function strongest(...classes: readonly (RuntimeClass | null | undefined)[]): RuntimeClass {
  return classes.includes('sandboxed') ? 'sandboxed' : 'standard';
}

/**
 * Which runtime classes environments can be created with: those some node's engine offers (a lone
 * engine's, or a swarm's ready nodes'). Read at start and at most every `ttlMs` after, and again
 * after a refusal, so registering gVisor with the engine (a SIGHUP, no restart of Berth) is seen
 * within `ttlMs`, or at once by a create retried after one was refused.
 */
export function createRuntimeClasses({ runtime, untrusted, ttlMs = 30_000 }: Deps) {
  let seen: { at: number; classes: RuntimeClass[] } | undefined;

  /** Callers asking while the engines are being asked share that one question (thirty creates at once ask once). */
  let asking: Promise<RuntimeClass[]> | undefined;
  async function offered(fresh = false): Promise<RuntimeClass[]> {
    if (!fresh && seen && Date.now() - seen.at < ttlMs) return seen.classes;
    asking ??= (async () => {
      const { items } = await runtime.nodes();
      const classes = new Set(items.filter((n) => n.state === 'ready' && n.engine).flatMap((n) => n.runtimeClasses));
      seen = { at: Date.now(), classes: (['standard', 'sandboxed'] as const).filter((c) => classes.has(c)) };
      return seen.classes;
    })().finally(() => (asking = undefined));
    return asking;
  }

  /**
   * Refuses a class not in `offered` (what `offered()` answered before the caller's transaction) with
   * `runtime_class_unavailable`, before anything is recorded: never a late failure. The next call
   * asks the engines again, so one registered meanwhile is seen by a retry.
   */
  function check(cls: RuntimeClass, offeredNow: readonly RuntimeClass[]): void {
    // Every engine runs plain containers.
    if (cls === 'standard' || offeredNow.includes(cls)) return;
    seen = undefined;
    throw new AppError(
      'runtime_class_unavailable',
      cls === 'sandboxed'
        ? 'No engine Berth drives has gVisor (runsc) registered, so nothing can run sandboxed here; an administrator installs it (scripts/setup-docker.sh)'
        : `No engine Berth drives offers the ${cls} runtime class`,
    );
  }

  /** What code from an agent (an E2B sandbox, run_code) runs under: sandboxed where an engine offers it, unless configured otherwise. */
  async function forUntrusted(): Promise<RuntimeClass> {
    return untrusted === 'sandboxed' && (await offered()).includes('sandboxed') ? 'sandboxed' : 'standard';
  }

  return { offered, check, forUntrusted };
}

export type RuntimeClasses = ReturnType<typeof createRuntimeClasses>;
