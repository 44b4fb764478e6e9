import os from 'node:os';
import { PROCESS_ROOT, holderArchive, type SessionHolder } from '../../runtime/session-holder.js';
import { SpawnError, type RuntimeDriver, type RuntimeProcess, type SpawnRequest } from '../../runtime/driver.js';
import { EnvdError } from './e2b.errors.js';

/**
 * Processes held in their environment by berth-hold (native/berth-hold.c, `proc`): they outlive
 * the Berth process that started them, and any Berth process can follow, feed, resize or kill
 * them, or list them. Each connection is an exec of berth-hold relaying the holder's socket; both
 * ways it carries frames of a type byte, a u32 length and a payload.
 */

/**
 * How a held process ended: its exit code (null when unknown), and whether a kill or its holder's
 * deadline ended it. `lost` says why there is no exit code: a signal, or a connection that ended without word of it.
 */
export interface HeldEnd {
  exitCode: number | null;
  killed: boolean;
  timedOut: boolean;
  lost?: string;
}

/** A connection to a held process. */
export interface HeldProcess {
  pid: number;
  write(data: Buffer): Promise<void>;
  closeStdin(): void;
  resize(cols: number, rows: number): Promise<void>;
  /** SIGKILLs the process and every process of its session; resolves once they are gone. */
  kill(): Promise<void>;
  /** Resolves when the process ended (how, or why that is not known), or with null when this connection was left first. */
  ended(): Promise<HeldEnd | null>;
  /** Stops following: the process lives on. */
  leave(): void;
}

/** What `proc-list` knows of a held process: what Berth gave it at its start. */
export interface HeldMeta {
  tag?: string;
  config: { cmd: string; args: string[]; envs: Record<string, string>; cwd?: string };
  tty: boolean;
}

type Stream = 'stdout' | 'stderr' | 'pty';
const STREAMS: Record<string, Stream> = { o: 'stdout', r: 'stderr', p: 'pty' };
/** The holder reads frames of at most 1 MiB. */
const MAX_FRAME = 1 << 20;
/** How much of berth-hold's own complaints (its stderr) is kept for the error. */
const MAX_COMPLAINT = 1024;
/** How long listing the held processes may take: an answer, so it has a deadline (and passing it is said, not an empty list). */
const LIST_TIMEOUT_MS = 10_000;

export function frame(type: string, data: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeUInt32BE(data.length, 1);
  return Buffer.concat([head, data]);
}

/** Splits a byte stream into frames, whatever the chunks. */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): { type: string; data: Buffer }[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: { type: string; data: Buffer }[] = [];
    while (this.pending.length >= 5) {
      const length = this.pending.readUInt32BE(1);
      if (this.pending.length < 5 + length) break;
      frames.push({ type: String.fromCharCode(this.pending[0]!), data: this.pending.subarray(5, 5 + length) });
      this.pending = this.pending.subarray(5 + length);
    }
    return frames;
  }
}

/** The holder's `x`: its exit code (i32), the signal that ended it (u8, 0 for none; SIGKILL for a kill) and whether its deadline did (u8). */
function endOf(data: Buffer): HeldEnd {
  const signal = data.readUInt8(4);
  const name = Object.entries(os.constants.signals).find(([, n]) => n === signal)?.[0] ?? `signal ${signal}`;
  return {
    exitCode: signal ? null : data.readInt32BE(0),
    killed: signal === 9,
    timedOut: data.readUInt8(5) === 1,
    ...(signal && signal !== 9 ? { lost: `it was ended by ${name}` } : {}),
  };
}

