import WebSocket from 'ws';

/** Bytes one side may have queued, unsent, before the other side stops being read. */
const HIGH_WATER_BYTES = 1024 * 1024;
/** ...and how far that must drain before reading resumes. */
const LOW_WATER_BYTES = 256 * 1024;
const CONNECT_TIMEOUT_MS = 5_000;

const sizeOf = (data: WebSocket.RawData): number => (Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data instanceof ArrayBuffer ? data.byteLength : data.length);

/**
 * Relays `from`'s messages to `to`. While `to` has more than the high-water mark
 * unsent (its peer reads slower than `from`'s peer writes), `from` is not read,
 * so TCP pushes back on the writer instead of the server's memory growing.
 */
function relay(from: WebSocket, to: WebSocket): void {
  let unsent = 0;
  from.on('message', (data, isBinary) => {
    if (to.readyState !== WebSocket.OPEN) return;
    const size = sizeOf(data);
    unsent += size;
    to.send(data, { binary: isBinary }, () => {
      // Called once the bytes are handed to the kernel, or with an error when `to` went away.
      unsent -= size;
      if (from.isPaused && unsent <= LOW_WATER_BYTES) from.resume();
    });
    if (unsent > HIGH_WATER_BYTES && !from.isPaused) from.pause();
  });
}

/** Close codes a peer may send on; anything else (1005, 1006, out of range) becomes 1011. */
const relayable = (code: number) => code >= 1000 && code < 5000 && code !== 1005 && code !== 1006;

/**
 * Joins a browser's WebSocket to one opened to the app inside, once `open` says
 * where (and with what headers). Messages flow both ways with backpressure; when
 * either side goes, the other is closed, and an upstream still connecting is abandoned.
 */
export function joinWebSocket(client: WebSocket, open: () => Promise<{ url: string; protocols: string[] | undefined; headers: Record<string, string> }>): void {
  // Nothing the browser sends is read until the app's side is open: no unbounded queue in between.
  client.pause();
  let upstream: WebSocket | undefined;
  client.on('close', () => upstream?.terminate());
  open()
    .then(({ url, protocols, headers }) => {
      if (client.readyState !== WebSocket.OPEN) return;
      const up = new WebSocket(url, protocols, { headers, handshakeTimeout: CONNECT_TIMEOUT_MS });
      upstream = up;
      relay(client, up);
      relay(up, client);
      up.on('open', () => client.resume());
      up.on('close', (code, reason) => client.close(relayable(code) ? code : 1011, reason));
      up.on('error', () => client.close(1011, 'upstream unreachable'));
    })
    .catch(() => client.close(1011, 'upstream unreachable'));
}
