import { Writable } from 'node:stream';
import type Docker from 'dockerode';
import { writeOrWait } from '../../streams.js';
import { SpawnError, type RuntimeProcess, type SpawnRequest } from '../driver.js';
import { envList, exitCodeOf, killProcessTree, newMarker, startExec, valve, type StartedExec } from './exec.js';

type OutputStream = 'stdout' | 'stderr' | 'pty';

/** End-of-transmission: what a terminal's line discipline turns into end-of-file (the default VEOF). */
const EOT = 0x04;
const LF = 0x0a;
const CR = 0x0d;
/** Output held back before the start is confirmed, beyond which the stream is paused until it is. */
const GATE_MAX_BYTES = 64 * 1024;
/** How long kill() waits for the engine to close the output once the marked processes are gone. */
const KILL_STREAM_GRACE_MS = 5000;

const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number }).statusCode;

/**
 * Hands output on in order, but only once the process is known to have started:
 * until then it could still be the engine's "could not start" message, which
 * belongs in the SpawnError and not in the caller's output. What it holds is
 * bounded: past GATE_MAX_BYTES it holds the stream back too (a failure message
 * is far smaller, so this never hides one).
 */
class OutputGate {
  private held: [OutputStream, Buffer][] | undefined = [];
  private heldBytes = 0;
  private release: (() => void) | undefined;

  constructor(
    private readonly onOutput: SpawnRequest['onOutput'],
    private readonly hold: (wait: void | Promise<void>) => void,
  ) {}

  push(stream: OutputStream, chunk: Buffer): void {
    if (!this.held) return this.hold(this.onOutput(stream, chunk));
    this.held.push([stream, chunk]);
    this.heldBytes += chunk.length;
    if (this.heldBytes > GATE_MAX_BYTES && !this.release) this.hold(new Promise<void>((resolve) => (this.release = resolve)));
  }

  heldText(): string {
    return Buffer.concat((this.held ?? []).map(([, chunk]) => chunk)).toString('utf8');
  }

  open(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const [stream, chunk] of held) this.hold(this.onOutput(stream, chunk));
    this.release?.();
  }

  /** The stream is being thrown away: nothing held may keep it paused. */
  discard(): void {
    this.held = undefined;
    this.release?.();
  }
}

/** A sink for demuxStream that passes each frame on synchronously, so stdout and stderr keep their relative order. */
const forwardTo = (push: (chunk: Buffer) => void) =>
  new Writable({
    write(chunk: Buffer, _enc, done) {
      push(chunk);
      done();
    },
  });

/**
 * Starts a process that lives until it ends or is killed: nothing here is tied
 * to the caller (no request, no socket of theirs), only to the engine
 * connection. Like runExec, the process carries a random marker in its
 * environment so kill() can find everything it started.
 */
