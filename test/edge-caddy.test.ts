import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessLogRequest, EdgeRoute } from '../packages/server/src/edge/caddy.config.js';
import { ADMIN_HEADERS, connectCaddy, followAccessLog, startCaddy, type CaddyEdge } from '../packages/server/src/edge/caddy.js';
import { freePort } from './support/ports.js';
import { waitFor } from './support/wait.js';

/** Berth's edge against a real Caddy (the Debian package's 2.6): routing, graceful switches, TLS, the access log. */

const HOST = 'app-acme.apps.localhost';
const CADDY_BIN = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin'].map((dir) => path.join(dir, 'caddy')).find((file) => existsSync(file));
const LOAD_REQUESTS = 300;
const LOAD_CONCURRENCY = 4;

let root: string;
const servers: http.Server[] = [];
const edges: CaddyEdge[] = [];
const caddyLog: string[] = [];
const log = {
  info: (obj: object, msg?: string) => void caddyLog.push(`info ${msg ?? ''} ${JSON.stringify(obj)}`),
  warn: (obj: object, msg?: string) => void caddyLog.push(`warn ${msg ?? ''} ${JSON.stringify(obj)}`),
};
let v1: string;
let v2: string;

async function serve(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

interface Answer {
  status: number;
  body: string;
}

/** How many GETs were sent again because a kept-alive connection closed under them. */
let resent = 0;

/**
 * A GET through Caddy on `port` for `host` (the Host header, and the TLS server name with `tls`).
 * A reload closes Caddy's idle kept-alive connections; a request written to one at that instant
 * is reset without being read. Like browsers (RFC 9112, 9.3.1) and as Node documents for
 * `reusedSocket`, the client sends such an idempotent request once more on a new connection.
 */
async function get(port: number, host: string, options: { agent?: http.Agent; tls?: { ca?: Buffer } } = {}): Promise<Answer> {
  try {
    return await getOnce(port, host, options);
  } catch (err) {
    if (!(err instanceof ReusedSocketReset)) throw err;
    resent++;
    return getOnce(port, host, { ...options, agent: undefined });
  }
}

class ReusedSocketReset extends Error {}

function getOnce(port: number, host: string, options: { agent?: http.Agent; tls?: { ca?: Buffer } }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const common = { host: '127.0.0.1', port, path: '/', headers: { Host: host }, timeout: 30_000 };
    const req = options.tls
      ? https.get({ ...common, servername: host, agent: false, ...(options.tls.ca ? { ca: options.tls.ca } : {}) })
      : http.get({ ...common, agent: options.agent ?? false });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err: NodeJS.ErrnoException) => reject(req.reusedSocket && err.code === 'ECONNRESET' ? new ReusedSocketReset(err.message) : err));
  });
}

async function edgeWith(name: string, ports: { https?: boolean; tls?: Parameters<typeof startCaddy>[0]['config']['tls'] } = {}) {
  const dataDir = path.join(root, name);
  const httpPort = await freePort();
  const httpsPort = ports.https ? await freePort() : null;
  const accessLog = path.join(dataDir, 'access.log');
  const edge = await startCaddy({
    bin: CADDY_BIN!,
    dataDir,
    config: {
      adminListen: `127.0.0.1:${await freePort()}`,
      httpListen: `127.0.0.1:${httpPort}`,
      httpsListen: httpsPort === null ? null : `127.0.0.1:${httpsPort}`,
      tls: ports.tls ?? { mode: 'internal' },
      accessLog,
    },
    log,
  });
  edges.push(edge);
  return { edge, dataDir, httpPort, httpsPort: httpsPort ?? 0, accessLog };
}

const route = (upstream: string, host = HOST): EdgeRoute[] => [{ id: 'app_acme', hosts: [host], upstreams: [upstream] }];

beforeAll(async () => {
  if (!CADDY_BIN) throw new Error('caddy is not installed: apt-get install -y caddy');
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-edge-'));
  v1 = await serve((_req, res) => res.end('v1'));
  v2 = await serve((_req, res) => res.end('v2'));
});

afterAll(async () => {
  await Promise.all(edges.map((edge) => edge.close()));
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  if (root) await fs.rm(root, { recursive: true, force: true });
}, 60_000);