export function createHeldProcesses({ runtime, holder }: { runtime: Pick<RuntimeDriver, 'spawn' | 'exec' | 'writeArchive'>; holder: SessionHolder }) {
  /** Runs berth-hold, putting it into the environment first when it is not there (a new container, or one whose /tmp was emptied). */
  async function spawnHolder(environmentId: string, request: SpawnRequest): Promise<RuntimeProcess> {
    try {
      return await runtime.spawn(environmentId, request);
    } catch (err) {
      if (!(err instanceof SpawnError) || !err.message.includes(holder.path)) throw err;
    }
    await runtime.writeArchive(environmentId, '/', holderArchive(holder));
    return runtime.spawn(environmentId, request);
  }

  /**
   * One connection: the holder's frames go to `onOutput` (output) and settle its hello, failure and
   * end. Resolves with the process once the holder says hello; with null when the connection ends
   * without one (no such process); rejects with a SpawnError when the command could not start.
   */
  async function connect(environmentId: string, request: Omit<SpawnRequest, 'onOutput' | 'stdin'>, first: Buffer[], onOutput?: (stream: Stream, chunk: Buffer) => void | Promise<void>): Promise<HeldProcess | null> {
    const reader = new FrameReader();
    let hello: (pid: number) => void = () => {};
    let failure: SpawnError | undefined;
    const started = new Promise<number>((resolve) => (hello = resolve));
    let end: HeldEnd | undefined;
    let hungUp: () => void = () => {};
    const holderGone = new Promise<void>((resolve) => (hungUp = resolve));
    let complaint = ''; // what berth-hold itself said went wrong (its last words, bounded)
    const proc = await spawnHolder(environmentId, {
      ...request,
      stdin: true,
      onOutput: (stream, chunk) => {
        if (stream !== 'stdout') return void (complaint = (complaint + chunk.toString('utf8')).slice(-MAX_COMPLAINT));
        const waits: Promise<void>[] = [];
        for (const { type, data } of reader.push(chunk)) {
          if (type === 'h') hello(data.readUInt32BE(0));
          else if (type === 'f') failure = new SpawnError(data.toString('utf8'));
          else if (type === 'x') end = endOf(data);
          else if (type === 'z') hungUp();
          else if (STREAMS[type] && onOutput) {
            const wait = onOutput(STREAMS[type], Buffer.from(data));
            if (wait) waits.push(wait);
          }
        }
        return waits.length ? Promise.all(waits).then(() => undefined) : undefined;
      },
    });
    // Not awaited: with no such process the exec ends without reading them, and a write would wait for room forever.
    for (const f of first) proc.write(f).catch(() => undefined);
    // Everything has come: the follower's berth-hold waits for this to exit, so the engine drops none of it (berth-hold.c, relay).
    void holderGone.then(() => proc.closeStdin());
    const exited = proc.exited();
    const pid = await Promise.race([started, exited.then(() => null)]);
    // The connection ended before the hello: the command could not start (the holder said why), berth-hold
    // could not do its part (it said why), or there is no such process (nothing said).
    if (pid === null) {
      if (failure) throw failure;
      if (complaint.trim()) throw new Error(complaint.trim());
      return null;
    }
    const send = (f: Buffer) => proc.write(f);
    // Over once the holder hung up (all it sent has come) or, without word of it, when the exec ended.
    const over = Promise.race([holderGone.then(() => 'z' as const), exited]);
    let left = false;
    const lost = (how: 'z' | number | null): string => {
      const said = complaint.trim() ? `: ${complaint.trim()}` : '';
      if (how === 'z') return `its holder ended without saying how the process did${said}`;
      return `the connection to its holder ended (berth-hold exit code ${how ?? 'unknown'})${said}`;
    };
    return {
      pid,
      async write(data) {
        for (let at = 0; at < data.length; at += MAX_FRAME) await send(frame('d', data.subarray(at, at + MAX_FRAME)));
      },
      closeStdin: () => void send(frame('e')),
      async resize(cols, rows) {
        const size = Buffer.alloc(4);
        size.writeUInt16BE(cols, 0);
        size.writeUInt16BE(rows, 2);
        await send(frame('w', size));
      },
      async kill() {
        await send(frame('k'));
        await over;
      },
      ended: () => over.then((how) => end ?? (left ? null : { exitCode: null, killed: false, timedOut: false, lost: lost(how) })),
      // End of input on the exec: berth-hold hangs up, and the exec ends.
      leave: () => {
        left = true;
        proc.closeStdin();
      },
    };
  }

  return {
    /** Starts a process under a holder of its own and follows it. `timeoutMs` (0: none) is the holder's own deadline. */
    async start(environmentId: string, opts: { meta: HeldMeta; stdin: boolean; tty?: { cols: number; rows: number }; timeoutMs: number; onOutput: (stream: Stream, chunk: Buffer) => void | Promise<void> }): Promise<HeldProcess> {
      const { config } = opts.meta;
      const tty = opts.tty;
      const argv = [holder.path, 'proc', PROCESS_ROOT, String(opts.timeoutMs), String(tty?.cols ?? 0), String(tty?.rows ?? 0), '--', config.cmd, ...config.args];
      const env = { ...(tty ? { TERM: 'xterm-256color' } : {}), ...config.envs };
      // The meta first (the holder starts the command once it has it); no input at all is end of input.
      const first = [frame('m', Buffer.from(JSON.stringify(opts.meta))), ...(opts.stdin || tty ? [] : [frame('e')])];
      const held = await connect(environmentId, { argv, env, cwd: config.cwd }, first, opts.onOutput);
      if (!held) throw new Error('berth-hold ended before the process started');
      return held;
    },

    /** Follows a held process from now on; null when there is no such process. */
    attach(environmentId: string, pid: number, onOutput: (stream: Stream, chunk: Buffer) => void | Promise<void>): Promise<HeldProcess | null> {
      return connect(environmentId, { argv: [holder.path, 'proc-attach', PROCESS_ROOT, String(pid), 'a'], cwd: '/' }, [], onOutput);
    },

    /** Sends frames to a held process without following it; false when there is no such process. */
    async control(environmentId: string, pid: number, frames: Buffer[]): Promise<boolean> {
      const held = await connect(environmentId, { argv: [holder.path, 'proc-attach', PROCESS_ROOT, String(pid), 'c'], cwd: '/' }, frames);
      if (!held) return false;
      held.leave();
      await held.ended();
      return true;
    },

    /** The processes held in the environment now. */
    async list(environmentId: string): Promise<(HeldMeta & { pid: number })[]> {
      const out = await runtime.exec(environmentId, { argv: [holder.path, 'proc-list', PROCESS_ROOT], cwd: '/', timeoutMs: LIST_TIMEOUT_MS, maxOutputBytes: 4 * 1024 * 1024 }).catch((err: unknown) => {
        if (err instanceof SpawnError) return undefined; // no holder there: nothing held
        throw err;
      });
      if (out?.timedOut) throw new EnvdError('deadline_exceeded', `the sandbox's processes could not be listed within ${LIST_TIMEOUT_MS / 1000} s`);
      if (!out || out.exitCode !== 0) return [];
      return out.stdout
        .split('\n')
        .filter(Boolean)
        .flatMap((line) => {
          const space = line.indexOf(' ');
          try {
            return [{ pid: Number(line.slice(0, space)), ...(JSON.parse(line.slice(space + 1)) as HeldMeta) }];
          } catch {
            return []; // a folder the environment's user wrote: not ours
          }
        });
    },
  };
}

export type HeldProcesses = ReturnType<typeof createHeldProcesses>;
