import WebSocket from 'ws';

export interface RelayLimits {
  /** Bytes one side may have queued, unsent, before the other side stops being read... */
  highWaterBytes: number;
  /** ...and how far that must drain before reading resumes. */
  lowWaterBytes: number;
  /** How long the app inside has to accept the upstream socket. */
  connectTimeoutMs: number;
}

const sizeOf = (data: WebSocket.RawData): number => (Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data instanceof ArrayBuffer ? data.byteLength : data.length);

/**
 * Relays `from`'s messages to `to`. While `to` has more than the high-water mark
 * unsent (its peer reads slower than `from`'s peer writes), `from` is not read,
 * so TCP pushes back on the writer instead of the server's memory growing.
 */
function relay(from: WebSocket, to: WebSocket, limits: RelayLimits): void {
  let unsent = 0;
  from.on('message', (data, isBinary) => {
    if (to.readyState !== WebSocket.OPEN) return;
    const size = sizeOf(data);
    unsent += size;
    to.send(data, { binary: isBinary }, () => {
      // Called once the bytes are handed to the kernel, or with an error when `to` went away.
      unsent -= size;
      if (from.isPaused && unsent <= limits.lowWaterBytes) from.resume();
    });
    if (unsent > limits.highWaterBytes && !from.isPaused) from.pause();
  });
}

/** Close codes a peer may send on; anything else (1005, 1006, out of range) becomes 1011. */
const relayable = (code: number) => code >= 1000 && code < 5000 && code !== 1005 && code !== 1006;

/**
 * Joins a browser's WebSocket to one opened to the app inside, once `open` says
 * where (and with what headers). Messages flow both ways with backpressure; when
 * either side goes, the other is closed, and an upstream still connecting is abandoned.
 */
export function joinWebSocket(client: WebSocket, open: () => Promise<{ url: string; protocols: string[] | undefined; headers: Record<string, string> }>, limits: RelayLimits): void {
  // Nothing the browser sends is read until the app's side is open: no unbounded queue in between.
  client.pause();
  let upstream: WebSocket | undefined;
  client.on('close', () => upstream?.terminate());
  open()
    .then(({ url, protocols, headers }) => {
      if (client.readyState !== WebSocket.OPEN) return;
      const up = new WebSocket(url, protocols, { headers, handshakeTimeout: limits.connectTimeoutMs });
      upstream = up;
      relay(client, up, limits);
      relay(up, client, limits);
      up.on('open', () => client.resume());
      up.on('close', (code, reason) => client.close(relayable(code) ? code : 1011, reason));
      up.on('error', () => client.close(1011, 'upstream unreachable'));
    })
    .catch(() => client.close(1011, 'upstream unreachable'));
}