describe('Caddy edge over plain HTTP', () => {
  it('routes by host, answers 404 to unknown hosts, switches routes under load without failing a request, and logs each request', async () => {
    const { edge, httpPort, accessLog, dataDir } = await edgeWith('plain');
    const logged: AccessLogRequest[] = [];
    const follower = followAccessLog(accessLog, (r) => logged.push(r));
    try {
      await edge.apply(route(v1));
      expect(await get(httpPort, HOST)).toEqual({ status: 200, body: 'v1' });
      const unknown = await get(httpPort, 'nobody.apps.localhost');
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatch(/no app/i);

      // Keep-alive connections, as real clients use: the switch must not break them either.
      const agent = new http.Agent({ keepAlive: true, maxSockets: LOAD_CONCURRENCY });
      const answers: Array<{ answer?: Answer; error?: string; afterSwitch: boolean }> = [];
      let started = 0;
      let switched = false;
      const worker = async () => {
        while (started < LOAD_REQUESTS) {
          started++;
          const afterSwitch = switched;
          try {
            answers.push({ answer: await get(httpPort, HOST, { agent }), afterSwitch });
          } catch (err) {
            answers.push({ error: (err as Error).message, afterSwitch });
          }
        }
      };
      const load = Promise.all(Array.from({ length: LOAD_CONCURRENCY }, worker));
      await waitFor('some requests before the switch', async () => answers.length >= LOAD_REQUESTS / 5, 60_000, 10);
      await edge.apply(route(v2));
      switched = true;
      await load;
      agent.destroy();

      const failed = answers.filter((a) => a.error !== undefined || a.answer?.status !== 200);
      expect(failed, `Caddy's warnings:\n${caddyLog.filter((l) => l.startsWith('warn')).join('\n')}`).toEqual([]);
      const bodies = new Set(answers.map((a) => a.answer?.body));
      expect(bodies).toEqual(new Set(['v1', 'v2']));
      // Once apply() has resolved, the new routes serve every request that starts.
      expect(answers.filter((a) => a.afterSwitch && a.answer?.body !== 'v2')).toEqual([]);
      expect(answers.filter((a) => a.afterSwitch).length).toBeGreaterThan(0);
      // Only the switch closes kept-alive connections, each of them once.
      expect(resent).toBeLessThanOrEqual(LOAD_CONCURRENCY);

      const ours = () => logged.filter((r) => r.host === HOST && r.status === 200);
      await waitFor(() => `the access log to show ${LOAD_REQUESTS + 1} requests for ${HOST} (has ${ours().length})`, async () => ours().length === LOAD_REQUESTS + 1, 30_000);
      expect(logged.filter((r) => r.host === 'nobody.apps.localhost').map((r) => r.status)).toEqual([404]);
      for (const r of logged) {
        expect(r.durationMs).toBeGreaterThanOrEqual(0);
        expect(Math.abs(r.at.getTime() - Date.now())).toBeLessThan(10 * 60_000);
      }
      // Caddy kept its state under dataDir, not in a home directory.
      expect(existsSync(path.join(dataDir, 'data', 'caddy'))).toBe(true);
    } finally {
      follower.close();
    }
  }, 180_000);
});

describe('Caddy edge with a replica gone', () => {
  it('sends a request whose replica refuses the connection on to another replica', async () => {
    const { edge, httpPort } = await edgeWith('gone');
    const gone = `127.0.0.1:${await freePort()}`;
    await edge.apply([{ id: 'app_acme', hosts: [HOST], upstreams: [gone, v1] }]);
    // Round robin hands every other request to the dead replica first.
    const answers = [];
    for (let i = 0; i < 10; i++) answers.push(await get(httpPort, HOST));
    expect(answers).toEqual(Array.from({ length: 10 }, () => ({ status: 200, body: 'v1' })));
  }, 120_000);
});

describe('followAccessLog', () => {
  const line = (host: string, status: number) =>
    `${JSON.stringify({ level: 'info', ts: 1795717256.5, logger: 'http.log.access.berth', msg: 'handled request', request: { host }, duration: 0.002, status })}\n`;

  it('reports only lines appended after it starts, across partial writes, a rotation and a truncation', async () => {
    const file = path.join(root, 'tail', 'access.log');
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, line('before.example', 200));
    const seen: string[] = [];
    const follower = followAccessLog(file, (r) => seen.push(`${r.host} ${r.status} ${r.durationMs}`));
    const expectSeen = (n: number) => waitFor(() => `${n} lines (saw ${seen.join(', ')})`, async () => seen.length >= n, 10_000, 20);
    try {
      // A line written in two parts, split inside a multi-byte character.
      const split = Buffer.from(line('ünïcode.example', 201));
      const inside = split.indexOf('ü') + 1;
      await fs.appendFile(file, split.subarray(0, inside));
      await fs.appendFile(file, split.subarray(inside));
      await expectSeen(1);
      // Rotation: the full file is renamed (with a last line) and a new one started.
      await fs.appendFile(file, line('last-in-old.example', 202));
      await fs.rename(file, `${file}.1`);
      await fs.writeFile(file, line('first-in-new.example', 203));
      await expectSeen(3);
      // Truncated in place to less than was read: read again from the start.
      await fs.writeFile(file, line('t.example', 204));
      await expectSeen(4);
      expect(seen).toEqual(['ünïcode.example 201 2', 'last-in-old.example 202 2', 'first-in-new.example 203 2', 't.example 204 2']);
    } finally {
      follower.close();
    }
  }, 60_000);
});

