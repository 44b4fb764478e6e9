import { randomBytes } from 'node:crypto';
import net from 'node:net';
import WebSocket from 'ws';
import { TerminalClient } from './terminal.js';
import { waitFor } from './wait.js';

/** Long enough for a loaded machine, far shorter than the periodic re-check (60 s), so only the announcement can pass it. */
export const REVOKED_WITHIN_MS = 5_000;

/** Opens a WebSocket to a listening Berth (the terminal client collects any socket's frames). */
export function openSocket(base: string, path: string, headers: Record<string, string>): TerminalClient {
  return TerminalClient.open(`${base.replace(/^http/, 'ws')}${path}`, headers);
}

/** Waits (bounded) until the socket has closed, and returns its close code. */
export async function closedWith(client: TerminalClient, timeoutMs = REVOKED_WITHIN_MS): Promise<number> {
  return waitFor(() => `the socket to close (state ${client.socket.readyState})`, async () => client.closeCode, timeoutMs, 20);
}

/** An upgrade Berth refuses: its status, content type and problem+json body. */
export function refusedUpgrade(base: string, path: string, headers: Record<string, string>): Promise<{ status: number; type: string | undefined; body: { code?: string } }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}${path}`, { headers });
    ws.once('open', () => {
      ws.close();
      reject(new Error(`the upgrade to ${path} was not refused`));
    });
    ws.once('unexpected-response', (request, response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => {
        request.destroy();
        resolve({ status: response.statusCode ?? 0, type: response.headers['content-type'], body: JSON.parse(text) as { code?: string } });
      });
    });
    ws.on('error', (err) => reject(err));
  });
}

/**
 * A WebSocket client that ignores the server's close frame and keeps typing,
 * as an attacker's would: a raw TCP connection speaking just enough of RFC 6455.
 */
export async function stubbornSocket(base: string, path: string, headers: Record<string, string>) {
  const { host, hostname, port } = new URL(base);
  const connection = net.connect(Number(port), hostname);
  connection.on('error', () => undefined); // a reset after the server cuts us off is expected
  const head = Object.entries({ host, upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': '13', 'sec-websocket-key': randomBytes(16).toString('base64'), ...headers });
  connection.write(`GET ${path} HTTP/1.1\r\n${head.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
  let received = Buffer.alloc(0);
  connection.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
  const ended = new Promise<void>((resolve) => connection.once('close', () => resolve()));
  await waitFor('the upgrade', async () => received.includes('\r\n\r\n') && received.toString('latin1').startsWith('HTTP/1.1 101'), 10_000, 20);
  return {
    /** Sends a masked binary frame (clients must mask). */
    type(text: string): void {
      const payload = Buffer.from(text);
      const mask = randomBytes(4);
      const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
      connection.write(Buffer.concat([Buffer.from([0x82, 0x80 | payload.length]), mask, masked]));
    },
    /** The close code the server sent, once its close frame (opcode 8, unmasked, short) has arrived. */
    closeCode: (): number | undefined => {
      for (let at = received.indexOf('\r\n\r\n') + 4; at + 2 <= received.length; ) {
        const short = received[at + 1]! & 0x7f;
        if (received.length < at + (short === 126 ? 4 : short === 127 ? 10 : 2)) return undefined;
        const [start, length] = short === 126 ? [at + 4, received.readUInt16BE(at + 2)] : short === 127 ? [at + 10, Number(received.readBigUInt64BE(at + 2))] : [at + 2, short];
        if (start + length > received.length) return undefined;
        if ((received[at]! & 0x0f) === 8) return received.readUInt16BE(start);
        at = start + length;
      }
      return undefined;
    },
    /** Resolves when the server has cut the TCP connection. */
    ended,
  };
}

/** Follows a streamed response body: everything it has sent so far, and whether it has ended. */
export function follow(body: ReadableStream<Uint8Array>): { bytes(): Buffer; ended(): boolean } {
  const reader = body.getReader();
  let bytes = Buffer.alloc(0);
  let ended = false;
  void (async () => {
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true as const, value: undefined }));
      if (done) break;
      bytes = Buffer.concat([bytes, value]);
    }
    ended = true;
  })();
  return { bytes: () => bytes, ended: () => ended };
}
