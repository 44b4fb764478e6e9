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
  return waitFor(`the socket to close (state ${client.socket.readyState})`, async () => client.closeCode, timeoutMs, 20);
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
