import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
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
 * Runs a command in a container and buffers its output. The command carries a
 * random marker in its environment, inherited by everything it starts, so a
 * timeout can find and kill the whole tree (even processes that left its
 * process group) without wrapping the command in anything.
 */
export async function runExec(container: Docker.Container, docker: Docker, req: ExecRequest): Promise<ExecOutcome> {
  const started = Date.now();
  const marker = `${EXEC_MARKER}=${randomBytes(8).toString('hex')}`;
  const exec = await container.exec({
    Cmd: req.argv,
    Env: [...Object.entries(req.env ?? {}).map(([k, v]) => `${k}=${v}`), marker],
    WorkingDir: req.cwd ?? '/workspace',
    AttachStdout: true,
    AttachStderr: true,
    AttachStdin: req.stdin !== undefined,
  });
  const stream = await exec.start({ hijack: true, stdin: req.stdin !== undefined });
  const stdout = new CappedSink(req.maxOutputBytes, req.onOutput && ((c) => req.onOutput!('stdout', c)));
  const stderr = new CappedSink(req.maxOutputBytes, req.onOutput && ((c) => req.onOutput!('stderr', c)));
  docker.modem.demuxStream(stream, stdout, stderr);
  if (req.stdin !== undefined) stream.end(req.stdin);

  let timedOut = false;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      timedOut = true;
      stream.destroy();
      resolve();
    }, req.timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      resolve();
    };
    stream.once('end', finish);
    stream.once('close', finish);
    stream.once('error', finish);
  });

  let exitCode: number | null = null;
  if (timedOut) {
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

const EXEC_MARKER = 'BERTH_EXEC_ID';

/** Kills every process whose environment carries the marker. */
async function killMarked(container: Docker.Container, marker: string): Promise<void> {
  const script = `for d in /proc/[0-9]*; do tr '\\0' '\\n' < "$d/environ" 2>/dev/null | grep -qx '${marker}' && kill -KILL "\${d#/proc/}" 2>/dev/null; done; exit 0`;
  const killer = await container.exec({
    Cmd: ['/bin/sh', '-c', script],
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await killer.start({ hijack: true, stdin: false });
  stream.resume();
  await new Promise<void>((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
}

/** The exit code, waiting briefly if the engine has not recorded it the instant the stream ends. */
async function exitCodeOf(exec: Docker.Exec): Promise<number | null> {
  for (let i = 0; i < 50; i++) {
    const info = await exec.inspect();
    if (!info.Running) return info.ExitCode ?? null;
    await new Promise((r) => setTimeout(r, 10));
  }
  return null;
}

/** An interactive process on a TTY: Docker sends the raw terminal bytes, no multiplexing. */
export async function openPty(container: Docker.Container, req: PtyRequest): Promise<Pty> {
  const exec = await container.exec({
    Cmd: req.argv,
    Env: ['TERM=xterm-256color', ...Object.entries(req.env ?? {}).map(([k, v]) => `${k}=${v}`)],
    WorkingDir: req.cwd ?? '/workspace',
    Tty: true,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: true, Tty: true });
  const ended = new Promise<void>((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
  const resize = async (cols: number, rows: number) => {
    await exec.resize({ w: cols, h: rows }).catch(() => undefined); // the process may have just exited
  };
  await resize(req.cols, req.rows);
  return {
    stream,
    resize,
    exited: async () => {
      await ended;
      return exitCodeOf(exec);
    },
  };
}
