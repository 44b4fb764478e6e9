import { randomBytes } from 'node:crypto';
import { Writable, type Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { ExecOutcome, ExecRequest, Pty, PtyRequest } from '../driver.js';

/** Collects a stream's bytes up to a cap (or passes them on), remembering whether anything was dropped. */
class CappedSink extends Writable {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(
    private readonly cap: number,
    private readonly forward?: (chunk: Buffer) => void,
  ) {
    super();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    if (this.forward) {
      this.forward(chunk);
      return done();
    }
    const room = this.cap - this.size;
    if (chunk.length > room) this.truncated = true;
    if (room > 0) {
      const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
      this.chunks.push(kept);
      this.size += kept.length;
    }
    done();
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/**
 * Holds a stream's output back while any wait handed to it is pending: the way
 * a slow consumer reaches the engine. A paused socket is not read, so TCP
 * pushes back to the engine, and the engine's copy blocks the process's writes.
 */
export function valve(stream: Duplex): (wait: void | Promise<void>) => void {
  let pending = 0;
  const settled = () => {
    if (--pending === 0 && !stream.destroyed) stream.resume();
  };
  return (wait) => {
    if (!wait) return;
    if (pending++ === 0) stream.pause();
    wait.then(settled, settled);
  };
}

/** A `K=V` list for the Engine API. */
export const envList = (env: Record<string, string> | undefined): string[] => Object.entries(env ?? {}).map(([k, v]) => `${k}=${v}`);

/** What every exec of ours has in common: one process, attached over a hijacked connection. */
export interface ExecStart {
  argv: string[];
  /** Defaults to /workspace, where environments keep their work. */
  cwd: string | undefined;
  /** The complete `K=V` list; later entries win over earlier ones. */
  env: string[];
  tty: boolean;
  stdin: boolean;
}

export interface StartedExec {
  exec: Docker.Exec;
  /** Multiplexed stdout/stderr frames, or raw terminal bytes with a TTY; stdin the other way. */
  stream: Duplex;
  /** Resolves when the engine closes the output (the process and everything holding its output have ended) or the connection fails. */
  ended: Promise<void>;
}

/** Creates and starts an exec. The engine answers the start before the process runs: a process that fails to start shows up on the stream. */
export async function startExec(container: Docker.Container, s: ExecStart): Promise<StartedExec> {
  const exec = await container.exec({
    Cmd: s.argv,
    Env: s.env,
    WorkingDir: s.cwd ?? '/workspace',
    Tty: s.tty,
    AttachStdin: s.stdin,
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: s.stdin, Tty: s.tty });
  const ended = new Promise<void>((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    // `on`, not `once`: a second error (a write after the reset, say) must not become an uncaught one.
    stream.on('error', () => resolve());
  });
  return { exec, stream, ended };
}

/**
 * Runs a command in a container and buffers its output. The command carries a
 * random marker in its environment, inherited by everything it starts, so a
 * timeout can find and kill the whole tree (even processes that left its
 * process group) without wrapping the command in anything.
 */
export async function runExec(container: Docker.Container, docker: Docker, req: ExecRequest): Promise<ExecOutcome> {
  const started = Date.now();
  const marker = newMarker();
  const { exec, stream, ended } = await startExec(container, {
    argv: req.argv,
    cwd: req.cwd,
    env: [...envList(req.env), marker],
    tty: false,
    stdin: req.stdin !== undefined,
  });
  const hold = valve(stream);
  const { onOutput } = req;
  const stdout = new CappedSink(req.maxOutputBytes, onOutput && ((c) => hold(onOutput('stdout', c))));
  const stderr = new CappedSink(req.maxOutputBytes, onOutput && ((c) => hold(onOutput('stderr', c))));
  docker.modem.demuxStream(stream, stdout, stderr);
  if (req.stdin !== undefined) stream.end(req.stdin);

  let stopped: 'timeout' | 'aborted' | undefined;
  let timer: NodeJS.Timeout | undefined;
  let onAbort = () => {};
  await Promise.race([
    ended,
    new Promise<void>((resolve) => {
      const stop = (why: 'timeout' | 'aborted') => {
        stopped ??= why;
        stream.destroy();
        resolve();
      };
      timer = setTimeout(() => stop('timeout'), req.timeoutMs);
      onAbort = () => stop('aborted');
      if (req.signal?.aborted) onAbort();
      else req.signal?.addEventListener('abort', onAbort, { once: true });
    }),
  ]);
  clearTimeout(timer);
  req.signal?.removeEventListener('abort', onAbort);

  let exitCode: number | null = null;
  const timedOut = stopped === 'timeout';
  if (stopped) {
    await killMarked(container, marker);
  } else {
    exitCode = await exitCodeOf(exec);
  }
  return {
    exitCode,
    stdout: stdout.text(),
    stderr: stderr.text(),
    timedOut,
    truncated: stdout.truncated || stderr.truncated,
    durationMs: Date.now() - started,
  };
}

/**
 * Whether an exec's outcome says the container stopped or restarted under it rather than how the
 * command ended, given `ranThroughout()`: whether the container ran, unrestarted, from before the
 * exec until now (asked only for the two outcomes that can mean either).
 * - Exit code 126: the runtime could not start the process. In a container that ran throughout, that
 *   is the command's (a missing program); otherwise the container went before the process could
 *   start, and the runtime says so in words that vary with the moment and the runtime ("cannot exec
 *   in a stopped state", "task … not found", gVisor's "in state stopped", all seen here).
 * - No exit code, not timed out: in a container that ran throughout, a command that closed its
 *   output and carries on; otherwise its output ended with the container (under gVisor the engine
 *   then never learns how the process ended).
 */
export async function stoppedMidExec(outcome: Pick<ExecOutcome, 'exitCode' | 'timedOut'>, ranThroughout: () => Promise<boolean>): Promise<boolean> {
  if (outcome.exitCode === 126 || (outcome.exitCode === null && !outcome.timedOut)) return !(await ranThroughout());
  return false;
}

const EXEC_MARKER = 'BERTH_EXEC_ID';

/** A fresh `BERTH_EXEC_ID=<random>` entry for a process's environment. */
export const newMarker = (): string => `${EXEC_MARKER}=${randomBytes(8).toString('hex')}`;

/**
 * Kills every process whose environment carries the marker ($1), pass after
 * pass until a pass finds none: a process that forked while the previous pass
 * ran is caught by the next, and one still exiting is seen again until the
 * kernel has torn it down. A zombie has no environment left, so it counts as
 * gone. Only sh, tr, grep and kill, which busybox and Debian both have. The
 * 2>/dev/null comes first so the shell's own "can't open" for a process that
 * just vanished is silenced too. Exits 1 if processes outlive 50 passes.
 */
const KILL_MARKED_SCRIPT = `i=0
while [ "$i" -lt 50 ]; do
  found=
  for d in /proc/[0-9]*; do
    tr '\\0' '\\n' 2>/dev/null < "$d/environ" | grep -qxF "$1" && kill -KILL "\${d#/proc/}" 2>/dev/null && found=1
  done
  [ -z "$found" ] && exit 0
  i=$((i+1))
done
exit 1`;

/**
 * Kills every process whose environment carries the marker; true once none is left.
 * The marker is an argument, not part of the killer's environment, so the killer never matches itself.
 */
export async function killMarked(container: Docker.Container, marker: string): Promise<boolean> {
  const { exec, stream, ended } = await startExec(container, {
    argv: ['/bin/sh', '-c', KILL_MARKED_SCRIPT, 'berth-kill', marker],
    cwd: '/',
    env: [],
    tty: false,
    stdin: false,
  });
  stream.resume();
  await ended;
  return (await exitCodeOf(exec)) === 0;
}

/** The exit code, waiting briefly if the engine has not recorded it the instant the stream ends. */
export async function exitCodeOf(exec: Docker.Exec): Promise<number | null> {
  for (let i = 0; i < 50; i++) {
    const info = await exec.inspect();
    if (!info.Running) return info.ExitCode ?? null;
    await new Promise((r) => setTimeout(r, 10));
  }
  return null;
}

/** SIGKILLs every process carrying the marker; a container that is gone or stopped took them with it. */
export async function killProcessTree(container: Docker.Container, marker: string, program = 'the process'): Promise<void> {
  try {
    if (!(await killMarked(container, marker))) throw new Error(`processes of ${program} survived SIGKILL`);
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== 404 && status !== 409) throw err;
  }
}

/**
 * An interactive process on a TTY: Docker sends the raw terminal bytes, no multiplexing.
 * Not built on spawnProcess: the terminal needs the socket itself, to pause it when a
 * client falls behind (TCP backpressure up to the engine), which an onOutput callback cannot give.
 * Like runExec's, the process carries a random marker so kill() finds everything it started.
 */
export async function openPty(container: Docker.Container, req: PtyRequest): Promise<Pty> {
  const marker = newMarker();
  const { exec, stream, ended } = await startExec(container, {
    argv: req.argv,
    cwd: req.cwd,
    env: ['TERM=xterm-256color', ...envList(req.env), marker],
    tty: true,
    stdin: true,
  });
  const resize = async (cols: number, rows: number) => {
    await exec.resize({ w: cols, h: rows }).catch(() => undefined); // the process may have just exited
  };
  await resize(req.cols, req.rows);
  return {
    stream,
    resize,
    kill: () => killProcessTree(container, marker, req.argv[0]),
    // Never rejects: an engine that forgot the exec (container removed) just means "unknown".
    exited: () => ended.then(() => exitCodeOf(exec)).catch(() => null),
  };
}
