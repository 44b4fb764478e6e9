import type { ServerResponse } from 'node:http';
import { writeOrWait } from '../../streams.js';
import type { ConnectCode } from './e2b.errors.js';

/**
 * The Connect protocol's framing for streams, JSON encoding
 * (docs/e2b-protocol.md §3.4): each message is a 5-byte prefix (flags, then
 * the length big-endian) and the JSON. Flag 2 marks the last frame, which
 * carries `{}` or the call's error. Small enough that a library would add more
 * than it saves; unary calls are plain JSON and need no framing at all.
 */
const FLAG_MESSAGE = 0;
const FLAG_COMPRESSED = 1;
const FLAG_END = 2;

export function frame(flags: number, message: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(message));
  const head = Buffer.alloc(5);
  head.writeUInt8(flags, 0);
  head.writeUInt32BE(json.length, 1);
  return Buffer.concat([head, json]);
}

/** The request message of a streaming call: exactly one uncompressed frame. */
export function unframe(body: Buffer): unknown {
  if (body.length < 5) throw new Error('the request is not a Connect frame');
  const flags = body.readUInt8(0);
  if (flags & FLAG_COMPRESSED) throw new Error('compressed Connect frames are not supported');
  const length = body.readUInt32BE(1);
  if (body.length !== 5 + length) throw new Error('the request must hold exactly one Connect frame');
  return JSON.parse(body.subarray(5).toString('utf8'));
}

/**
 * A server stream on the raw response: every frame goes out as it is written
 * (no buffering, no compression), because the SDK hands output to callbacks as
 * it arrives. send() honours backpressure: while the client has not taken what
 * was sent, it answers a promise to wait on.
 */
export function openStream(raw: ServerResponse) {
  raw.writeHead(200, { 'content-type': 'application/connect+json', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
  raw.flushHeaders();
  let ended = false;
  return {
    get closed(): boolean {
      return ended || raw.destroyed;
    },
    send(message: unknown): Promise<void> | undefined {
      return this.closed ? undefined : writeOrWait(raw, frame(FLAG_MESSAGE, message));
    },
    end(error?: { code: ConnectCode; message: string }): void {
      if (this.closed) return;
      ended = true;
      raw.end(frame(FLAG_END, error ? { error } : {}));
    },
  };
}

export type ConnectStream = ReturnType<typeof openStream>;
