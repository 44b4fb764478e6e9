import { describe, expect, it } from 'vitest';
import type { RuntimeDriver, RuntimeProcess, SpawnRequest } from '../../runtime/driver.js';
import { createEnvdProcesses, type ProcessEvent } from './envd.processes.js';

/** A process that prints two chunks before spawn() returns, then waits to be told more. */
function fakeRuntime() {
  let onOutput: SpawnRequest['onOutput'] | undefined;
  const proc = {
    write: async () => {},
    closeStdin: () => {},
    resize: async () => {},
    kill: async () => {},
    exited: () => new Promise<number>(() => {}),
  } as unknown as RuntimeProcess;
  const runtime: Pick<RuntimeDriver, 'spawn'> = {
    spawn: async (_id, request) => {
      onOutput = request.onOutput;
      void request.onOutput('stdout', Buffer.from('early-1'));
      void request.onOutput('stdout', Buffer.from('early-2'));
      return proc;
    },
  };
  return { runtime, print: (text: string) => onOutput?.('stdout', Buffer.from(text)) };
}

const settled = async (promise: unknown) => {
  let done = false;
  void Promise.resolve(promise).then(() => (done = true));
  // Lets every already-settled promise run its callbacks; nothing here waits on time.
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

describe('envd processes: a slow listener sets the pace', () => {
  it('holds the output back until the listener has taken every event it was handed, not only the first', async () => {
    const { runtime, print } = fakeRuntime();
    const processes = createEnvdProcesses({ runtime, maxPerUser: 10 });
    const taken: (() => void)[] = [];
    const seen: ProcessEvent[] = [];
    const listener = (event: ProcessEvent) => {
      seen.push(event);
      return new Promise<void>((resolve) => taken.push(resolve));
    };
    await processes.start('env-1', { ownerId: 'u', config: { cmd: 'yes', args: [], envs: {} }, stdin: false, listener });
    expect(seen).toHaveLength(3); // start, early-1, early-2
    const next = print('more');
    expect(await settled(next)).toBe(false);

    taken[0]!(); // only the start event is taken
    expect(await settled(next)).toBe(false);
    taken.slice(1).forEach((take) => take());
    expect(await settled(next)).toBe(true);
  });

  it('lets the output go on once a listener that is still behind detaches', async () => {
    const { runtime, print } = fakeRuntime();
    const processes = createEnvdProcesses({ runtime, maxPerUser: 10 });
    const listener = () => new Promise<void>(() => {});
    const pid = await processes.start('env-1', { ownerId: 'u', config: { cmd: 'yes', args: [], envs: {} }, stdin: false, listener });
    const next = print('more');
    expect(await settled(next)).toBe(false);
    processes.detach('env-1', pid, listener);
    expect(await settled(next)).toBe(true);
  });
});
