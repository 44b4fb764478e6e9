import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameReader, frame } from '../modules/e2b/envd.held.js';
import { buildSessionHolder } from './session-holder.js';

/** Waits for `check` to hold, up to `ms`. */
async function until(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * berth-hold's process relay run on this machine, as it runs inside an environment: its stdin and
 * stdout are what the engine's exec connects to Berth.
 */
describe('berth-hold proc', () => {
  let dir: string;
  let binary: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-hold-'));
    const holder = await buildSessionHolder(dir, { warn: () => undefined });
    if (!holder) throw new Error('berth-hold could not be built (no C compiler?)');
    binary = path.join(dir, 'berth-hold');
    await fs.writeFile(binary, holder.binary, { mode: 0o755 });
  }, 120_000);
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('passes on all the holder said, how the process ended included, when input comes after the holder hung up', async () => {
    const root = path.join(dir, 'processes');
    // More output than the relay's stdout takes while nobody reads it, less than the holder's socket takes on top.
    const bytes = 256 * 1024;
    const relay = spawn(binary, ['proc', root, '0', '0', '0', '--', 'sh', '-c', `head -c ${bytes} /dev/zero; exit 3`], { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = once(relay, 'exit');
    relay.stdout.pause(); // Berth is slow to read: the relay holds what it read from the holder
    const holders = () => fs.readdir(root).catch(() => []);
    await until('the holder to start', async () => (await holders()).length === 1);

    relay.stdin.write(frame('m', Buffer.from(JSON.stringify({ config: { cmd: 'sh', args: [], envs: {} }, tty: false }))));
    await until('the holder to end, having sent everything', async () => (await holders()).length === 0);
    // Input after that (an end of input sent a moment after the command) finds the holder gone.
    relay.stdin.write(frame('d', Buffer.from('late\n')));

    const reader = new FrameReader();
    const frames: { type: string; data: Buffer }[] = [];
    relay.stdout.on('data', (chunk: Buffer) => {
      frames.push(...reader.push(chunk));
      if (frames.at(-1)?.type === 'z') relay.stdin.end(); // as Berth does once the holder hung up
    });
    relay.stdout.resume();
    const [code] = await exited;

    expect(frames.map((f) => f.type).filter((t, i, all) => t !== all[i - 1])).toEqual(['h', 'o', 'x', 'z']);
    expect(frames.filter((f) => f.type === 'o').reduce((n, f) => n + f.data.length, 0)).toBe(bytes);
    expect(frames.find((f) => f.type === 'x')!.data.readInt32BE(0)).toBe(3);
    expect(code).toBe(0);
  });
});
