import { beforeAll, describe, expect, it } from 'vitest';
import { SpawnError, type RuntimeProcess, type SpawnRequest } from '../packages/server/src/runtime/driver.js';
import { useTestServer } from './support/test-server.js';
import { runningEnvironment, waitFor } from './support/wait.js';

const { server, users: { 'spawn-owner': owner } } = useTestServer({ users: ['spawn-owner'] });
let envId: string;

beforeAll(async () => {
  envId = (await runningEnvironment(owner)).id;
});

type Stream = Parameters<SpawnRequest['onOutput']>[0];
/** ESC[6n: busybox's shell asks the terminal where its cursor is after each prompt. */
const CURSOR_QUERY = `${String.fromCharCode(27)}[6n`;

interface Spawned {
  proc: RuntimeProcess;
  /** Every chunk as handed to onOutput, in arrival order. */
  chunks: { stream: Stream; text: string }[];
  text(stream: Stream): string;
}

/** Spawns through the driver, as a service would, collecting the output. */
async function spawn(argv: string[], opts: Partial<Omit<SpawnRequest, 'argv' | 'onOutput'>> = {}): Promise<Spawned> {
  const chunks: Spawned['chunks'] = [];
  const proc = await server.services.runtime.spawn(envId, {
    argv,
    stdin: false,
    ...opts,
    onOutput: (stream, chunk) => void chunks.push({ stream, text: chunk.toString('utf8') }),
  });
  const text = (stream: Stream) =>
    chunks
      .filter((c) => c.stream === stream)
      .map((c) => c.text)
      .join('');
  return { proc, chunks, text };
}

/** Pids of the processes whose environment holds exactly this `K=V` entry (read from /proc, as the kill does). */
async function pidsWithEnv(entry: string): Promise<string[]> {
  const script = `for d in /proc/[0-9]*; do tr '\\0' '\\n' 2>/dev/null < "$d/environ" | grep -qxF "$1" && echo "\${d#/proc/}"; done; exit 0`;
  const result = await server.services.runtime.exec(envId, { argv: ['sh', '-c', script, 'sh', entry], timeoutMs: 10_000, maxOutputBytes: 10_000 });
  expect(result).toMatchObject({ exitCode: 0, stderr: '' });
  return result.stdout.split('\n').filter(Boolean);
}

/** The spawn marker (BERTH_EXEC_ID=…) in a process's environment. */
async function markerOf(pid: string): Promise<string> {
  const result = await server.services.runtime.exec(envId, { argv: ['sh', '-c', `tr '\\0' '\\n' < /proc/${pid}/environ | grep '^BERTH_EXEC_ID='`], timeoutMs: 10_000, maxOutputBytes: 10_000 });
  expect(result.exitCode).toBe(0);
  return result.stdout.trim();
}

