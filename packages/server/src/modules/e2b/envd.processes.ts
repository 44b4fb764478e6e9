import type { RuntimeDriver } from '../../runtime/driver.js';
import { endEvent } from './e2b.domain.js';
import { AppError } from '../../errors.js';
import { EnvdError } from './e2b.errors.js';
import { frame, type HeldEnd, type HeldProcesses } from './envd.held.js';

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

/** A process as this Berth process drives it: an exec of its own, or a connection to its holder in the environment. */
interface Proc {
  write(data: Buffer): Promise<void>;
  closeStdin(): void;
  resize(cols: number, rows: number): Promise<void>;
  kill(): Promise<void>;
  /** How it ended; null when only this connection to it did (it is held, and lives on). */
  ended(): Promise<HeldEnd | null>;
  /** Stops following a held process (it lives on); absent for an exec of this process's own. */
  leave?(): void;
}

type Followed = Entry & { proc: Proc };

interface Entry {
  pid: number;
  ownerId?: string;
  tag?: string;
  config: ProcessConfig;
  tty: boolean;
  /** Started through this Berth process (counted against its owner's cap), not attached to later. */
  origin: boolean;
  proc?: Proc;
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
  /** Where processes are held: the holder kills it this long after its start (0: never), even with no Berth process left. */
  deadlineMs?: number;
}

export type Selector = { pid: number } | { tag: string };

/**
 * The processes started through E2B's process service, per environment. A process belongs to the
 * sandbox, not to the request that started it: a client that disconnects leaves it running, and
 * `Connect` attaches again.
 *
 * With `held` (berth-hold built), each process runs under a holder of its own in the environment,
 * its pid the holder's: any Berth process lists, follows, feeds and kills it, and it outlives the
 * Berth process that started it. This process keeps one connection per process it follows, shared
 * by its listeners. Without, processes are execs of this Berth process, with small pids of its own.
 * The cap per user counts the processes started through this Berth process.
 */
