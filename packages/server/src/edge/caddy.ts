import { spawn, type ChildProcess } from 'node:child_process';
import { statSync, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { StringDecoder } from 'node:string_decoder';
import { caddyConfig, parseAccessLine, type AccessLogRequest, type EdgeConfigInput, type EdgeRoute } from './caddy.config.js';

/**
 * Berth's edge: Caddy in front of the apps' replicas. Either Berth runs Caddy as a child process
 * (startCaddy) or drives one something else runs (connectCaddy); both replace Caddy's whole config
 * through its admin API, so Caddy holds no state Berth cannot rebuild from its database.
 */

export interface CaddyEdge {
  /** replaces the routes; resolves once Caddy has loaded the new config (Caddy's reload is graceful: in-flight requests finish) */
  apply(routes: EdgeRoute[]): Promise<void>;
  readonly adminUrl: string;
  close(): Promise<void>;
}

export interface EdgeLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** How long Caddy may take to start and load its first config (a cold start on a slow machine issues certificates). */
export const CADDY_START_TIMEOUT_MS = 30_000;
/** How long one config load may take before apply() gives up on it. */
export const CADDY_LOAD_TIMEOUT_MS = 60_000;
/** How long close() waits after SIGTERM for in-flight requests to finish before it kills Caddy. */
export const CADDY_STOP_GRACE_MS = 10_000;
/** How often the admin API is polled while Caddy starts, and the access log while it is followed. */
const ADMIN_POLL_MS = 100;
export const ACCESS_LOG_POLL_MS = 250;
/** A longer line than this without a newline is not one Caddy wrote whole; it is dropped. */
const MAX_ACCESS_LINE_BYTES = 2 * 1024 * 1024;
const READ_CHUNK_BYTES = 64 * 1024;

/** Starts `caddy run` as a child process with an initial config, waits for its admin API, returns the handle; close() stops it (SIGTERM, then SIGKILL after a bound). Its stdout/stderr go to the logger given. */
export async function startCaddy(options: { bin: string; dataDir: string; config: Omit<EdgeConfigInput, 'routes'>; log: EdgeLog }): Promise<CaddyEdge> {
  const { bin, dataDir, config, log } = options;
  await fs.mkdir(dataDir, { recursive: true });
  const configFile = path.join(dataDir, 'caddy.json');
  // The same generator as apply(): Caddy starts as apply([]) would leave it, never with a stale file.
  await fs.writeFile(configFile, JSON.stringify(caddyConfig({ ...config, routes: [] })));
  const child = spawn(bin, ['run', '--config', configFile], {
    // Certificates, keys, the local CA and any autosave stay under dataDir, never in a real home;
    // nothing else of Berth's environment (secrets included) reaches Caddy.
    env: { HOME: dataDir, XDG_DATA_HOME: path.join(dataDir, 'data'), XDG_CONFIG_HOME: path.join(dataDir, 'config'), XDG_CACHE_HOME: path.join(dataDir, 'cache') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | string | null>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal));
    child.once('error', (err) => resolve(err.message));
  });
  const recent: string[] = [];
  forwardOutput(child, log, recent);
  const adminUrl = `http://${config.adminListen}`;
  try {
    await whenLoaded(adminUrl, exited, recent);
  } catch (err) {
    await stop(child, exited);
    throw err;
  }
  let stopping = false;
  void exited.then((code) => {
    if (!stopping) log.warn({ code }, 'caddy exited unexpectedly');
  });
  const edge = connectCaddy(adminUrl, config);
  return {
    adminUrl,
    apply: (routes) => edge.apply(routes),
    async close() {
      stopping = true;
      await edge.close();
      await stop(child, exited);
    },
  };
}

/** Drives a Caddy that something else runs, through its admin API URL. */
export function connectCaddy(adminUrl: string, config: Omit<EdgeConfigInput, 'routes' | 'adminListen'>): CaddyEdge {
  const base = adminUrl.replace(/\/+$/, '');
  // The loaded config names the admin address too: keep the one this Caddy is reached on.
  const adminListen = new URL(base).host;
  // One load at a time, in call order, so the last apply() is the config that stays.
  let queue: Promise<void> = Promise.resolve();
  let closed = false;
  return {
    adminUrl: base,
    apply(routes) {
      if (closed) return Promise.reject(new Error('the Caddy edge is closed'));
      // Generated inside the queue, so input caddyConfig refuses rejects like a refused load.
      const next = queue.then(() => load(base, JSON.stringify(caddyConfig({ ...config, adminListen, routes }))));
      queue = next.catch(() => undefined);
      return next;
    },
    async close() {
      closed = true;
      await queue;
    },
  };
}

/**
 * Caddy replaces its admin server on every load, closing the connections the old one had open: a
 * kept-alive connection would fail the next admin request. Each request gets its own.
 */
export const ADMIN_HEADERS = { Connection: 'close' } as const;

async function load(adminUrl: string, body: string): Promise<void> {
  const res = await fetch(`${adminUrl}/load`, {
    method: 'POST',
    headers: { ...ADMIN_HEADERS, 'Content-Type': 'application/json' },
    body,
    signal: AbortSignal.timeout(CADDY_LOAD_TIMEOUT_MS),
  });
  if (!res.ok) throw new Error(`Caddy refused the config (${res.status}): ${(await res.text()).trim()}`);
  await res.body?.cancel();
}

/**
 * Resolves once the admin API shows the config's HTTP servers: Caddy answers GET /config under the
 * lock a load holds, so by then the first config runs. Fails early if Caddy exits.
 */
