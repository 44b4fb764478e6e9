import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { whenListening } from './proxy.js';

/** A port nothing listens on: one the system handed out and took back. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('whenListening', () => {
  it('keeps trying while refused, and resolves once a server that starts late accepts the connection', async () => {
    const port = await freePort();
    const accepted: net.Socket[] = [];
    const server = net.createServer((socket) => accepted.push(socket));
    const waiting = whenListening('127.0.0.1', port, 20_000, 500);
    // Nothing listens yet: the first attempt is refused, and the wait goes on.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      await waiting;
      await expect.poll(() => accepted.length).toBeGreaterThan(0);
    } finally {
      accepted.forEach((s) => s.destroy());
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('gives up quietly at the deadline when nothing ever listens', async () => {
    const port = await freePort();
    const began = Date.now();
    await expect(whenListening('127.0.0.1', port, 600, 200)).resolves.toBeUndefined();
    expect(Date.now() - began).toBeGreaterThanOrEqual(600);
  });
});
