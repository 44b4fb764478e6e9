import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DEV_IMAGE } from './runtime/docker/images.js';

const boolean = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
/** 32 characters: 128 bits even when written as hex; `openssl rand -hex 32` gives 256. */
const SECRET_MIN_LENGTH = 32;
/** host:port, the host bracketed when it is an IPv6 address. */
const listenAddress = z.string().transform((value, ctx) => {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(value);
  const portNumber = Number(match?.[2]);
  if (match && portNumber <= 65535) return { host: match[1]!.replace(/^\[|\]$/g, ''), port: portNumber };
  ctx.addIssue({ code: 'custom', message: 'host:port, e.g. 127.0.0.1:9464 or [::1]:9464' });
  return z.NEVER;
});

/**
 * Every environment variable Berth reads, with its default. This file is the
 * only reader of process.env; the parsed result is passed to whoever needs it.
 */
const EnvSchema = z.object({
  BERTH_HOST: z.string().min(1).default('127.0.0.1'),
  BERTH_PORT: port.default(8080),
  BERTH_PUBLIC_URL: z.url().optional(),
  BERTH_DATA_DIR: z.string().min(1).default('./.berth'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL').optional(),
  BERTH_ADMIN_USERNAME: z.string().min(1).default('admin'),
  BERTH_ADMIN_PASSWORD: z.string().min(12).optional(),
  BERTH_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BERTH_BODY_LIMIT_BYTES: positiveInt.default(1024 * 1024),
  BERTH_SESSION_TTL_HOURS: positiveInt.default(24 * 7),
  BERTH_LOGIN_WINDOW_SECONDS: positiveInt.default(15 * 60),
  BERTH_LOGIN_MAX_FAILURES_PER_USER: positiveInt.default(5),
  BERTH_LOGIN_MAX_FAILURES_PER_IP: positiveInt.default(20),
  BERTH_TRUST_PROXY: boolean.default(false),
  DOCKER_HOST: z.string().regex(/^(unix|tcp):\/\//, 'unix:///path/to/docker.sock or tcp://host:port').optional(),
  DOCKER_CERT_PATH: z.string().min(1).optional(),
  BERTH_DEFAULT_IMAGE: z.string().min(1).default(DEV_IMAGE),
  BERTH_DEV_BASE_IMAGE: z.string().min(1).optional(),
  BERTH_SANDBOXED_RUNTIME: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/, 'the name of a runtime registered with the engine (daemon.json "runtimes")').default('runsc'),
  BERTH_UNTRUSTED_RUNTIME_CLASS: z.enum(['sandboxed', 'standard']).default('sandboxed'),
  BERTH_RESYNC_SECONDS: positiveInt.default(30),
  BERTH_RECONCILE_MAX_ATTEMPTS: positiveInt.default(5),
  BERTH_WORKER_CONCURRENCY: positiveInt.default(4),
  BERTH_STOP_GRACE_SECONDS: z.coerce.number().int().min(0).default(10),
  BERTH_EXEC_MAX_OUTPUT_BYTES: positiveInt.default(1024 * 1024),
  BERTH_WEB_DIR: z.string().min(1).default(fileURLToPath(new URL('../../web/dist', import.meta.url))),
  BERTH_MAX_ARCHIVE_BYTES: positiveInt.default(100 * 1024 * 1024),
  BERTH_TERMINAL_GRACE_SECONDS: positiveInt.default(300),
  BERTH_TERMINAL_MAX_PER_ENVIRONMENT: positiveInt.default(20),
  BERTH_MAX_SOCKETS_PER_USER: positiveInt.default(64),
  BERTH_REVOCATION_RECHECK_SECONDS: positiveInt.default(60),
  BERTH_SECRET: z.string().min(SECRET_MIN_LENGTH, `at least ${SECRET_MIN_LENGTH} characters (openssl rand -hex 32)`).optional(),
  BERTH_SECRET_PREVIOUS: z.string().min(SECRET_MIN_LENGTH, `at least ${SECRET_MIN_LENGTH} characters`).optional(),
  BERTH_METRICS_ADDRESS: listenAddress.optional(),
  BERTH_TERMINAL_MAX_PER_USER: positiveInt.default(50),
  BERTH_E2B_MAX_PROCESSES_PER_USER: positiveInt.default(100),
  BERTH_E2B_PORT_WAIT_SECONDS: positiveInt.default(30),
  BERTH_PREVIEW_DOMAIN: z
    .string()
    .regex(/^(https?:\/\/)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/i, 'a host name, optionally with :port, and optionally written http://… or https://… to choose the scheme')
    .optional(),
  BERTH_APPS_DOMAIN: z
    .string()
    .regex(/^(https?:\/\/)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/i, 'a host name, optionally with :port, and optionally written http://… or https://… to choose the scheme')
    .optional(),
  BERTH_APPS_BASE_IMAGE: z.string().min(1).default(DEV_IMAGE),
  BERTH_APPS_ALLOW_LOCAL_SOURCES: boolean.default(false),
  BERTH_APPS_HEALTH_TIMEOUT_SECONDS: positiveInt.default(60),
  BERTH_APPS_DRAIN_SECONDS: positiveInt.default(10),
  BERTH_APPS_BUILD_TIMEOUT_SECONDS: positiveInt.default(900),
  BERTH_APPS_RELEASE_TIMEOUT_SECONDS: positiveInt.default(600),
  BERTH_APPS_CHECK_SECONDS: positiveInt.default(30),
  BERTH_APPS_ROUTE_CACHE_MS: positiveInt.default(1000),
  BERTH_APPS_KEEP_IMAGES: positiveInt.default(3),
  BERTH_EDGE: z.enum(['berth', 'caddy']).default('berth'),
  BERTH_EDGE_ADMIN_URL: z.url().optional(),
  BERTH_EDGE_CADDY_BIN: z.string().min(1).optional(),
  BERTH_EDGE_HTTP_ADDRESS: listenAddress.default({ host: '127.0.0.1', port: 8081 }),
  BERTH_EDGE_HTTPS_ADDRESS: listenAddress.optional(),
  BERTH_EDGE_ADMIN_ADDRESS: listenAddress.default({ host: '127.0.0.1', port: 2019 }),
  BERTH_EDGE_TLS: z.enum(['internal', 'acme']).default('internal'),
  BERTH_EDGE_ACME_EMAIL: z.email().optional(),
  BERTH_IDLE_CHECK_SECONDS: positiveInt.default(60),
  BERTH_E2B_EXPIRY_CHECK_MS: positiveInt.default(1000),
  BERTH_ORG_RECONCILE_MS: positiveInt.default(1000),
  BERTH_POOL_CHECK_MS: positiveInt.default(5000),
  BERTH_POOL_REFILL_DELAY_MS: positiveInt.default(1000),
  BERTH_RECONCILE_LEASE_SECONDS: positiveInt.default(15),
  BERTH_WORKER_IDLE_MS: positiveInt.default(1000),
  BERTH_SHUTDOWN_GRACE_SECONDS: positiveInt.default(15),
  BERTH_E2B_READY_TIMEOUT_SECONDS: positiveInt.default(50),
  BERTH_TERMINAL_SCROLLBACK_BYTES: positiveInt.default(256 * 1024),
  BERTH_STREAM_HIGH_WATER_BYTES: positiveInt.default(1024 * 1024),
  BERTH_STREAM_LOW_WATER_BYTES: positiveInt.default(256 * 1024),
  BERTH_PREVIEW_GRANT_TTL_SECONDS: positiveInt.default(60),
  BERTH_PREVIEW_COOKIE_TTL_SECONDS: positiveInt.default(12 * 3600),
  BERTH_PREVIEW_CONNECT_TIMEOUT_SECONDS: positiveInt.default(5),
  BERTH_PORTS_TIMEOUT_SECONDS: positiveInt.default(10),
  BERTH_PORTS_MAX_OUTPUT_BYTES: positiveInt.default(1024 * 1024),
  BERTH_EVENTS_PING_SECONDS: positiveInt.default(30),
  BERTH_READY_TIMEOUT_MS: positiveInt.default(2000),
  BERTH_ASSISTANT_MAX_STEPS: positiveInt.default(20),
  BERTH_ASSISTANT_TOOL_OUTPUT_BYTES: positiveInt.default(16 * 1024),
  BERTH_ASSISTANT_BASH_TIMEOUT_SECONDS: positiveInt.default(120),
  BERTH_ASSISTANT_PROVIDER_TIMEOUT_SECONDS: positiveInt.default(300),
  BERTH_MCP_MAX_SESSIONS_PER_USER: positiveInt.default(16),
  BERTH_MCP_SESSION_IDLE_SECONDS: positiveInt.default(30 * 60),
  BERTH_MCP_READY_TIMEOUT_SECONDS: positiveInt.default(120),
});

export interface Config {
  host: string;
  port: number;
  publicUrl: string | undefined;
  dataDir: string;
  databaseUrl: string | undefined;
  admin: { username: string; password: string | undefined };
  logLevel: z.infer<typeof EnvSchema>['BERTH_LOG_LEVEL'];
  bodyLimitBytes: number;
  sessionTtlHours: number;
  loginThrottle: { windowSeconds: number; maxFailuresPerUser: number; maxFailuresPerIp: number };
  trustProxy: boolean;
  /**
   * The Docker engine: its socket, or a tcp:// address reached over TLS with a client certificate
   * (DOCKER_CERT_PATH: ca.pem, cert.pem, key.pem, as the docker CLI reads them). An engine on TCP
   * without it is refused: anyone who reaches that port owns the machine.
   */
  docker: { socketPath: string } | { host: string; port: number; protocol: 'https'; ca: Buffer; cert: Buffer; key: Buffer };
  /** The client certificate DOCKER_CERT_PATH holds, also for the engines of a swarm's other nodes (their `berth.engine` label). */
  engineTls: { ca: Buffer; cert: Buffer; key: Buffer } | undefined;
  defaultImage: string;
  /** What a `berth/dev:` image is built on where debootstrap is missing (BERTH_DEV_BASE_IMAGE; default: Debian's slim image of the host's release). */
  devBaseImage: string | undefined;
  /** The OCI runtime registered with the engine that `sandboxed` environments run under (BERTH_SANDBOXED_RUNTIME, gVisor's runsc). */
  sandboxedRuntime: string;
  /**
   * What E2B sandboxes and MCP's run_code (code an agent wrote) run under (BERTH_UNTRUSTED_RUNTIME_CLASS):
   * `sandboxed` where the engine offers it, else `standard`; or always `standard`.
   */
  untrustedRuntimeClass: 'sandboxed' | 'standard';
  resyncSeconds: number;
  /** How often the periodic passes run (the resync's is resyncSeconds). */
  intervals: {
    /** Stopping environments idle past their owner's timeout (BERTH_IDLE_CHECK_SECONDS). */
    idleCheckMs: number;
    /** Killing E2B sandboxes whose end time passed (BERTH_E2B_EXPIRY_CHECK_MS). */
    e2bExpiryCheckMs: number;
    /** Topping warm pools up and draining their old versions (BERTH_POOL_CHECK_MS; a claim also wakes it). */
    poolCheckMs: number;
    /** How long after the last claim a pool refills (BERTH_POOL_REFILL_DELAY_MS): not beside a burst of claims. */
    poolRefillDelayMs: number;
    /** Converging organizations on their desired state (BERTH_ORG_RECONCILE_MS). */
    orgReconcileMs: number;
  };
  /** leaseSeconds: how long a claimed reconcile is held (BERTH_RECONCILE_LEASE_SECONDS); idleMs: longest an idle worker sleeps (BERTH_WORKER_IDLE_MS). */
  worker: { concurrency: number; maxAttempts: number; leaseSeconds: number; idleMs: number };
  /**
   * An environment's event WebSocket: pinged every pingMs (BERTH_EVENTS_PING_SECONDS); events another
   * Berth process wrote arrive through NOTIFY (control/event-bus.ts).
   */
  eventsStream: { pingMs: number };
  /** How long /readyz waits for the database to answer (BERTH_READY_TIMEOUT_MS). */
  readyTimeoutMs: number;
  /** How long a signal's shutdown may drain before the process exits anyway (BERTH_SHUTDOWN_GRACE_SECONDS). */
  shutdownGraceMs: number;
  /** How long creating or resuming an E2B sandbox waits for it to run; the SDK gives up at 60 s (BERTH_E2B_READY_TIMEOUT_SECONDS). */
  e2bReadyTimeoutMs: number;
  /**
   * Bytes a relayed stream (terminal output, preview WebSocket) may have queued unsent before its
   * source stops being read, and how far that must drain before reading resumes
   * (BERTH_STREAM_HIGH_WATER_BYTES, BERTH_STREAM_LOW_WATER_BYTES).
   */
  streamBuffer: { highWaterBytes: number; lowWaterBytes: number };
  stopGraceSeconds: number;
  execMaxOutputBytes: number;
  maxArchiveBytes: number;
  /** The built web app; served at / when it holds an index.html. */
  webDir: string;
  /** WebSockets one user may hold open at once (all routes, this process). */
  maxSocketsPerUser: number;
  /** How often open connections' credentials are re-checked against the database (expiry, missed notifications). */
  revocationRecheckMs: number;
  /** BERTH_SECRET and, while rotating, the key before it; undefined: the database's installation key (db/installation.ts). */
  secret: { current: string; previous: string | undefined } | undefined;
  /** Where /metrics is served to a scraper without credentials; undefined: only on the main port, to admins. */
  metricsAddress: { host: string; port: number } | undefined;
  /** scrollbackBytes: output kept for a reattaching client (BERTH_TERMINAL_SCROLLBACK_BYTES). */
  terminal: { graceMs: number; scrollbackBytes: number; maxPerEnvironment: number; maxPerUser: number };
  /** Processes started through E2B's process API that may run at once per user (each holds an engine connection). */
  e2bMaxProcessesPerUser: number;
  /** How long a request for a sandbox's port (the code interpreter's) waits for a server still starting there (BERTH_E2B_PORT_WAIT_SECONDS). */
  e2bPortWaitMs: number;
  /**
   * The AI assistant: model calls (steps) per turn (BERTH_ASSISTANT_MAX_STEPS), bytes of one tool
   * result sent to the model (BERTH_ASSISTANT_TOOL_OUTPUT_BYTES), the longest foreground `bash`
   * (BERTH_ASSISTANT_BASH_TIMEOUT_SECONDS) and model request (BERTH_ASSISTANT_PROVIDER_TIMEOUT_SECONDS).
   */
  assistant: { maxSteps: number; toolOutputBytes: number; bashTimeoutMs: number; providerTimeoutMs: number };
  /**
   * Port previews live on their own origin, `<port>-<environment id>.<domain>`.
   * `domain` is host[:port]; unset means `localhost:<the port Berth listens on>`.
   * A grant only has to survive one redirect (BERTH_PREVIEW_GRANT_TTL_SECONDS); the cookie it buys is
   * re-checked on every request (BERTH_PREVIEW_COOKIE_TTL_SECONDS). connectTimeoutMs: how long the
   * proxy waits for the app inside to answer (BERTH_PREVIEW_CONNECT_TIMEOUT_SECONDS). Listing the
   * listening ports reads /proc/net/tcp within portsTimeoutMs and portsMaxBytes
   * (BERTH_PORTS_TIMEOUT_SECONDS, BERTH_PORTS_MAX_OUTPUT_BYTES).
   */
  /**
   * Apps: where they answer, `<name>-<org>.<domain>` (BERTH_APPS_DOMAIN; unset: `apps.localhost:<port>`);
   * what generated Dockerfiles build on (BERTH_APPS_BASE_IMAGE); whether a git source may be a
   * file:// URL on this machine (BERTH_APPS_ALLOW_LOCAL_SOURCES, off: users could read the server's
   * repositories); how long a release has to become healthy, how long the one before keeps serving
   * after traffic moves, how long builds and release phases may run, how often a running app is
   * looked at anyway, how long the proxy uses what it read of a host, and how many earlier releases
   * keep their images for rollbacks (BERTH_APPS_*).
   */
  /**
   * What serves apps: Berth itself (host-routed, like previews), or Caddy (BERTH_EDGE=caddy) that
   * Berth starts (BERTH_EDGE_CADDY_BIN, found on PATH when unset; its files under the data
   * directory) or drives at BERTH_EDGE_ADMIN_URL. Caddy listens on httpAddress (and httpsAddress,
   * with certificates from its internal CA or, with BERTH_EDGE_TLS=acme, issued on demand for the
   * hosts Berth knows); its admin API on adminAddress (loopback). Asked for Caddy where none is
   * installed, Berth serves apps itself, at its own addresses.
   */
  edge:
    // caddyMissing: BERTH_EDGE=caddy was asked for, but there is no Caddy to start or reach.
    | { kind: 'berth'; caddyMissing: boolean }
    | {
        kind: 'caddy';
        bin: string | undefined;
        adminUrl: string | undefined;
        httpAddress: { host: string; port: number };
        httpsAddress: { host: string; port: number } | undefined;
        adminAddress: { host: string; port: number };
        tls: { mode: 'internal' } | { mode: 'acme'; email: string | undefined };
      };
  apps: {
    domain: string | undefined;
    scheme: 'http' | 'https';
    baseImage: string;
    allowLocalSources: boolean;
    healthTimeoutMs: number;
    drainMs: number;
    buildTimeoutMs: number;
    releaseTimeoutMs: number;
    checkMs: number;
    routeCacheMs: number;
    keepImages: number;
  };
  preview: {
    domain: string | undefined;
    scheme: 'http' | 'https';
    grantTtlSeconds: number;
    cookieTtlSeconds: number;
    connectTimeoutMs: number;
    portsTimeoutMs: number;
    portsMaxBytes: number;
  };
  /**
   * The MCP endpoint (/mcp): sessions one user may hold open (BERTH_MCP_MAX_SESSIONS_PER_USER), how long
   * one lives without a request (BERTH_MCP_SESSION_IDLE_SECONDS), and how long `create_environment`
   * waits for the environment to run unless the call says otherwise (BERTH_MCP_READY_TIMEOUT_SECONDS).
   */
  mcp: { maxSessionsPerUser: number; sessionIdleMs: number; readyTimeoutMs: number };
}

/**
 * The preview domain and its scheme: a scheme written in BERTH_PREVIEW_DOMAIN wins;
 * otherwise previews follow Berth's public URL (https there, https here), else http.
 */
function previewOrigin(domain: string | undefined, publicUrl: string | undefined): Pick<Config['preview'], 'domain' | 'scheme'> {
  const written = domain ? /^(https?):\/\//i.exec(domain)?.[1]?.toLowerCase() : undefined;
  const scheme = written ?? (publicUrl?.startsWith('https:') ? 'https' : 'http');
  return { domain: domain?.replace(/^https?:\/\//i, '').toLowerCase(), scheme: scheme === 'https' ? 'https' : 'http' };
}

/** Without BERTH_APPS_DOMAIN, apps behind Caddy answer under apps.localhost on Caddy's port (https when it listens for it). */
const defaultEdgeDomain = (http: { port: number }, https: { port: number } | undefined): string => (https ? `https://apps.localhost:${https.port}` : `apps.localhost:${http.port}`);

/** The executable `name` on the search path, if there is one. */
function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** Where the engine is, or the problem with it (a TCP engine without TLS, unreadable certificates). */
function dockerTarget(dockerHost: string | undefined, tls: Config['engineTls'] | string): Config['docker'] | string {
  if (!dockerHost) return { socketPath: '/var/run/docker.sock' };
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:') return { socketPath: url.pathname };
  if (!tls) return 'DOCKER_HOST: a tcp:// engine needs TLS with a client certificate (DOCKER_CERT_PATH: a folder with ca.pem, cert.pem and key.pem); Berth never drives an engine anyone on the network could';
  if (typeof tls === 'string') return tls;
  return { host: url.hostname, port: Number(url.port || 2376), protocol: 'https', ...tls };
}

/** DOCKER_CERT_PATH's certificates, or the problem reading them. */
function engineTls(certPath: string | undefined): Config['engineTls'] | string {
  if (!certPath) return undefined;
  try {
    const [ca, cert, key] = ['ca.pem', 'cert.pem', 'key.pem'].map((file) => readFileSync(path.join(certPath, file)));
    return { ca: ca!, cert: cert!, key: key! };
  } catch (err) {
    return `DOCKER_CERT_PATH: ${(err as Error).message}`;
  }
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Parses the environment once, failing with every problem listed rather than the first. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  if (env.BERTH_SECRET_PREVIOUS !== undefined && env.BERTH_SECRET === undefined) {
    problems.push('BERTH_SECRET_PREVIOUS: set it only while rotating, next to the new BERTH_SECRET');
  }
  if (parsed.success && parsed.data.BERTH_STREAM_LOW_WATER_BYTES > parsed.data.BERTH_STREAM_HIGH_WATER_BYTES) {
    problems.push('BERTH_STREAM_LOW_WATER_BYTES: at most BERTH_STREAM_HIGH_WATER_BYTES (reading resumes once the queue drains below it)');
  }
  const tls = parsed.success ? engineTls(parsed.data.DOCKER_CERT_PATH) : undefined;
  const docker = parsed.success ? dockerTarget(parsed.data.DOCKER_HOST, tls) : undefined;
  if (typeof docker === 'string') problems.push(docker);
  else if (typeof tls === 'string') problems.push(tls);
  if (!parsed.success || problems.length > 0 || typeof docker !== 'object' || typeof tls === 'string') throw new ConfigError(problems);
  const e = parsed.data;
  const caddyBin = e.BERTH_EDGE === 'caddy' ? (e.BERTH_EDGE_CADDY_BIN ?? onPath('caddy')) : undefined;
  const caddy = e.BERTH_EDGE === 'caddy' && (e.BERTH_EDGE_ADMIN_URL !== undefined || caddyBin !== undefined);
  return {
    host: e.BERTH_HOST,
    port: e.BERTH_PORT,
    publicUrl: e.BERTH_PUBLIC_URL?.replace(/\/+$/, ''),
    dataDir: path.resolve(e.BERTH_DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    admin: { username: e.BERTH_ADMIN_USERNAME, password: e.BERTH_ADMIN_PASSWORD },
    logLevel: e.BERTH_LOG_LEVEL,
    bodyLimitBytes: e.BERTH_BODY_LIMIT_BYTES,
    sessionTtlHours: e.BERTH_SESSION_TTL_HOURS,
    loginThrottle: {
      windowSeconds: e.BERTH_LOGIN_WINDOW_SECONDS,
      maxFailuresPerUser: e.BERTH_LOGIN_MAX_FAILURES_PER_USER,
      maxFailuresPerIp: e.BERTH_LOGIN_MAX_FAILURES_PER_IP,
    },
    trustProxy: e.BERTH_TRUST_PROXY,
    docker,
    engineTls: tls,
    defaultImage: e.BERTH_DEFAULT_IMAGE,
    devBaseImage: e.BERTH_DEV_BASE_IMAGE,
    sandboxedRuntime: e.BERTH_SANDBOXED_RUNTIME,
    untrustedRuntimeClass: e.BERTH_UNTRUSTED_RUNTIME_CLASS,
    resyncSeconds: e.BERTH_RESYNC_SECONDS,
    intervals: { idleCheckMs: e.BERTH_IDLE_CHECK_SECONDS * 1000, e2bExpiryCheckMs: e.BERTH_E2B_EXPIRY_CHECK_MS, orgReconcileMs: e.BERTH_ORG_RECONCILE_MS, poolCheckMs: e.BERTH_POOL_CHECK_MS, poolRefillDelayMs: e.BERTH_POOL_REFILL_DELAY_MS },
    worker: { concurrency: e.BERTH_WORKER_CONCURRENCY, maxAttempts: e.BERTH_RECONCILE_MAX_ATTEMPTS, leaseSeconds: e.BERTH_RECONCILE_LEASE_SECONDS, idleMs: e.BERTH_WORKER_IDLE_MS },
    eventsStream: { pingMs: e.BERTH_EVENTS_PING_SECONDS * 1000 },
    readyTimeoutMs: e.BERTH_READY_TIMEOUT_MS,
    shutdownGraceMs: e.BERTH_SHUTDOWN_GRACE_SECONDS * 1000,
    e2bReadyTimeoutMs: e.BERTH_E2B_READY_TIMEOUT_SECONDS * 1000,
    streamBuffer: { highWaterBytes: e.BERTH_STREAM_HIGH_WATER_BYTES, lowWaterBytes: e.BERTH_STREAM_LOW_WATER_BYTES },
    stopGraceSeconds: e.BERTH_STOP_GRACE_SECONDS,
    execMaxOutputBytes: e.BERTH_EXEC_MAX_OUTPUT_BYTES,
    maxArchiveBytes: e.BERTH_MAX_ARCHIVE_BYTES,
    webDir: path.resolve(e.BERTH_WEB_DIR),
    maxSocketsPerUser: e.BERTH_MAX_SOCKETS_PER_USER,
    revocationRecheckMs: e.BERTH_REVOCATION_RECHECK_SECONDS * 1000,
    secret: e.BERTH_SECRET === undefined ? undefined : { current: e.BERTH_SECRET, previous: e.BERTH_SECRET_PREVIOUS },
    metricsAddress: e.BERTH_METRICS_ADDRESS,
    terminal: {
      graceMs: e.BERTH_TERMINAL_GRACE_SECONDS * 1000,
      scrollbackBytes: e.BERTH_TERMINAL_SCROLLBACK_BYTES,
      maxPerEnvironment: e.BERTH_TERMINAL_MAX_PER_ENVIRONMENT,
      maxPerUser: e.BERTH_TERMINAL_MAX_PER_USER,
    },
    e2bMaxProcessesPerUser: e.BERTH_E2B_MAX_PROCESSES_PER_USER,
    e2bPortWaitMs: e.BERTH_E2B_PORT_WAIT_SECONDS * 1000,
    assistant: {
      maxSteps: e.BERTH_ASSISTANT_MAX_STEPS,
      toolOutputBytes: e.BERTH_ASSISTANT_TOOL_OUTPUT_BYTES,
      bashTimeoutMs: e.BERTH_ASSISTANT_BASH_TIMEOUT_SECONDS * 1000,
      providerTimeoutMs: e.BERTH_ASSISTANT_PROVIDER_TIMEOUT_SECONDS * 1000,
    },
    edge: !caddy
      ? { kind: 'berth', caddyMissing: e.BERTH_EDGE === 'caddy' }
      : {
            kind: 'caddy',
            bin: caddyBin,
            adminUrl: e.BERTH_EDGE_ADMIN_URL,
            httpAddress: e.BERTH_EDGE_HTTP_ADDRESS,
            httpsAddress: e.BERTH_EDGE_HTTPS_ADDRESS,
            adminAddress: e.BERTH_EDGE_ADMIN_ADDRESS,
            tls: e.BERTH_EDGE_TLS === 'acme' ? { mode: 'acme', email: e.BERTH_EDGE_ACME_EMAIL } : { mode: 'internal' },
          },
    apps: {
      ...previewOrigin(e.BERTH_APPS_DOMAIN ?? (caddy ? defaultEdgeDomain(e.BERTH_EDGE_HTTP_ADDRESS, e.BERTH_EDGE_HTTPS_ADDRESS) : undefined), e.BERTH_PUBLIC_URL),
      baseImage: e.BERTH_APPS_BASE_IMAGE,
      allowLocalSources: e.BERTH_APPS_ALLOW_LOCAL_SOURCES,
      healthTimeoutMs: e.BERTH_APPS_HEALTH_TIMEOUT_SECONDS * 1000,
      drainMs: e.BERTH_APPS_DRAIN_SECONDS * 1000,
      buildTimeoutMs: e.BERTH_APPS_BUILD_TIMEOUT_SECONDS * 1000,
      releaseTimeoutMs: e.BERTH_APPS_RELEASE_TIMEOUT_SECONDS * 1000,
      checkMs: e.BERTH_APPS_CHECK_SECONDS * 1000,
      routeCacheMs: e.BERTH_APPS_ROUTE_CACHE_MS,
      keepImages: e.BERTH_APPS_KEEP_IMAGES,
    },
    preview: {
      ...previewOrigin(e.BERTH_PREVIEW_DOMAIN, e.BERTH_PUBLIC_URL),
      grantTtlSeconds: e.BERTH_PREVIEW_GRANT_TTL_SECONDS,
      cookieTtlSeconds: e.BERTH_PREVIEW_COOKIE_TTL_SECONDS,
      connectTimeoutMs: e.BERTH_PREVIEW_CONNECT_TIMEOUT_SECONDS * 1000,
      portsTimeoutMs: e.BERTH_PORTS_TIMEOUT_SECONDS * 1000,
      portsMaxBytes: e.BERTH_PORTS_MAX_OUTPUT_BYTES,
    },
    mcp: {
      maxSessionsPerUser: e.BERTH_MCP_MAX_SESSIONS_PER_USER,
      sessionIdleMs: e.BERTH_MCP_SESSION_IDLE_SECONDS * 1000,
      readyTimeoutMs: e.BERTH_MCP_READY_TIMEOUT_SECONDS * 1000,
    },
  };
}
