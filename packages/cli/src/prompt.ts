import { createInterface } from 'node:readline';
import type { Io } from './context.js';

/** Asks one question on the terminal; with `secret`, what is typed is not echoed. */
export function prompt(io: Io, question: string, secret = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
    if (secret) {
      // readline echoes through _writeToOutput; swallow everything after the question itself.
      const internals = rl as unknown as { _writeToOutput(s: string): void };
      let asked = false;
      internals._writeToOutput = (s: string) => {
        if (!asked) io.stderr.write(s);
        asked = true;
      };
    }
    rl.on('SIGINT', () => {
      rl.close();
      io.stderr.write('\n');
      reject(new Error('cancelled'));
    });
    rl.question(question, (answer) => {
      if (secret) io.stderr.write('\n');
      rl.close();
      resolve(answer);
    });
  });
}

/** Everything a stream gives until it ends (stdin piped into `berth`). */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}
