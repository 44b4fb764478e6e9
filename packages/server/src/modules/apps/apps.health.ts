import http from 'node:http';
import net from 'node:net';

/**
 * One look at whether a replica is healthy: its HTTP path answers below 400, or (no path) its port
 * accepts a connection, within `timeoutMs`.
 */
export function probe(target: { host: string; port: number }, path: string | null, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (path === null) {
      const socket = net.connect({ ...target, timeout: timeoutMs });
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.once('connect', () => done(true));
      socket.once('timeout', () => done(false));
      socket.once('error', () => done(false));
      return;
    }
    // A hard deadline: a server trickling its answer a byte at a time never resets an idle timeout long enough.
    const deadline = setTimeout(() => request.destroy(), timeoutMs);
    const request = http.get({ ...target, path, headers: { 'user-agent': 'berth-health-check' } }, (res) => {
      clearTimeout(deadline);
      res.resume();
      resolve((res.statusCode ?? 500) < 400);
    });
    request.once('error', () => {
      clearTimeout(deadline);
      resolve(false);
    });
  });
}
