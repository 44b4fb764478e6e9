import type { RuntimeDriver, RuntimeProcess } from '../../runtime/driver.js';
import { endEvent } from './e2b.domain.js';
import { AppError } from '../../errors.js';
import { EnvdError } from './e2b.errors.js';

export interface ProcessConfig {
  cmd: string;
  args: string[];
  envs: Record<string, string>;
  cwd?: string;
}

export type ProcessEvent =
  | { start: { pid: number } }
  | { data: { stdout: Buffer } | { stderr: Buffer } | { pty: Buffer } }
  | { end: ReturnType<typeof endEvent> };

/** Takes one event; a promise returned means "not yet": the process's output waits until it settles. */
export type Listener = (event: ProcessEvent) => void | Promise<void>;

interface Entry {
  pid: number;
  ownerId: string;
  tag?: string;
  config: ProcessConfig;
  tty: boolean;
  proc?: RuntimeProcess;
  listeners: Set<Listener>;
  /** Listeners still taking earlier events, with how many each has in hand; the output waits for them, or for them to detach. */
  behind: Map<Listener, number>;
  caughtUp?: { promise: Promise<void>; resolve: () => void };
  killed: boolean;
}

export interface StartOptions {
  /** Whose process it is: the sandbox's owner, whose running processes are capped. */
  ownerId: string;
  config: ProcessConfig;
  tag?: string;
  stdin: boolean;
  tty?: { cols: number; rows: number };
  /** Added before the process starts, so it sees every event from `start` on. */
  listener: Listener;
}

export type Selector = { pid: number } | { tag: string };

/**
 * The processes started through E2B's process service, per environment, with
 * small pids of our own. A process belongs to the sandbox, not to the request
 * that started it: a client that disconnects leaves it running, and `Connect`
 * attaches again. Held in this process's memory, like terminal sessions.
 */
