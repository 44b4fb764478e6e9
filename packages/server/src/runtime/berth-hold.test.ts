import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameReader, frame } from '../modules/e2b/envd.held.js';
import { waitFor } from '../../../../test/support/wait.js';
import { buildSessionHolder } from './session-holder.js';

/** Waits for `check` to hold (the suites' waitFor, for a check that need not wait itself). */
const until = (what: string, check: () => boolean) => waitFor(what, async () => check(), 20_000, 10);

/**
 * An output for a client that is already full, as the engine's is when Berth is slow to read: the
 * client holds what it reads from its holder, and waits. `fd` is given to the client; `drain`
 * reads everything written after the filler.
 */
function fullOutput(dir: string, name: string): { fd: number; drain: () => Buffer; close: () => void } {
  const fifo = path.join(dir, name);
  execFileSync('mkfifo', [fifo]);
  const fd = fs.openSync(fifo, 'r+'); // blocking, as an exec's output is
  const ours = fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
  const block = Buffer.alloc(4096, 0xff); // at most PIPE_BUF: written whole or not at all
  let filler = 0;
  for (;;) {
    try {
      filler += fs.writeSync(ours, block);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') break;
      throw err;
    }
  }
  const chunks: Buffer[] = [];
  let skip = filler;
  return {
    fd,
    /** Everything written after the filler so far: it reads what is there now, without waiting for more. */
    drain() {
      const buf = Buffer.alloc(65536);
      for (;;) {
        let n: number;
        try {
          n = fs.readSync(ours, buf);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EAGAIN') break;
          throw err;
        }
        const skipped = Math.min(skip, n);
        skip -= skipped;
        chunks.push(Buffer.from(buf.subarray(skipped, n)));
      }
      return Buffer.concat(chunks);
    },
    close() {
      fs.closeSync(fd);
      fs.closeSync(ours);
    },
  };
}

/**
 * berth-hold's clients run on this machine, as they run inside an environment: their stdin and
 * stdout are what the engine's exec connects to Berth.
 */
describe('berth-hold clients', () => {
  let dir: string;
  let binary: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-hold-'));
    const holder = await buildSessionHolder(dir, { warn: () => undefined });
    if (!holder) throw new Error('berth-hold could not be built (no C compiler?)');
    binary = path.join(dir, 'berth-hold');
    fs.writeFileSync(binary, holder.binary, { mode: 0o755 });
  }, 120_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a process relay passes on all its holder said, how the process ended included, when input comes after it hung up', async () => {
    const root = path.join(dir, 'processes');
    const out = fullOutput(dir, 'proc-out');
    const relay = spawn(binary, ['proc', root, '0', '0', '0', '--', 'sh', '-c', 'echo hi; exit 3'], { stdio: ['pipe', out.fd, 'inherit'] });
    const exited = once(relay, 'exit');
    const input = relay.stdin!;
    const holders = () => (fs.existsSync(root) ? fs.readdirSync(root) : []);
    await until('the holder to start', () => holders().length === 1);
    const holder = holders()[0]!; // its folder is named by its pid

    input.write(frame('m', Buffer.from(JSON.stringify({ config: { cmd: 'sh', args: [], envs: {} }, tty: false }))));
    // Its process gone (or left for the relay to reap), not only its folder: it closes its sockets after removing that.
    await until('the holder to end, having sent everything', () => !fs.existsSync(`/proc/${holder}`) || / Z /.test(fs.readFileSync(`/proc/${holder}/stat`, 'utf8').replace(/^.*\)/, '')));
    // Input after that (an end of input sent a moment after a short command) finds the holder gone.
    input.write(frame('e'));

    const reader = new FrameReader();
    const frames: { type: string; data: Buffer }[] = [];
    let read = 0;
    await until('the holder to be said to have hung up, or the relay to end', () => {
      const all = out.drain();
      frames.push(...reader.push(all.subarray(read)));
      read = all.length;
      return frames.at(-1)?.type === 'z' || relay.exitCode !== null;
    });
    input.end(); // as Berth does once it has read the 'z'
    const [code] = await exited;
    out.close();

    expect(frames.map((f) => f.type)).toEqual(['h', 'o', 'x', 'z']);
    expect(frames[1]!.data.toString()).toBe('hi\n');
    expect(frames[2]!.data.readInt32BE(0)).toBe(3);
    expect(code).toBe(0);
  });

  it("a terminal's client passes on its holder's last output when typing comes after it hung up", async () => {
    // A holder of the test's own, so that it has sent more than one read of the client's and hung up
    // by the time the typing comes, the first read stuck in the full output.
    const session = path.join(dir, 'terminal');
    fs.mkdirSync(session);
    const bytes = 160 * 1024; // more than two reads of the client's; little enough for the socket to hold what it has not read
    let hungUp = false;
    const holder = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.end(Buffer.alloc(bytes, 'a'), () => {
        fs.writeFileSync(path.join(session, 'exit'), '4\n');
        socket.destroy();
        hungUp = true;
      });
    });
    await new Promise<void>((resolve) => holder.listen(path.join(session, 'sock'), resolve));
    const out = fullOutput(dir, 'terminal-out');
    const client = spawn(binary, ['attach', session], { stdio: ['pipe', out.fd, 'inherit'] });
    const exited = once(client, 'exit');
    await until('the holder to have sent everything and hung up', () => hungUp);
    client.stdin!.write('late\n');

    // Read as it comes (the client waits on its output), and once more after it ended.
    await until('the client to end', () => out.drain() && client.exitCode !== null);
    const [code] = await exited;
    const output = out.drain();
    out.close();
    holder.close();
    expect(output.length).toBe(bytes);
    expect(code).toBe(4);
  });
});