export function createEnvdProcesses({ runtime, maxPerUser, held }: { runtime: Pick<RuntimeDriver, 'spawn'>; maxPerUser: number; held?: HeldProcesses }) {
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

  /** Output that arrives before the process's `start` was told waits until `flush`, so `start` always comes first. */
  function heldBack(entry: Entry) {
    let early: ProcessEvent[] | null = [];
    return {
      onOutput: (stream: 'stdout' | 'stderr' | 'pty', chunk: Buffer) => {
        const event: ProcessEvent = { data: stream === 'stdout' ? { stdout: chunk } : stream === 'stderr' ? { stderr: chunk } : { pty: chunk } };
        return early ? void early.push(event) : emit(entry, event);
      },
      flush: () => {
        const pending = early ?? [];
        early = null;
        pending.forEach((event) => emit(entry, event));
      },
    };
  }

  /** Hands the process's end to its listeners and forgets it (here; a held one is gone from its holder too). */
  function finish(environmentId: string, entry: Entry, end: HeldEnd | null): void {
    forget(environmentId, entry);
    live.delete(entry);
    // A connection that ended while its process lives on (we left it) has nothing to tell.
    if (end || entry.origin) void emit(entry, { end: endEvent(end?.exitCode ?? null, entry.killed || Boolean(end?.killed), end?.lost) });
    entry.listeners.clear();
  }

  async function start(environmentId: string, opts: StartOptions): Promise<number> {
    // Counted before the first await, so parallel starts cannot all slip under the cap.
    checkLimit(opts.ownerId);
    const entry: Entry = { pid: 0, ownerId: opts.ownerId, tag: opts.tag, config: opts.config, tty: Boolean(opts.tty), origin: true, listeners: new Set([opts.listener]), behind: new Map(), killed: false };
    live.add(entry);
    const { onOutput, flush } = heldBack(entry);
    try {
      if (held) {
        const meta = { ...(opts.tag ? { tag: opts.tag } : {}), config: opts.config, tty: Boolean(opts.tty) };
        const proc = await held.start(environmentId, { meta, stdin: opts.stdin, tty: opts.tty, timeoutMs: opts.deadlineMs ?? 0, onOutput });
        entry.pid = proc.pid;
        entry.proc = proc;
      } else {
        const proc = await runtime.spawn(environmentId, { argv: [opts.config.cmd, ...opts.config.args], cwd: opts.config.cwd, env: opts.config.envs, stdin: opts.stdin, tty: opts.tty, onOutput });
        entry.pid = nextPid++;
        entry.proc = { ...proc, ended: () => proc.exited().catch(() => null).then((exitCode) => ({ exitCode, killed: false, timedOut: false })) };
      }
    } catch (err) {
      live.delete(entry);
      throw err;
    }
    table(environmentId).set(entry.pid, entry);
    emit(entry, { start: { pid: entry.pid } });
    flush();
    void entry.proc.ended().then((end) => finish(environmentId, entry, end));
    return entry.pid;
  }

  const notFound = (selector: Selector) => new EnvdError('not_found', `process ${'pid' in selector ? `with pid ${selector.pid}` : `tagged "${selector.tag}"`} not found`);

  /**
   * The process as this Berth process follows it. Undefined when it does not (with held processes,
   * its holder may still have it); without, a process not here does not exist: not found.
   */
  function here(environmentId: string, selector: Selector): Followed | undefined {
    const entries = byEnvironment.get(environmentId);
    const entry = 'pid' in selector ? entries?.get(selector.pid) : [...(entries?.values() ?? [])].find((e) => e.tag === selector.tag);
    if (entry?.proc) return entry as Followed;
    if (!held) throw notFound(selector);
    return undefined;
  }

  /** Forgets the entry here (unless a newer one has its pid by now). */
  function forget(environmentId: string, entry: Entry): void {
    const entries = byEnvironment.get(environmentId);
    if (entries?.get(entry.pid) === entry) entries.delete(entry.pid);
    if (entries?.size === 0) byEnvironment.delete(environmentId);
  }

  /** A process held in the environment (when processes are held), as its holder describes it. */
  async function heldOne(environmentId: string, selector: Selector) {
    const found = held && (await held.list(environmentId)).find((p) => ('pid' in selector ? p.pid === selector.pid : p.tag === selector.tag));
    if (!found) throw notFound(selector);
    return found;
  }

  /** Something to do to a process: through this Berth process's connection when it has one, or else one of the moment to its holder. */
  async function control(environmentId: string, selector: Selector, local: (entry: Followed) => Promise<void>, frames: () => Buffer[]): Promise<void> {
    const entry = here(environmentId, selector);
    if (entry) return local(entry);
    const pid = 'pid' in selector ? selector.pid : (await heldOne(environmentId, selector)).pid;
    if (!(await held!.control(environmentId, pid, frames()))) throw notFound(selector);
  }

  /** Follows a process held in the environment that this Berth process does not follow yet. */
  async function follow(environmentId: string, selector: Selector): Promise<Followed> {
    const meta = await heldOne(environmentId, selector);
    const entry: Entry = { pid: meta.pid, tag: meta.tag, config: meta.config, tty: meta.tty, origin: false, listeners: new Set(), behind: new Map(), killed: false };
    const { onOutput, flush } = heldBack(entry);
    const proc = await held!.attach(environmentId, meta.pid, onOutput);
    if (!proc) throw notFound(selector);
    // Another request may have started following it meanwhile: share that connection.
    const already = here(environmentId, { pid: meta.pid });
    if (already) {
      proc.leave();
      return already;
    }
    entry.proc = proc;
    table(environmentId).set(entry.pid, entry);
    flush();
    void proc.ended().then((end) => finish(environmentId, entry, end));
    return entry as Followed;
  }

  /**
   * A listener gone: a connection that only followed (it started nothing) is left once nobody
   * listens, and forgotten at once, so a Connect meanwhile makes a new one rather than join it.
   */
  function release(environmentId: string, entry: Entry, listener: Listener): void {
    detachListener(entry, listener);
    if (entry.origin || entry.listeners.size > 0) return;
    forget(environmentId, entry);
    entry.proc?.leave?.();
  }

  return {
    start,

    /** Follows a running process from now on: `start`, then live output, then `end`. Resolves with the detach function. */
    async attach(environmentId: string, selector: Selector, listener: Listener): Promise<() => void> {
      const entry = here(environmentId, selector) ?? (await follow(environmentId, selector));
      void listener({ start: { pid: entry.pid } });
      entry.listeners.add(listener);
      return () => release(environmentId, entry, listener);
    },

    /** Stops following: the process lives on, and no longer waits for this listener. */
    detach(environmentId: string, pid: number, listener: Listener): void {
      const entry = byEnvironment.get(environmentId)?.get(pid);
      if (entry) release(environmentId, entry, listener);
    },

    async list(environmentId: string): Promise<{ pid: number; tag?: string; config: ProcessConfig }[]> {
      if (held) return (await held.list(environmentId)).map(({ pid, tag, config }) => ({ pid, tag, config }));
      return [...(byEnvironment.get(environmentId)?.values() ?? [])].map(({ pid, tag, config }) => ({ pid, tag, config }));
    },

    /** Resolves once the input is on its way (the caller's answer waits, so input cannot pile up here). */
    sendInput(environmentId: string, selector: Selector, data: Buffer): Promise<void> {
      return control(environmentId, selector, (entry) => entry.proc.write(data), () => [frame('d', data)]);
    },

    closeStdin(environmentId: string, selector: Selector): Promise<void> {
      return control(environmentId, selector, async (entry) => entry.proc.closeStdin(), () => [frame('e')]);
    },

    /** envd's Update: a new terminal size, if given, for a process that must exist either way. */
    async update(environmentId: string, selector: Selector, size: { cols: number; rows: number } | undefined): Promise<void> {
      const entry = here(environmentId, selector);
      const tty = entry ? entry.tty : (await heldOne(environmentId, selector)).tty;
      if (!size) return;
      if (!tty) throw new EnvdError('invalid_argument', `process ${entry?.pid ?? ('pid' in selector ? selector.pid : selector.tag)} has no terminal to resize`);
      const dims = Buffer.alloc(4);
      dims.writeUInt16BE(size.cols, 0);
      dims.writeUInt16BE(size.rows, 2);
      await control(environmentId, selector, (e) => e.proc.resize(size.cols, size.rows), () => [frame('w', dims)]);
    },

    async kill(environmentId: string, selector: Selector): Promise<void> {
      await control(
        environmentId,
        selector,
        async (entry) => {
          entry.killed = true;
          await entry.proc.kill();
        },
        () => [frame('k')],
      );
    },
  };
}

export type EnvdProcesses = ReturnType<typeof createEnvdProcesses>;
