import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TEST_IMAGE } from './images.js';
import { WEB_BUILD } from './paths.js';
import { ADMIN } from './server.js';

const BERTH_BIN = fileURLToPath(new URL('../../packages/cli/bin/berth.mjs', import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote to stdout so far. */
  output(): string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
}

/** Runs `berth server` as a real process and waits until it says where it listens. */
export async function startServerProcess(env: Record<string, string>, timeoutMs = 90_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, [BERTH_BIN, 'server'], {
    // The web app the test run built already: otherwise the first start in a fresh checkout builds one, inside the test's time.
    env: { PATH: process.env.PATH, BERTH_HOST: '127.0.0.1', BERTH_PORT: '0', BERTH_LOG_LEVEL: 'info', BERTH_WEB_DIR: WEB_BUILD, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // a server that never became ready must not outlive the test
      reject(new Error(`server did not start within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const check = () => {
      const match = /Berth is ready at (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before it was ready:\n${out}`));
    });
  });
  return { child, url, output: () => out, exited };
}

/** A second `berth server` beside a test server: the same database, its image and admin. */
export function startPeerProcess(databaseUrl: string): Promise<ServerProcess> {
  return startServerProcess({ DATABASE_URL: databaseUrl, BERTH_ADMIN_PASSWORD: ADMIN.password, BERTH_DEFAULT_IMAGE: TEST_IMAGE, BERTH_LOG_LEVEL: 'warn' }, 90_000);
}

/** Kills it outright (SIGKILL: no shutdown of its own) and waits until it is gone; nothing when there is none. */
export async function killProcess(p: ServerProcess | undefined): Promise<void> {
  p?.child.kill('SIGKILL');
  await p?.exited;
}

/**
 * Berth processes a test starts and kills as it likes: `start` runs one on `env()`, `crash` kills it
 * with SIGKILL, `stopAll` (the test's afterAll, before it removes what they made) kills the rest.
 */
export function serverProcesses(env: () => Record<string, string>) {
  const live = new Set<ServerProcess>();
  return {
    async start(): Promise<ServerProcess> {
      const p = await startServerProcess(env());
      live.add(p);
      void p.exited.then(() => live.delete(p));
      return p;
    },
    async crash(p: ServerProcess): Promise<void> {
      p.child.kill('SIGKILL');
      await p.exited;
    },
    async stopAll(): Promise<void> {
      for (const p of live) p.child.kill('SIGKILL');
      await Promise.all([...live].map((p) => p.exited));
    },
  };
}

/** Signs in at this process with these credentials: a small JSON client of its API (a 204's body is undefined). */
export async function signedInCall(p: ServerProcess, credentials: { username: string; password: string }) {
  const login = await fetch(`${p.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials) });
  if (login.status !== 200) throw new Error(`sign-in at ${p.url} answered ${login.status}`);
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  return async <T>(method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${p.url}/api/v1${route}`, {
      method,
      headers: { cookie, ...(method === 'GET' ? {} : { origin: p.url }), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (res.status === 204 ? undefined : await res.json()) as T };
  };
}
