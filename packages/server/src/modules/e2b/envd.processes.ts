import type { RuntimeDriver, RuntimeProcess } from '../../runtime/driver.js';
import { endEvent } from './e2b.domain.js';
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

export type Listener = (event: ProcessEvent) => void;

interface Entry {
  pid: number;
  tag?: string;
  config: ProcessConfig;
  tty: boolean;
  proc?: RuntimeProcess;
  listeners: Set<Listener>;
  killed: boolean;
}

export interface StartOptions {
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
export function createEnvdProcesses({ runtime }: { runtime: Pick<RuntimeDriver, 'spawn'> }) {
  const byEnvironment = new Map<string, Map<number, Entry>>();
  let nextPid = 1000;

  function table(environmentId: string): Map<number, Entry> {
    let entries = byEnvironment.get(environmentId);
    if (!entries) byEnvironment.set(environmentId, (entries = new Map()));
    return entries;
  }

  const emit = (entry: Entry, event: ProcessEvent) => entry.listeners.forEach((listener) => listener(event));

  async function start(environmentId: string, opts: StartOptions): Promise<number> {
    const entry: Entry = { pid: nextPid++, tag: opts.tag, config: opts.config, tty: Boolean(opts.tty), listeners: new Set([opts.listener]), killed: false };
    // Output can arrive before spawn() returns; it waits here so `start` always comes first.
    let early: ProcessEvent[] | null = [];
    const output = (event: ProcessEvent) => (early ? early.push(event) : emit(entry, event));
    entry.proc = await runtime.spawn(environmentId, {
      argv: [opts.config.cmd, ...opts.config.args],
      cwd: opts.config.cwd,
      env: opts.config.envs,
      stdin: opts.stdin,
      tty: opts.tty,
      onOutput: (stream, chunk) => output({ data: stream === 'stdout' ? { stdout: chunk } : stream === 'stderr' ? { stderr: chunk } : { pty: chunk } }),
    });
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
        if (entries.size === 0) byEnvironment.delete(environmentId);
        emit(entry, { end: endEvent(exitCode, entry.killed) });
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
      listener({ start: { pid: entry.pid } });
      entry.listeners.add(listener);
      return () => entry.listeners.delete(listener);
    },

    detach(environmentId: string, pid: number, listener: Listener): void {
      byEnvironment.get(environmentId)?.get(pid)?.listeners.delete(listener);
    },

    list(environmentId: string): { pid: number; tag?: string; config: ProcessConfig }[] {
      return [...(byEnvironment.get(environmentId)?.values() ?? [])].map(({ pid, tag, config }) => ({ pid, tag, config }));
    },

    sendInput(environmentId: string, selector: Selector, data: Buffer): void {
      find(environmentId, selector).proc.write(data);
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
