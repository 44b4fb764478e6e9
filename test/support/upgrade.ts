import { randomBytes } from 'node:crypto';
import http from 'node:http';

/** What a server answered to a WebSocket upgrade request. */
export interface UpgradeAnswer {
  /** 101 when the socket was upgraded. */
  status: number;
  upgraded: boolean;
  contentType: string | undefined;
  /** The body of a refusal (empty when upgraded). */
  body: string;
}

/**
 * Sends a raw WebSocket upgrade request (node:http, no WebSocket client in
 * between) and reports whether the server switched protocols or answered
 * plainly. An upgraded socket is closed at once.
 */
export function upgradeRequest(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<UpgradeAnswer> {
  return new Promise((resolve, reject) => {
    // A socket of its own: the server closes it after answering an upgrade either way.
    const request = http.request(`${baseUrl}${path}`, {
      agent: false,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        origin: baseUrl,
        ...headers,
      },
    });
    request.once('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, upgraded: true, contentType: res.headers['content-type'], body: '' });
    });
    request.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, upgraded: false, contentType: res.headers['content-type'], body: Buffer.concat(chunks).toString() }));
      res.once('error', reject);
    });
    request.once('error', reject);
    request.end();
  });
}