describe('RuntimeDriver.spawn (Docker)', () => {
  it('hands stdout and stderr over separately, each in the order it was written', async () => {
    const { proc, chunks, text } = await spawn(['sh', '-c', 'seq 1 300; seq 1001 1300 >&2']);
    expect(await proc.exited()).toBe(0);
    expect(text('stdout')).toBe(Array.from({ length: 300 }, (_, i) => `${i + 1}\n`).join(''));
    expect(text('stderr')).toBe(Array.from({ length: 300 }, (_, i) => `${i + 1001}\n`).join(''));
    expect(chunks.some((c) => c.stream === 'pty')).toBe(false);
  });

  it('hands output over as it is produced, before the process has ended', async () => {
    const { proc, text } = await spawn(['sh', '-c', 'echo first; sleep 2; echo second']);
    let ended = false;
    const exited = proc.exited().then((code) => ((ended = true), code));

    await waitFor('the first line', async () => text('stdout') === 'first\n', 10_000, 10);
    expect(ended).toBe(false);
    expect(await exited).toBe(0);
    expect(text('stdout')).toBe('first\nsecond\n');
  });

  it('resolves exited() with the exit code', async () => {
    const { proc } = await spawn(['sh', '-c', 'exit 3']);
    expect(await proc.exited()).toBe(3);
  });

  it('resolves a process that itself exits 126 silently, not as a start failure', async () => {
    const { proc } = await spawn(['sh', '-c', 'exit 126']);
    expect(await proc.exited()).toBe(126);
  });

  it('sets the given environment and working directory, /workspace by default', async () => {
    const custom = await spawn(['sh', '-c', 'printf "%s|%s" "$GREETING" "$(pwd)"'], { env: { GREETING: 'hello world $x' }, cwd: '/tmp' });
    expect(await custom.proc.exited()).toBe(0);
    expect(custom.text('stdout')).toBe('hello world $x|/tmp');

    const plain = await spawn(['pwd']);
    expect(await plain.proc.exited()).toBe(0);
    expect(plain.text('stdout')).toBe('/workspace\n');
  });

  it('feeds written stdin to the process live, and closeStdin() gives it end-of-file', async () => {
    const { proc, text } = await spawn(['cat'], { stdin: true });
    proc.write(Buffer.from('line one\n'));
    await waitFor('cat to echo the first line while stdin is still open', async () => text('stdout') === 'line one\n', 10_000, 10);

    proc.write(Buffer.from('line two'));
    proc.closeStdin();
    expect(await proc.exited()).toBe(0);
    expect(text('stdout')).toBe('line one\nline two');
  });

  it('gives a process without stdin end-of-file at once', async () => {
    const { proc, text } = await spawn(['cat']);
    expect(await proc.exited()).toBe(0);
    expect(text('stdout')).toBe('');
  });

  it('kill() SIGKILLs the process and its children, leaving no process with its marker, and exited() still resolves', async () => {
    // Children inherit the environment: this entry finds the tree before we know its marker.
    const value = String(Date.now());
    const tag = `SPAWN_KILL_TEST=${value}`;
    const { proc } = await spawn(['sh', '-c', 'sleep 301 & sleep 302'], { env: { SPAWN_KILL_TEST: value } });
    const pids = await waitFor('the shell and both sleeps to run', async () => {
      const found = await pidsWithEnv(tag);
      return found.length >= 2 ? found : undefined;
    });
    const marker = await markerOf(pids[0]!);
    expect(marker).toMatch(/^BERTH_EXEC_ID=[0-9a-f]{16}$/);
    expect(await pidsWithEnv(marker)).toEqual(expect.arrayContaining(pids));

    await proc.kill();
    // kill() resolves once they are gone: no waiting here.
    expect(await pidsWithEnv(marker)).toEqual([]);
    const ps = await server.services.runtime.exec(envId, { argv: ['ps'], timeoutMs: 10_000, maxOutputBytes: 100_000 });
    expect(ps.stdout).not.toMatch(/sleep 30[12]/);
    expect([137, null]).toContain(await proc.exited());
  });

  it('runs on a pseudo-terminal: echoes typed input, applies resizes, and ends on closeStdin()', async () => {
    const { proc, chunks, text } = await spawn(['sh'], { tty: { cols: 80, rows: 24 } });
    proc.write(Buffer.from('stty size; echo "term=$TERM"\n'));
    await waitFor(() => `the size and TERM (got ${JSON.stringify(text('pty'))})`, async () => /24 80\r?\n[^]*term=xterm-256color/.test(text('pty')), 10_000, 10);
    // The command line comes back as the terminal's echo, before its output.
    expect(text('pty').indexOf('stty size; echo "term=$TERM"')).toBeLessThan(text('pty').indexOf('24 80'));

    await proc.resize(132, 43);
    proc.write(Buffer.from("PS1='ready> '; stty size\n"));
    await waitFor(() => `the new size (got ${JSON.stringify(text('pty'))})`, async () => /43 132/.test(text('pty')), 10_000, 10);
    // ^D ends a shell only while it reads a line: sent while a command still runs, the terminal's
    // cooked mode turns it into an end-of-file that the shell's line editor, switching to raw mode
    // for the next line, never reads (a real terminal loses it the same way). So: at the prompt,
    // which busybox prints in raw mode (then asks the terminal where its cursor is: ESC[6n).
    await waitFor(() => `the prompt (got ${JSON.stringify(text('pty'))})`, async () => /43 132[^]*ready> $/.test(text('pty').replaceAll(CURSOR_QUERY, '')), 10_000, 10);

    proc.closeStdin();
    expect(await proc.exited()).toBe(0);
    expect(chunks.every((c) => c.stream === 'pty')).toBe(true);
  });

  it('on a pseudo-terminal, closeStdin() after a partial line submits it and then ends input', async () => {
    const { proc, text } = await spawn(['cat'], { tty: { cols: 80, rows: 24 } });
    proc.write(Buffer.from('no newline'));
    await waitFor('the echo of the partial line', async () => text('pty').includes('no newline'), 10_000, 10);
    proc.closeStdin();
    expect(await proc.exited()).toBe(0);
    // Once echoed as typed, once written by cat.
    expect(text('pty')).toBe('no newlineno newline');
  });

  it('rejects with SpawnError for a working directory that does not exist, handing over no output', async () => {
    for (const tty of [undefined, { cols: 80, rows: 24 }]) {
      const output: Buffer[] = [];
      const attempt = server.services.runtime.spawn(envId, { argv: ['pwd'], cwd: '/nope', stdin: false, tty, onOutput: (_s, chunk) => void output.push(chunk) });
      await expect(attempt).rejects.toThrow(SpawnError);
      await expect(attempt).rejects.toThrow('no such directory: /nope');
      expect(output).toEqual([]);
    }
  });

  it('rejects with SpawnError for a working directory that is a file or relative, or a command that does not exist', async () => {
    await expect(spawn(['pwd'], { cwd: '/etc/passwd' })).rejects.toThrow(new SpawnError('not a directory: /etc/passwd'));
    await expect(spawn(['pwd'], { cwd: 'relative/dir' })).rejects.toThrow(new SpawnError('cannot start pwd: Cwd must be an absolute path'));
    await expect(spawn(['no-such-command'])).rejects.toThrow(new SpawnError('command not found: no-such-command'));
  });
});
