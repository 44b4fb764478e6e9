import type { RuntimeClass } from '@berth/contracts';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors.js';
import type { RuntimeNode } from '../../runtime/driver.js';
import { createRuntimeClasses, strongest } from './runtime-classes.js';

const node = (runtimeClasses: RuntimeClass[], over: Partial<RuntimeNode> = {}): RuntimeNode => ({
  id: 'local',
  name: 'host',
  role: 'standalone',
  state: 'ready',
  availability: 'active',
  address: null,
  labels: {},
  resources: { vcpus: 2, memoryMb: 4096 },
  engineVersion: null,
  engine: 'manager',
  runtimeClasses,
  ...over,
});

/** A runtime whose nodes are whatever the test says now, counting how often it is asked. */
function engines(items: RuntimeNode[]) {
  const state = { items, asked: 0 };
  const runtime = {
    nodes: async () => {
      state.asked++;
      return { swarm: false, items: state.items };
    },
  };
  return { state, runtime };
}

describe('strongest', () => {
  it('is sandboxed when anything asks for it, standard otherwise', () => {
    expect(strongest('standard', null, undefined)).toBe('standard');
    expect(strongest('standard', 'sandboxed')).toBe('sandboxed');
    expect(strongest(undefined, 'sandboxed', 'standard')).toBe('sandboxed');
  });
});

describe('runtime classes', () => {
  it('are the classes of nodes that are up and reachable, asked once per ttl', async () => {
    const { state, runtime } = engines([node(['standard']), node(['standard', 'sandboxed'], { id: 'b', state: 'down' })]);
    const classes = createRuntimeClasses({ runtime, untrusted: 'sandboxed', ttlMs: 60_000 });
    expect(await classes.offered()).toEqual(['standard']);
    expect(await classes.offered()).toEqual(['standard']);
    expect(state.asked).toBe(1);
    state.items = [node(['standard']), node(['standard', 'sandboxed'], { id: 'b' })];
    expect(await classes.offered(true)).toEqual(['standard', 'sandboxed']);
  });

  it('refuses a class not offered with runtime_class_unavailable, and asks the engines again next time', async () => {
    const { state, runtime } = engines([node(['standard'])]);
    const classes = createRuntimeClasses({ runtime, untrusted: 'sandboxed', ttlMs: 60_000 });
    const offered = await classes.offered();
    expect(() => classes.check('standard', offered)).not.toThrow();
    let refusal: unknown;
    try {
      classes.check('sandboxed', offered);
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(AppError);
    expect((refusal as AppError).code).toBe('runtime_class_unavailable');
    // gVisor registered meanwhile (a SIGHUP to the engine): the retry sees it, ttl or not.
    state.items = [node(['standard', 'sandboxed'])];
    const again = await classes.offered();
    expect(state.asked).toBe(2);
    expect(() => classes.check('sandboxed', again)).not.toThrow();
  });

  it('runs agents\' code sandboxed where it can, standard where it cannot or is told so', async () => {
    const withGvisor = engines([node(['standard', 'sandboxed'])]).runtime;
    const without = engines([node(['standard'])]).runtime;
    expect(await createRuntimeClasses({ runtime: withGvisor, untrusted: 'sandboxed' }).forUntrusted()).toBe('sandboxed');
    expect(await createRuntimeClasses({ runtime: without, untrusted: 'sandboxed' }).forUntrusted()).toBe('standard');
    expect(await createRuntimeClasses({ runtime: withGvisor, untrusted: 'standard' }).forUntrusted()).toBe('standard');
  });
});
