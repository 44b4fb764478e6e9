import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { loadConfig } from '../../config.js';
import { joinWebSocket } from './previews.socket.js';

const CHUNK = Buffer.alloc(64 * 1024, 'y');
/** Far more than the relay's high-water mark plus every socket buffer on the way (loopback autotunes to a few MiB each). */
const MAX_SENT = 64 * 1024 * 1024;
/** A writer whose own queue grows past this is being pushed back on. */
const PUSHED_BACK = 4 * 1024 * 1024;

/** The relay as Berth runs it by default. */
const { streamBuffer, preview } = loadConfig({});
const LIMITS = { ...streamBuffer, connectTimeoutMs: preview.connectTimeoutMs };

const closers: (() => void)[] = [];
afterEach(() => closers.splice(0).forEach((close) => close()));

/** A browser, a relay in the middle (Berth) and the app inside, all real sockets on loopback. */
async function relayed() {
  const app = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(app, 'listening');
  const appSockets: WebSocket[] = [];
  app.on('connection', (ws) => appSockets.push(ws));
  const front = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(front, 'listening');
  front.on('connection', (ws) => joinWebSocket(ws, async () => ({ url: `ws://127.0.0.1:${(app.address() as AddressInfo).port}/`, protocols: undefined, headers: {} }), LIMITS));
  const browser = new WebSocket(`ws://127.0.0.1:${(front.address() as AddressInfo).port}/`);
  browser.on('error', () => undefined);
  closers.push(() => {
    browser.terminate();
    front.clients.forEach((c) => c.terminate());
    app.clients.forEach((c) => c.terminate());
    front.close();
    app.close();
  });
  await once(browser, 'open');
  const inside = await vi.waitFor(() => appSockets[0] ?? Promise.reject(new Error('no connection inside yet')));
  return { browser, inside };
}

/** Writes until the writer's own queue shows it is pushed back on; how much it got to send. */
async function writeUntilPushedBack(writer: WebSocket): Promise<number> {
  let sent = 0;
  while (writer.bufferedAmount < PUSHED_BACK && sent < MAX_SENT) {
    writer.send(CHUNK);
    sent += CHUNK.length;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return sent;
}

describe('the preview WebSocket relay', () => {
  it('relays messages both ways once the app side is open', async () => {
    const { browser, inside } = await relayed();
    const atApp = once(inside, 'message');
    browser.send('from the browser');
    expect(String((await atApp)[0])).toBe('from the browser');
    const atBrowser = once(browser, 'message');
    inside.send('from the app');
    expect(String((await atBrowser)[0])).toBe('from the app');
  });

  it('stops reading the app while the browser does not read, instead of queueing without bound', async () => {
    const { browser, inside } = await relayed();
    browser.pause();
    expect(await writeUntilPushedBack(inside)).toBeLessThan(MAX_SENT);
  });

  it('stops reading the browser while the app does not read', async () => {
    const { browser, inside } = await relayed();
    inside.pause();
    expect(await writeUntilPushedBack(browser)).toBeLessThan(MAX_SENT);
  });

  it('resumes once the slow side catches up, losing nothing', async () => {
    const { browser, inside } = await relayed();
    browser.pause();
    const sent = await writeUntilPushedBack(inside);
    let received = 0;
    browser.on('message', (data: Buffer) => (received += data.length));
    browser.resume();
    await vi.waitFor(() => expect(received).toBe(sent), { timeout: 20_000 });
  });

  it('closes the connection to the app when the browser goes, and passes the app closing on', async () => {
    const first = await relayed();
    const appClosed = once(first.inside, 'close');
    first.browser.terminate();
    await appClosed;

    const second = await relayed();
    const browserClosed = once(second.browser, 'close');
    second.inside.close(4001, 'bye');
    const [code, reason] = await browserClosed;
    expect([code, String(reason)]).toEqual([4001, 'bye']);
  });
});
