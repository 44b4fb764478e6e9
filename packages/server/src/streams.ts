import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

/**
 * Small stream tools for bounded reads and writes: a byte cap that never trusts
 * a size announced up front, and a write that says when to wait.
 */

/**
 * Passes bytes through until more than `maxBytes` have gone by, then fails with
 * `tooMany()`. Inside a pipeline that destroys every stream in it, the source
 * included, so nothing more is read from it.
 */
export function byteCap(maxBytes: number, tooMany: () => Error): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > maxBytes) return done(tooMany());
      done(null, chunk);
    },
  });
}

/** Every byte of a stream, or `tooMany()` (and the source destroyed) once there are more than `maxBytes`. */
export async function collect(source: NodeJS.ReadableStream, maxBytes: number, tooMany: () => Error): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pipeline(source, byteCap(maxBytes, tooMany), async (inflow: AsyncIterable<Buffer>) => {
    for await (const chunk of inflow) chunks.push(chunk);
  });
  return Buffer.concat(chunks);
}

/**
 * A request body sent with `Content-Encoding: gzip`, inflated as it arrives, in
 * chunks on zlib's thread pool, never in one synchronous call on the request
 * thread. Meant for Fastify's preParsing hook: Fastify's body limit then counts
 * the inflated bytes (and `receivedEncodedLength`, the compressed ones), so a
 * bomb is refused with 413 as soon as its output passes the limit, before the
 * rest of it is even received. Bad gzip fails the stream (Fastify answers 400).
 *
 * The body is never destroyed here, only unpiped: destroying an unfinished
 * request resets the connection before the answer could be sent.
 */
export function gunzipBody(body: Readable): Readable & { receivedEncodedLength: number } {
  const inflated = Object.assign(createGunzip(), { receivedEncodedLength: 0 });
  body.on('data', (chunk: Buffer) => (inflated.receivedEncodedLength += chunk.length));
  body.once('error', (err) => inflated.destroy(err));
  body.once('aborted', () => inflated.destroy(new Error('the request body was cut short')));
  inflated.once('error', () => {
    body.unpipe(inflated);
    body.pause();
  });
  body.pipe(inflated);
  return inflated;
}

/** The one wait for room per stream, shared by every write that finds it full. */
const roomOf = new WeakMap<Writable, Promise<void>>();

/**
 * Writes with backpressure: undefined when `out` has room for more, otherwise a
 * promise that settles once it has (drain) or never will (close, error). The
 * caller stops its source until then. Writes that find the stream full share
 * one wait, so its listeners do not pile up with its writers.
 */
export function writeOrWait(out: Writable, chunk: Buffer | string): Promise<void> | undefined {
  if (out.destroyed) return undefined;
  if (out.write(chunk)) return undefined;
  let room = roomOf.get(out);
  if (!room) {
    room = new Promise<void>((resolve) => {
      const settle = () => {
        out.off('drain', settle);
        out.off('close', settle);
        out.off('error', settle);
        roomOf.delete(out);
        resolve();
      };
      out.on('drain', settle);
      out.on('close', settle);
      out.on('error', settle);
    });
    roomOf.set(out, room);
  }
  return room;
}
