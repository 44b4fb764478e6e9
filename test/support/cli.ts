import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The `berth` CLI as users run it. */
export const BERTH_BIN = fileURLToPath(new URL('../../packages/cli/bin/berth.mjs', import.meta.url));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `berth` as a subprocess with its own HOME and nothing else of ours but
 * PATH (and `env`). With `input`, that is all its stdin gives; without, stdin
 * is not even open.
 */
export function runBerth(args: string[], opts: { home: string; env?: Record<string, string>; input?: string }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const stdin = opts.input === undefined ? 'ignore' : 'pipe';
    const child = spawn(process.execPath, [BERTH_BIN, ...args], { env: { PATH: process.env.PATH ?? '', HOME: opts.home, ...opts.env }, stdio: [stdin, 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    if (child.stdin) {
      // A berth that exits without reading its stdin closes the pipe: that is no failure of the test.
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input);
    }
  });
}