async function whenLoaded(adminUrl: string, exited: Promise<number | string | null>, recent: string[]): Promise<void> {
  const deadline = Date.now() + CADDY_START_TIMEOUT_MS;
  let gone: number | string | null | undefined;
  void exited.then((code) => (gone = code));
  let last: string;
  while (gone === undefined) {
    try {
      const res = await fetch(`${adminUrl}/config/apps/http/servers`, { headers: ADMIN_HEADERS, signal: AbortSignal.timeout(ADMIN_POLL_MS * 20) });
      const text = await res.text();
      if (res.ok && text.trim() !== 'null') return;
      last = `${res.status} ${text.trim()}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`Caddy's admin API at ${adminUrl} did not come up within ${CADDY_START_TIMEOUT_MS} ms (last: ${last}):\n${recent.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, ADMIN_POLL_MS));
  }
  throw new Error(`Caddy exited (${String(gone)}) before its admin API came up:\n${recent.join('\n')}`);
}

async function stop(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const gracefully = await Promise.race([
    exited.then(() => true),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), CADDY_STOP_GRACE_MS))),
  ]);
  clearTimeout(timer);
  if (!gracefully) {
    child.kill('SIGKILL');
    await exited;
  }
}

/** Caddy logs JSON lines on stderr; each becomes one entry of Berth's log at a matching level. */
function forwardOutput(child: ChildProcess, log: EdgeLog, recent: string[]): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      // Kept for the error when Caddy fails to start: its last words say why.
      recent.push(line);
      if (recent.length > 20) recent.shift();
      const entry = parseLogLine(line);
      if (entry === null) return log.info({ caddy: { line } }, 'caddy');
      const { level, msg, ...fields } = entry;
      const write = level === 'debug' || level === 'info' ? log.info : log.warn;
      write.call(log, { caddy: fields }, `caddy: ${typeof msg === 'string' ? msg : ''}`);
    });
  }
}

function parseLogLine(line: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Reads Caddy's JSON access log lines as they are appended (a tail), calling onRequest for each: { host, status, durationMs, at }.
 * Follows the file across Caddy's rotations; reports at most ACCESS_LOG_POLL_MS after a line is written.
 */
export function followAccessLog(file: string, onRequest: (r: AccessLogRequest) => void): { close(): void } {
  const tail = new AccessLogTail(file, onRequest);
  return { close: () => tail.close() };
}

/**
 * Polls rather than fs.watch: a rotation (Caddy renames the full file and opens a new one) and a
 * file that does not exist yet are the same check, on every platform. Lines already in the file
 * when following starts are not reported; a file that appears later is read from its start. A
 * truncation in place (Caddy does not do that) is noticed only if the file is then shorter than
 * what was read.
 */
class AccessLogTail {
  private handle: fs.FileHandle | null = null;
  private ino = -1;
  private position = 0;
  /** The file there when following starts, stat'ed at once so "already there" is exact: reading it starts at this size. */
  private readonly start: Stats | undefined;
  private pending = '';
  // Keeps a character split across two reads whole.
  private decoder = new StringDecoder('utf8');
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly onRequest: (r: AccessLogRequest) => void,
  ) {
    this.start = statSync(file, { throwIfNoEntry: false });
    this.schedule(0);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    void this.handle?.close().catch(() => undefined);
    this.handle = null;
  }

  private schedule(ms: number): void {
    if (!this.closed) this.timer = setTimeout(() => void this.tick().finally(() => this.schedule(ACCESS_LOG_POLL_MS)), ms);
  }

  private async tick(): Promise<void> {
    try {
      if (this.handle) await this.drain();
      const stat = await fs.stat(this.file).catch(() => null);
      if (stat === null || this.closed) return;
      if (stat.ino !== this.ino) {
        // New or rotated: what was left in the old file has just been read.
        await this.handle?.close();
        this.handle = null;
        const handle = await fs.open(this.file, 'r');
        // Closed while opening: nothing may keep the file open after close().
        if (this.closed) return void (await handle.close());
        this.handle = handle;
        this.ino = stat.ino;
        this.position = this.start?.ino === stat.ino ? Math.min(this.start.size, stat.size) : 0;
        this.pending = '';
        this.decoder = new StringDecoder('utf8');
        await this.drain();
      } else if (stat.size < this.position) {
        // Truncated in place: start over from the beginning.
        this.position = 0;
        this.pending = '';
        this.decoder = new StringDecoder('utf8');
        await this.drain();
      }
    } catch {
      // A read that failed (the file vanished between stat and open) is retried on the next tick.
    }
  }

  private async drain(): Promise<void> {
    const buffer = Buffer.alloc(READ_CHUNK_BYTES);
    for (;;) {
      if (this.closed || !this.handle) return;
      const { bytesRead } = await this.handle.read(buffer, 0, buffer.length, this.position);
      if (bytesRead === 0) return;
      this.position += bytesRead;
      this.consume(this.decoder.write(buffer.subarray(0, bytesRead)));
    }
  }

  private consume(text: string): void {
    const lines = (this.pending + text).split('\n');
    this.pending = lines.pop() ?? '';
    if (Buffer.byteLength(this.pending) > MAX_ACCESS_LINE_BYTES) this.pending = '';
    for (const line of lines) {
      const request = parseAccessLine(line);
      try {
        if (request) this.onRequest(request);
      } catch {
        // A callback that throws loses its own request, not the lines after it nor the tail.
      }
    }
  }
}
