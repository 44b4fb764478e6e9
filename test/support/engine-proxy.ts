import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';

/** A Unix socket in front of the real Docker engine whose connections the test can break. */
export interface EngineProxy {
  /** For DOCKER_HOST=unix://… */
  socketPath: string;
  /**
   * From now on, breaks any connection once the engine has sent more than
   * `bytes` over it (counting from now): the engine going away mid-answer, as
   * on an engine restart or a dropped link to a remote engine.
   */
  breakAfter(bytes: number): void;
  /** Stops breaking connections. */
  heal(): void;
  /** From now on (until called with nothing), holds each request whose request line matches `pattern` for `ms` before the engine sees it (a slow engine call). */
  delay(pattern?: RegExp, ms?: number): void;
  /** From now on (until called with nothing), holds what follows the head of the engine's answer to each request whose request line matches `pattern` for `ms` (an exec's output, after its upgrade). */
  delayAnswers(pattern?: RegExp, ms?: number): void;
  /**
   * From now on (until called with nothing), answers each request whose request line matches
   * `pattern` with the engine's 500 and `message`, without the engine seeing it. The request must
   * have no body (an engine call that gives up, as a resize does on a process slow to start).
   */
  refuse(pattern?: RegExp, message?: string): void;
  close(): Promise<void>;
}

export async function startEngineProxy(engineSocket = '/var/run/docker.sock'): Promise<EngineProxy> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-engine-proxy-'));
  const socketPath = path.join(dir, 'docker.sock');
  const pairs = new Set<{ client: net.Socket; engine: net.Socket; sent: number; holdAnswerMs: number }>();
  let limit = Infinity;
  let slow: { pattern: RegExp; ms: number } | undefined;
  let slowAnswers: { pattern: RegExp; ms: number } | undefined;
  let refused: { pattern: RegExp; answer: string } | undefined;

  const server = net.createServer((client) => {
    const engine = net.connect(engineSocket);
    const pair = { client, engine, sent: 0, holdAnswerMs: 0 };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      engine.destroy();
    };
    engine.on('data', (chunk: Buffer) => {
      const headEnd = pair.holdAnswerMs ? chunk.indexOf('\r\n\r\n') : -1;
      if (headEnd >= 0) {
        // The answer's head goes on (an exec's start is answered by its upgrade), what follows it waits, and so (paused) does everything after.
        const ms = pair.holdAnswerMs;
        pair.holdAnswerMs = 0;
        client.write(chunk.subarray(0, headEnd + 4));
        engine.pause();
        setTimeout(() => {
          if (chunk.length > headEnd + 4) engine.unshift(chunk.subarray(headEnd + 4));
          engine.resume();
        }, ms);
        return;
      }
      pair.sent += chunk.length;
      if (pair.sent > limit) return end();
      if (!client.write(chunk)) engine.pause();
    });
    client.on('drain', () => engine.resume());
    // Requests go through in order; a slow one holds what follows it on its connection, as a slow engine would.
    const slowly = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        const line = chunk.toString('latin1', 0, Math.min(chunk.length, 300)).split('\r\n')[0]!;
        if (slowAnswers?.pattern.test(line)) pair.holdAnswerMs = slowAnswers.ms;
        if (refused?.pattern.test(line)) {
          client.write(refused.answer);
          done();
        } else if (slow?.pattern.test(line)) setTimeout(() => done(null, chunk), slow.ms);
        else done(null, chunk);
      },
    });
    client.pipe(slowly).pipe(engine);
    client.on('error', end).on('close', end);
    engine.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));

  return {
    socketPath,
    breakAfter(bytes) {
      for (const pair of pairs) pair.sent = 0;
      limit = bytes;
    },
    heal() {
      limit = Infinity;
    },
    delay(pattern, ms = 0) {
      slow = pattern && { pattern, ms };
    },
    delayAnswers(pattern, ms = 0) {
      slowAnswers = pattern && { pattern, ms };
    },
    refuse(pattern, message = 'refused by the test') {
      const body = JSON.stringify({ message });
      refused = pattern && { pattern, answer: `HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}` };
    },
    async close() {
      for (const { client, engine } of pairs) {
        client.destroy();
        engine.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
