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
  /** From now on, holds each request whose request line matches `pattern` for `ms` before the engine sees it (a slow engine call). */
  delay(pattern: RegExp, ms: number): void;
  close(): Promise<void>;
}

export async function startEngineProxy(engineSocket = '/var/run/docker.sock'): Promise<EngineProxy> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-engine-proxy-'));
  const socketPath = path.join(dir, 'docker.sock');
  const pairs = new Set<{ client: net.Socket; engine: net.Socket; sent: number }>();
  let limit = Infinity;
  let slow: { pattern: RegExp; ms: number } | undefined;

  const server = net.createServer((client) => {
    const engine = net.connect(engineSocket);
    const pair = { client, engine, sent: 0 };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      engine.destroy();
    };
    engine.on('data', (chunk: Buffer) => {
      pair.sent += chunk.length;
      if (pair.sent > limit) return end();
      if (!client.write(chunk)) engine.pause();
    });
    client.on('drain', () => engine.resume());
    // Requests go through in order; a slow one holds what follows it on its connection, as a slow engine would.
    const slowly = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        const line = chunk.toString('latin1', 0, Math.min(chunk.length, 300)).split('\r\n')[0]!;
        if (slow?.pattern.test(line)) setTimeout(() => done(null, chunk), slow.ms);
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
    delay(pattern, ms) {
      slow = { pattern, ms };
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
