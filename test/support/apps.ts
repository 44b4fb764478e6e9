import { execFile, spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { App, Release } from '@berth/contracts';
import { afterAll } from 'vitest';
import { freePort } from './ports.js';
import type { Caller } from './server.js';
import { GaveUp, waitFor } from './wait.js';

const run = promisify(execFile);

/** A git repository of the test's own, in a temporary folder: commit files to it, clone it by file:// URL. */
export async function gitRepo(): Promise<{ url: string; commit(files: Record<string, string>, message: string): Promise<string>; remove(): Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-test-repo-'));
  const git = (...args: string[]) => run('git', ['-C', dir, '-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args]);
  await git('init', '--quiet', '--initial-branch', 'main');
  return {
    url: `file://${dir}`,
    async commit(files, message) {
      for (const [name, content] of Object.entries(files)) {
        await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
        await fs.writeFile(path.join(dir, name), content);
      }
      await git('add', '--all');
      await git('commit', '--quiet', '-m', message);
      return (await git('rev-parse', 'HEAD')).stdout.trim();
    },
    remove: () => fs.rm(dir, { recursive: true, force: true }),
  };
}

/** A small Node app: answers `<version> <GREETING> <secret?>` on /, 200 (or `health`) on /health. */
export function nodeApp(version: string, health = 200): Record<string, string> {
  return {
    'package.json': JSON.stringify({ name: 'hello', version: '1.0.0', scripts: { start: 'node server.js' } }),
    'server.js': [
      "const http = require('http');",
      'http.createServer((req, res) => {',
      `  if (req.url === '/health') { res.writeHead(${health}); return res.end('health'); }`,
      `  res.end(['${version}', process.env.GREETING || '-', process.env.SECRET_TOKEN ? 'secret:' + process.env.SECRET_TOKEN.length : 'no-secret'].join(' '));`,
      '}).listen(Number(process.env.PORT), "0.0.0.0");',
    ].join('\n'),
  };
}

/** Waits until release `number` of the app is done: live (or superseded), or failed; fails at once on the other. */
export async function releaseSettles(caller: Caller, appId: string, number: number, want: 'live' | 'failed', timeoutMs = 240_000): Promise<Release> {
  let last: Release | undefined;
  return waitFor(
    () => `release ${number} ${want} (last: ${JSON.stringify(last)})`,
    async () => {
      const { items } = (await caller.get(`/api/v1/apps/${appId}/releases`)).json<{ items: Release[] }>();
      last = items.find((r) => r.number === number);
      const other = want === 'live' ? 'failed' : 'live';
      if (last?.status === other) throw new GaveUp(`release ${number} went ${other}: ${JSON.stringify(last)}`);
      return last?.status === want ? last : undefined;
    },
    timeoutMs,
    250,
  );
}

export async function appOf(caller: Caller, id: string): Promise<App> {
  return (await caller.get(`/api/v1/apps/${id}`)).json<App>();
}

/**
 * A bounded load across a switch between releases: four callers `visit` the app while `deploy`
 * runs (until the new release is live), and 40 more times each after it. What each answer said,
 * and the answers that were not 200.
 */
export async function loadAcrossSwitch(visit: () => Promise<{ status: number; body: string }>, deploy: () => Promise<unknown>): Promise<{ seen: Map<string, number>; failures: string[] }> {
  const seen = new Map<string, number>();
  const failures: string[] = [];
  let switched = false;
  const load = async () => {
    const until = Date.now() + 180_000;
    for (let after = 0; Date.now() < until && after < 40; ) {
      const res = await visit();
      if (res.status !== 200) failures.push(`${res.status} ${res.body}`);
      seen.set(res.body, (seen.get(res.body) ?? 0) + 1);
      if (switched) after += 1;
    }
  };
  const loaders = Promise.all([load(), load(), load(), load()]);
  try {
    await deploy();
  } finally {
    switched = true;
    await loaders;
  }
  return { seen, failures };
}

/**
 * Serves a folder's repositories over git's smart HTTP (`git http-backend`, as CGI) on 127.0.0.1,
 * answering only requests with this user's Basic credentials: a private repository for the test.
 */
export async function privateGitServer(root: string, user: { username: string; password: string }): Promise<{ url: string; close(): Promise<void> }> {
  const expected = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
  const server = http.createServer((req, res) => {
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' });
      return res.end('credentials, please\n');
    }
    const [pathInfo = '', query = ''] = (req.url ?? '').split('?');
    const cgi = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: pathInfo,
        QUERY_STRING: query,
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_USER: user.username,
        REMOTE_ADDR: '127.0.0.1',
      },
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let body = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (body) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of head.subarray(0, end).toString().split('\r\n')) {
        const [name = '', ...rest] = line.split(':');
        if (name.toLowerCase() === 'status') status = Number(rest.join(':').trim().split(' ')[0]);
        else headers[name] = rest.join(':').trim();
      }
      res.writeHead(status, headers);
      body = true;
      res.write(head.subarray(end + 4));
    });
    cgi.stdout.on('end', () => res.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * A Berth that starts its own Caddy in front of its apps (BERTH_EDGE=caddy) on ports of the test's,
 * its files in a folder of the test's (removed after the file), taking sources from this machine.
 */
export async function caddyEdge(): Promise<{ httpPort: number; env: Record<string, string> }> {
  const [httpPort, adminPort] = [await freePort(), await freePort()];
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-caddy-'));
  afterAll(() => fs.rm(dataDir, { recursive: true, force: true }));
  return {
    httpPort,
    env: {
      BERTH_EDGE: 'caddy',
      BERTH_EDGE_HTTP_ADDRESS: `127.0.0.1:${httpPort}`,
      BERTH_EDGE_ADMIN_ADDRESS: `127.0.0.1:${adminPort}`,
      BERTH_DATA_DIR: dataDir,
      BERTH_APPS_ALLOW_LOCAL_SOURCES: 'true',
    },
  };
}

/** What Berth's edge (listening on `port`) answers on `/` for the app at `host`, as a browser at its URL would: "<status> <body>". */
export function visitApp(port: string | number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(`${res.statusCode} ${body}`));
    });
    req.on('error', reject);
  });
}