export async function spawnProcess(container: Docker.Container, docker: Docker, req: SpawnRequest): Promise<RuntimeProcess> {
  const tty = req.tty !== undefined;
  const marker = newMarker();
  let started: StartedExec;
  try {
    started = await startExec(container, {
      argv: req.argv,
      cwd: req.cwd,
      env: [...(tty ? ['TERM=xterm-256color'] : []), ...envList(req.env), marker],
      tty,
      // A terminal always has input: without it, the line discipline would have nothing to echo.
      stdin: tty || req.stdin,
    });
  } catch (err) {
    // 400: the engine refused the request itself (an empty argv, say): nothing could start.
    if (statusOf(err) === 400) throw new SpawnError(`cannot start ${req.argv[0] ?? 'an empty command'}: ${(err as Error).message}`);
    throw err;
  }
  const { exec, stream, ended } = started;
  let streamError: Error | undefined;
  stream.on('error', (err: Error) => (streamError ??= err));

  const gate = new OutputGate(req.onOutput, valve(stream));
  if (tty) stream.on('data', (chunk: Buffer) => gate.push('pty', chunk));
  else docker.modem.demuxStream(stream, forwardTo((c) => gate.push('stdout', c)), forwardTo((c) => gate.push('stderr', c)));

  const resize = async (cols: number, rows: number): Promise<void> => {
    if (tty) await exec.resize({ w: cols, h: rows }).catch(() => undefined); // the process may have just exited
  };
  try {
    // The engine holds a resize until runc has started the process, so after it the start check usually answers at once.
    if (req.tty) await resize(req.tty.cols, req.tty.rows);
    if (await failedToStart(exec, ended)) {
      if (streamError && !/OCI runtime/.test(gate.heldText())) throw streamError;
      throw new SpawnError(startFailure(gate.heldText(), req));
    }
  } catch (err) {
    gate.discard();
    stream.destroy();
    throw err;
  }
  gate.open();

  let stdinOpen = tty || req.stdin;
  let lastByte: number | undefined;
  let exitCode: Promise<number | null> | undefined;
  return {
    async write(data) {
      if (!stdinOpen || stream.destroyed || stream.writableEnded || data.length === 0) return;
      lastByte = data[data.length - 1];
      await writeOrWait(stream, data);
    },

    closeStdin() {
      if (!stdinOpen) return;
      stdinOpen = false;
      if (stream.destroyed || stream.writableEnded) return; // the process is gone already
      if (!tty) {
        // Half-close: the engine closes the process's stdin when its copy from our socket reaches end-of-file.
        stream.end();
        return;
      }
      // With a TTY, half-closing does not reach the process: Docker 20.10 then closes our *output*
      // instead (container/stream/attach.go closes stdout and stderr when a TTY's stdin copy ends) and
      // the process lives on, detached. A terminal has no end-of-file of its own; its line discipline
      // makes one of ^D at the start of a line, so: one ^D, or two when a partial line is pending (the
      // first only submits it). A program that put the terminal in raw mode just reads the bytes.
      const partialLine = lastByte !== undefined && lastByte !== LF && lastByte !== CR;
      stream.write(Buffer.from(partialLine ? [EOT, EOT] : [EOT]));
    },

    resize,

    async kill() {
      await killProcessTree(container, marker, req.argv[0]);
      // The engine closes the output once it sees the process exit. Something that shed the marker
      // (`env -i`) could still hold the output open: stop listening rather than hang exited().
      let timer: NodeJS.Timeout | undefined;
      const closed = await Promise.race([ended.then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), KILL_STREAM_GRACE_MS)))]);
      clearTimeout(timer);
      if (!closed) stream.destroy();
    },

    exited() {
      // Never rejects: an engine that forgot the exec (container removed) just means "unknown".
      exitCode ??= ended.then(() => exitCodeOf(exec)).catch(() => null);
      return exitCode;
    },
  };
}

/**
 * Whether the process failed to start. Docker answers the start call (the
 * protocol upgrade) before it asks runc to run the process; if runc fails (a
 * missing working directory, an unknown command), the engine writes the reason
 * onto the output, records exit code 126 and closes the stream, all without
 * ever recording a pid. A started process gets its pid before the engine can
 * close its stream, so: a pid means started; a closed stream without one, failed.
 */
async function failedToStart(exec: Docker.Exec, ended: Promise<void>): Promise<boolean> {
  let closed = false;
  void ended.then(() => (closed = true));
  for (;;) {
    const closedBefore = closed; // read before asking, so a pid recorded meanwhile is seen
    const info = await exec.inspect();
    if (info.Pid > 0) return false;
    if (closedBefore) return true;
    await Promise.race([ended, new Promise((r) => setTimeout(r, 10))]);
  }
}

/**
 * A short reason from the engine's message, e.g. `OCI runtime exec failed: exec failed: unable to start
 * container process: chdir to cwd ("/nope") set in config.json failed: no such file or directory: unknown`.
 */
export function startFailure(engineMessage: string, req: Pick<SpawnRequest, 'argv'>): string {
  const chdir = /chdir to cwd \("(.*?)"\) set in config\.json failed: ([^:\r\n]+)/.exec(engineMessage);
  if (chdir) return `${chdir[2] === 'no such file or directory' ? 'no such directory' : chdir[2]}: ${chdir[1]}`;
  if (/executable file not found/.test(engineMessage)) return `command not found: ${req.argv[0]}`;
  const reason = engineMessage
    .trim()
    .replace(/^OCI runtime exec failed: (exec failed: )?(unable to start container process: )?/, '')
    .replace(/: unknown$/, '');
  return `cannot start ${req.argv[0]}: ${reason || 'the engine gave no reason'}`;
}