export function createEnvdProcesses({ runtime, maxPerUser }: { runtime: Pick<RuntimeDriver, 'spawn'>; maxPerUser: number }) {
  const byEnvironment = new Map<string, Map<number, Entry>>();
  /** Every process from the moment its start is asked for until it has ended: what the cap counts. */
  const live = new Set<Entry>();
  let nextPid = 1000;

  function table(environmentId: string): Map<number, Entry> {
    let entries = byEnvironment.get(environmentId);
    if (!entries) byEnvironment.set(environmentId, (entries = new Map()));
    return entries;
  }

  /** Refuses with 429 process_limit when the user already runs as many processes as allowed. */
  function checkLimit(ownerId: string): void {
    const running = [...live].filter((e) => e.ownerId === ownerId).length;
    if (running >= maxPerUser) throw new AppError('process_limit', `A user may run ${maxPerUser} sandbox processes at once; wait for one to end or kill one`);
  }

  /** One event taken by the listener (or all of them, when it detaches). */
  const caughtUp = (entry: Entry, listener: Listener, all = false) => {
    const pending = (entry.behind.get(listener) ?? 0) - 1;
    if (pending > 0 && !all) entry.behind.set(listener, pending);
    else entry.behind.delete(listener);
    if (entry.behind.size > 0 || !entry.caughtUp) return;
    entry.caughtUp.resolve();
    entry.caughtUp = undefined;
  };

  /**
   * Hands the event to every listener. While any of them is still taking an
   * earlier one, the answer is a promise that holds the process's output back:
   * its slowest attached reader sets its pace, as a pipe would, and a reader
   * that detaches stops holding it.
   */
  function emit(entry: Entry, event: ProcessEvent): Promise<void> | undefined {
    for (const listener of entry.listeners) {
      const wait = listener(event);
      if (!wait) continue;
      entry.behind.set(listener, (entry.behind.get(listener) ?? 0) + 1);
      const done = () => caughtUp(entry, listener);
      wait.then(done, done);
    }
    if (entry.behind.size === 0) return undefined;
    if (!entry.caughtUp) {
      let resolve = () => {};
      const promise = new Promise<void>((r) => (resolve = r));
      entry.caughtUp = { promise, resolve };
    }
    return entry.caughtUp.promise;
  }

  const detachListener = (entry: Entry, listener: Listener) => {
    entry.listeners.delete(listener);
    caughtUp(entry, listener, true);
  };

  async function start(environmentId: string, opts: StartOptions): Promise<number> {
    // Counted before the first await, so parallel starts cannot all slip under the cap.
    checkLimit(opts.ownerId);
    const entry: Entry = { pid: nextPid++, ownerId: opts.ownerId, tag: opts.tag, config: opts.config, tty: Boolean(opts.tty), listeners: new Set([opts.listener]), behind: new Map(), killed: false };
    live.add(entry);
    // Output can arrive before spawn() returns; it waits here so `start` always comes first.
    let early: ProcessEvent[] | null = [];
    const output = (event: ProcessEvent) => (early ? void early.push(event) : emit(entry, event));
    try {
      entry.proc = await runtime.spawn(environmentId, {
        argv: [opts.config.cmd, ...opts.config.args],
        cwd: opts.config.cwd,
        env: opts.config.envs,
        stdin: opts.stdin,
        tty: opts.tty,
        onOutput: (stream, chunk) => output({ data: stream === 'stdout' ? { stdout: chunk } : stream === 'stderr' ? { stderr: chunk } : { pty: chunk } }),
      });
    } catch (err) {
      live.delete(entry);
      throw err;
    }
    const entries = table(environmentId);
    entries.set(entry.pid, entry);
    emit(entry, { start: { pid: entry.pid } });
    const pending = early;
    early = null;
    pending.forEach((event) => emit(entry, event));

    void entry.proc
      .exited()
      .catch(() => null)
      .then((exitCode) => {
        entries.delete(entry.pid);
        live.delete(entry);
        if (entries.size === 0) byEnvironment.delete(environmentId);
        void emit(entry, { end: endEvent(exitCode, entry.killed) });
        entry.listeners.clear();
      });
    return entry.pid;
  }

  function find(environmentId: string, selector: Selector): Entry & { proc: RuntimeProcess } {
    const entries = byEnvironment.get(environmentId);
    const entry = 'pid' in selector ? entries?.get(selector.pid) : [...(entries?.values() ?? [])].find((e) => e.tag === selector.tag);
    if (!entry?.proc) throw new EnvdError('not_found', `process ${'pid' in selector ? `with pid ${selector.pid}` : `tagged "${selector.tag}"`} not found`);
    return entry as Entry & { proc: RuntimeProcess };
  }

  return {
    start,

    /** Follows a running process from now on: `start`, then live output, then `end`. Returns the detach function. */
    attach(environmentId: string, selector: Selector, listener: Listener): () => void {
      const entry = find(environmentId, selector);
      void listener({ start: { pid: entry.pid } });
      entry.listeners.add(listener);
      return () => detachListener(entry, listener);
    },

    /** Stops following: the process lives on, and no longer waits for this listener. */
    detach(environmentId: string, pid: number, listener: Listener): void {
      const entry = byEnvironment.get(environmentId)?.get(pid);
      if (entry) detachListener(entry, listener);
    },

    list(environmentId: string): { pid: number; tag?: string; config: ProcessConfig }[] {
      return [...(byEnvironment.get(environmentId)?.values() ?? [])].map(({ pid, tag, config }) => ({ pid, tag, config }));
    },

    /** Resolves once the input is on its way (the caller's answer waits, so input cannot pile up here). */
    sendInput(environmentId: string, selector: Selector, data: Buffer): Promise<void> {
      return find(environmentId, selector).proc.write(data);
    },

    closeStdin(environmentId: string, selector: Selector): void {
      find(environmentId, selector).proc.closeStdin();
    },

    /** envd's Update: a new terminal size, if given, for a process that must exist either way. */
    async update(environmentId: string, selector: Selector, size: { cols: number; rows: number } | undefined): Promise<void> {
      const entry = find(environmentId, selector);
      if (!size) return;
      if (!entry.tty) throw new EnvdError('invalid_argument', `process ${entry.pid} has no terminal to resize`);
      await entry.proc.resize(size.cols, size.rows);
    },

    async kill(environmentId: string, selector: Selector): Promise<void> {
      const entry = find(environmentId, selector);
      entry.killed = true;
      await entry.proc.kill();
    },
  };
}

export type EnvdProcesses = ReturnType<typeof createEnvdProcesses>;