describe('Caddy edge admin', () => {
  it('applies in call order so the last routes stay, and a config Caddy refuses rejects with its reason and leaves the last one serving', async () => {
    const { edge, httpPort } = await edgeWith('admin');
    // A load (and a refused one, which Caddy rolls back) replaces Caddy's listeners: a connection made
    // at that instant can be reset (Caddy 2.6, SO_REUSEPORT). What serves is asked until it answers.
    const serving = () => waitFor('an answer from Caddy', () => get(httpPort, HOST), 30_000, 100);
    await Promise.all([edge.apply(route(v2)), edge.apply([]), edge.apply(route(v1))]);
    expect(await serving()).toEqual({ status: 200, body: 'v1' });
    // The same routes again: Caddy finds the config unchanged and keeps serving.
    await edge.apply(route(v1));
    expect(await serving()).toEqual({ status: 200, body: 'v1' });

    // Driven from outside: two servers on one address is a config Caddy refuses to run.
    const clash = connectCaddy(edge.adminUrl, {
      httpListen: `127.0.0.1:${httpPort}`,
      httpsListen: `127.0.0.1:${httpPort}`,
      tls: { mode: 'internal' },
      accessLog: null,
    });
    await expect(clash.apply(route(v2))).rejects.toThrow(/Caddy refused the config \(400\)/);
    await clash.close();
    await expect(clash.apply(route(v2))).rejects.toThrow(/closed/);
    expect(await serving()).toEqual({ status: 200, body: 'v1' });
  }, 120_000);
});

describe('Caddy edge over HTTPS', () => {
  it('with internal TLS serves the route over TLS with a certificate for the host from its local CA', async () => {
    const { edge, httpsPort, dataDir } = await edgeWith('internal', { https: true, tls: { mode: 'internal' } });
    await edge.apply(route(v1));
    const ca = await waitFor('the local CA root', () => fs.readFile(path.join(dataDir, 'data', 'caddy', 'pki', 'authorities', 'local', 'root.crt')), 30_000);
    // The certificate is issued in the background once the config loads.
    const answer = await waitFor('an answer over TLS', () => get(httpsPort, HOST, { tls: { ca } }), 60_000, 200);
    expect(answer).toEqual({ status: 200, body: 'v1' });
    // No certificate for a name that is not routed: the handshake fails rather than serving another's.
    await expect(get(httpsPort, 'nobody.apps.localhost', { tls: { ca } })).rejects.toThrow();
  }, 120_000);

  it('with ACME on demand loads in Caddy, asks the ask endpoint before any issuance, and keeps plain HTTP routing', async () => {
    const asked: string[] = [];
    const ask = await serve((req, res) => {
      const domain = new URL(req.url ?? '/', 'http://ask').searchParams.get('domain') ?? '';
      asked.push(domain);
      res.statusCode = domain === 'shop.example.com' ? 200 : 404;
      res.end();
    });
    const askUrl = `http://${ask}/edge/ask`;
    const { edge, httpPort, httpsPort } = await edgeWith('acme', { https: true, tls: { mode: 'acme', askUrl } });
    await edge.apply(route(v1, 'shop.example.com'));

    const tls = await (await fetch(`${edge.adminUrl}/config/apps/tls/automation`, { headers: ADMIN_HEADERS })).json();
    expect(tls).toEqual({ on_demand: { ask: askUrl }, policies: [{ issuers: [{ module: 'acme' }], on_demand: true }] });
    expect(await get(httpPort, 'shop.example.com')).toEqual({ status: 200, body: 'v1' });
    expect((await get(httpPort, 'nobody.example.com')).status).toBe(404);

    // A handshake for a stranger's name: Caddy asks, is told no, and issues nothing (no ACME wait).
    await expect(get(httpsPort, 'stranger.example.com', { tls: {} })).rejects.toThrow();
    expect(asked).toContain('stranger.example.com');
  }, 120_000);
});
