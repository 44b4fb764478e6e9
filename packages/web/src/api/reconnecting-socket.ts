import { SOCKET_CLOSE_NOT_FOUND, SOCKET_CLOSE_REVOKED, SOCKET_CLOSE_TOO_MANY } from '@berth/contracts';
import { wsUrl } from './client.js';

/**
 * Closes after which connecting again would be refused the same way: a revoked
 * credential, something gone, too many open. The owner decides what comes next.
 */
const FINAL_CLOSES: ReadonlySet<number> = new Set([SOCKET_CLOSE_REVOKED, SOCKET_CLOSE_NOT_FOUND, SOCKET_CLOSE_TOO_MANY]);
/** Backoff after a dropped connection: doubling from the first delay up to the most. */
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

export interface SocketHandlers {
  /** The API path, asked again at every (re)connect, so it can say where to resume. */
  path: () => string;
  binaryType?: BinaryType;
  /** `reattached`: an earlier connection of this run had opened (a server may replay what it sent then). */
  onOpen?: (socket: WebSocket, reattached: boolean) => void;
  onMessage: (data: unknown) => void;
  /** Whether to connect again after a drop; always, unless this says otherwise (a shell that exited). */
  retry?: () => boolean;
  /** The connection dropped and is being made again. */
  onDrop?: () => void;
  /** Closed with one of the final codes: nothing is tried again until `restart()`. */
  onEnd?: (code: number, reason: string) => void;
}

export interface ReconnectingSocket {
  /** Sends when connected; dropped otherwise. */
  send: (data: string | Uint8Array) => void;
  /** Closes for good. */
  stop: () => void;
  /** Closes whatever is open and starts again from a first connection. */
  restart: () => void;
}

/**
 * The web app's one reconnecting WebSocket (event streams, terminals): backoff
 * after a drop, no retry after a final close code, and a close that does not
 * make the browser log an error.
 */
export function openReconnectingSocket(handlers: SocketHandlers): ReconnectingSocket {
  let socket: WebSocket | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let opened = false;

  const connect = () => {
    const ws = new WebSocket(wsUrl(handlers.path()));
    if (handlers.binaryType) ws.binaryType = handlers.binaryType;
    socket = ws;
    ws.onopen = () => {
      failures = 0;
      handlers.onOpen?.(ws, opened);
      opened = true;
    };
    ws.onmessage = (message) => ws === socket && handlers.onMessage(message.data);
    ws.onclose = (close) => {
      if (ws !== socket) return;
      if (FINAL_CLOSES.has(close.code)) return handlers.onEnd?.(close.code, close.reason);
      if (handlers.retry && !handlers.retry()) return;
      handlers.onDrop?.();
      timer = setTimeout(connect, Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** failures++));
    };
  };

  const close = () => {
    clearTimeout(timer);
    const ws = socket;
    socket = undefined;
    if (!ws) return;
    // Closing a socket that is still connecting makes the browser log an error; close it once it opens.
    if (ws.readyState === WebSocket.CONNECTING) ws.onopen = () => ws.close();
    else ws.close();
  };

  const start = () => {
    failures = 0;
    opened = false;
    // Deferred so React's development double-mount does not open and abort a socket.
    timer = setTimeout(connect, 0);
  };
  start();

  return {
    send: (data) => {
      if (socket?.readyState === WebSocket.OPEN) socket.send(data);
    },
    stop: close,
    restart: () => {
      close();
      start();
    },
  };
}
