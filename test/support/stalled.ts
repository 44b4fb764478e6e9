import http from 'node:http';
import { waitFor } from './wait.js';

/** A response the client stopped reading after its headers, as a stalled or malicious client does. */
export interface StalledResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Reads (and drops) the rest from now on; resolves with the bytes read once the response ends. */
  drain(): Promise<number>;
  /** Goes away: the connection is destroyed. */
  close(): void;
}

/**
 * Sends a request and never reads its answer past the headers. Node then stops
 * reading the socket, so TCP pushes back on the server: whatever the server
 * does not hold back piles up in its own memory.
 */
export function stalledRequest(url: string, init: { method: string; headers: Record<string, string>; body?: Buffer | string }): Promise<StalledResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: init.method, headers: init.headers });
    req.once('error', reject);
    req.once('response', (res) => {
      res.pause();
      // A close() later, or the server cutting the response, is not a failure of the test.
      req.on('error', () => undefined);
      res.on('error', () => undefined);
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        drain: () =>
          new Promise((done, fail) => {
            let bytes = 0;
            res.on('data', (chunk: Buffer) => (bytes += chunk.length));
            res.once('end', () => done(bytes));
            res.once('close', () => (res.complete ? done(bytes) : fail(new Error(`the response was cut after ${bytes} bytes`))));
            res.resume();
          }),
        close: () => req.destroy(),
      });
    });
    req.end(init.body);
  });
}

/** This process's resident set size: the test server runs in the test's own process. */
export const rss = (): number => process.memoryUsage().rss;

export const MIB = 1024 * 1024;

/**
 * Waits until a counter the environment keeps stops moving (it is blocked) or
 * passes `far` (nothing holds it back), and returns its last value. A counter
 * that stays put for `stillSamples` samples in a row counts as stopped.
 */
export async function untilStalledOrPast(what: string, read: () => Promise<number>, far: number, stillSamples = 15, everyMs = 150): Promise<number> {
  let last = -1;
  let still = 0;
  return waitFor(
    () => `${what} to stop or pass ${far} (last ${last})`,
    async () => {
      const now = await read();
      still = now === last ? still + 1 : 0;
      last = now;
      return now >= far || (now > 0 && still >= stillSamples) ? now : undefined;
    },
    120_000,
    everyMs,
  );
}
