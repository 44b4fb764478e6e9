/**
 * Caddy's whole JSON config for Berth's edge, generated from the routes Berth wants served. Pure:
 * equal inputs give equal configs (routes sorted by id, hosts and upstreams sorted), so a reload
 * with nothing changed is one Caddy recognises as unchanged. Field names follow Caddy 2.6's
 * JSON structs (modules/caddyhttp, caddytls, caddypki, logging), the Debian package's version.
 */

export interface EdgeRoute {
  /** stable id, e.g. the app id */
  id: string;
  hosts: string[];
  /** "host:port" of each healthy replica */
  upstreams: string[];
}

export type EdgeTls = { mode: 'internal' } | { mode: 'acme'; email?: string; askUrl: string };

export interface EdgeConfigInput {
  routes: EdgeRoute[];
  /** e.g. "127.0.0.1:2019"; loopback only, the admin API has no authentication */
  adminListen: string;
  /** e.g. ":8080" or "127.0.0.1:18080" */
  httpListen: string;
  /** null: plain HTTP only (no automatic HTTPS at all) */
  httpsListen: string | null;
  /** ignored when httpsListen is null */
  tls: EdgeTls;
  /** where Caddy writes one JSON line per request (host, status, duration) for Berth to read; null for none */
  accessLog: string | null;
}

export class EdgeConfigError extends Error {
  override readonly name = 'EdgeConfigError';
}

/** Server names inside Caddy's config; the access logger's name derives from ACCESS_LOGGER. */
export const HTTP_SERVER = 'berth_http';
export const HTTPS_SERVER = 'berth_https';
const ACCESS_LOGGER = 'berth';

/**
 * How long Caddy keeps trying other replicas when dialing one fails (it went away mid-switch), and
 * how long it waits between tries. A dial error is always retried, whatever the method.
 */
export const UPSTREAM_TRY_DURATION = '2s';
export const UPSTREAM_TRY_INTERVAL = '100ms';

/** Bodies of Berth's own answers, short on purpose: they are served on the apps' origins. */
export const UNKNOWN_HOST_BODY = 'No app is served at this address.\n';
export const NO_REPLICA_BODY = 'This app has no running replica.\n';

// A hostname (optionally a leading wildcard label) and "host:port" with a hostname, IPv4 or
// bracketed IPv6. Anything else is refused because Caddy expands {placeholders} inside host
// matchers and dial addresses: a crafted value could read the environment or let a request
// header choose where Caddy connects.
const HOSTNAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const UPSTREAM = /^([a-z0-9.-]+|\[[0-9a-f:.]+\]):\d{1,5}$/i;
const LOOPBACK = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])$/;

/**
 * Throws EdgeConfigError for an input Caddy must not receive (see the patterns above). Two routes
 * claiming one host both stay in, and the first by id serves it: refusing would take every app
 * off the edge for one conflict, which the apps service is there to prevent.
 */
export function caddyConfig(input: EdgeConfigInput): object {
  assertLoopbackAdmin(input.adminListen);
  const routes = [...input.routes].sort((a, b) => compare(a.id, b.id)).flatMap(caddyRoute);
  const https = input.httpsListen;
  const servers: Record<string, object> = {
    // The plain server must never turn to TLS nor redirect: automatic HTTPS (per server) does
    // both to a server listening on a port other than http_port, so it is off here outright.
    [HTTP_SERVER]: server(input.httpListen, routes, input.accessLog, { automatic_https: { disable: true }, protocols: ['h1', 'h2'] }),
  };
  if (https !== null) {
    servers[HTTPS_SERVER] = server(https, routes, input.accessLog, {
      tls_connection_policies: [{}],
      // Plain HTTP keeps serving the same routes; Berth decides about redirects, not Caddy.
      automatic_https: { disable_redirects: true },
      // HTTP/3 listeners are closed, not drained, on a reload (Caddy 2.6), which would cut
      // in-flight requests at every route switch.
      protocols: ['h1', 'h2'],
    });
  }
  const apps: Record<string, object> = {
    http: {
      // Caddy's ACME solvers and automatic HTTPS reason about these two ports.
      http_port: portOf(input.httpListen),
      ...(https !== null ? { https_port: portOf(https) } : {}),
      servers,
    },
  };
  if (https !== null) apps.tls = tlsApp(input.tls);
  // Caddy's local CA installs its root in the machine's trust stores (system, NSS, Java) by
  // default, as soon as anything asks it for a certificate: an internal policy, or automatic
  // HTTPS meeting a name like *.localhost even under an ACME policy. Never on a Berth host.
  apps.pki = { certificate_authorities: { local: { install_trust: false } } };
  return {
    // persist: false, so Caddy never writes an autosave.json that a `--resume` could bring back.
    admin: { listen: input.adminListen, config: { persist: false } },
    ...(input.accessLog !== null ? { logging: accessLogging(input.accessLog) } : {}),
    apps,
  };
}

function server(listen: string, routes: object[], accessLog: string | null, extra: object): object {
  return {
    listen: [listen],
    routes: [...routes, unknownHostRoute()],
    ...(accessLog !== null ? { logs: { default_logger_name: ACCESS_LOGGER } } : {}),
    ...extra,
  };
}

function caddyRoute(route: EdgeRoute): object[] {
  const hosts = unique(route.hosts.map((h) => h.toLowerCase()));
  hosts.forEach((h) => {
    if (!HOSTNAME.test(h)) throw new EdgeConfigError(`route ${route.id}: "${h}" is not a hostname`);
  });
  // A host matcher with no hosts would match nothing; leaving the route out says the same.
  if (hosts.length === 0) return [];
  const upstreams = unique(route.upstreams);
  upstreams.forEach((u) => {
    if (!UPSTREAM.test(u) || !validPort(u)) throw new EdgeConfigError(`route ${route.id}: "${u}" is not a host:port`);
  });
  return [{ match: [{ host: hosts }], handle: [upstreams.length > 0 ? proxy(upstreams) : noReplica()], terminal: true }];
}

function proxy(upstreams: string[]): object {
  return {
    handler: 'reverse_proxy',
    upstreams: upstreams.map((dial) => ({ dial })),
    load_balancing: {
      // Round robin moves a retry on to the next replica; least_conn may pick the dead one again.
      selection_policy: { policy: 'round_robin' },
      try_duration: UPSTREAM_TRY_DURATION,
      try_interval: UPSTREAM_TRY_INTERVAL,
    },
    // No flush_interval: -1. In Caddy 2.6 it ties every proxied request to the config's context,
    // so a reload cancels all requests in flight (502). Without it Caddy still flushes at once
    // for server-sent events and responses of unknown length (streaming.go, flushInterval).
  };
}

function noReplica(): object {
  return { handler: 'static_response', status_code: 503, body: NO_REPLICA_BODY, headers: plainText() };
}

function unknownHostRoute(): object {
  return { handle: [{ handler: 'static_response', status_code: 404, body: UNKNOWN_HOST_BODY, headers: plainText() }], terminal: true };
}

function plainText(): Record<string, string[]> {
  return { 'Content-Type': ['text/plain; charset=utf-8'] };
}

function tlsApp(tls: EdgeTls): object {
  if (tls.mode === 'internal') {
    // No subjects: the policy covers every host automatic HTTPS finds in the routes.
    return { automation: { policies: [{ issuers: [{ module: 'internal' }] }] } };
  }
  const issuer = { module: 'acme', ...(tls.email !== undefined ? { email: tls.email } : {}) };
  return {
    automation: {
      // Certificates are obtained at the first handshake for a name, and only when askUrl
      // answers 200 to `?domain=<name>`: a stranger pointing DNS here gets none.
      policies: [{ issuers: [issuer], on_demand: true }],
      on_demand: { ask: tls.askUrl },
    },
  };
}

function accessLogging(file: string): object {
  const logger = `http.log.access.${ACCESS_LOGGER}`;
  return {
    logs: {
      // Access lines go only to the file Berth reads, not also to Caddy's stderr.
      default: { exclude: [logger] },
      [ACCESS_LOGGER]: {
        writer: { output: 'file', filename: file },
        // Spelled out so the reader does not depend on a default that a later Caddy may change.
        encoder: { format: 'json', time_format: 'unix_seconds_float', duration_format: 'seconds' },
        include: [logger],
      },
    },
  };
}

function assertLoopbackAdmin(listen: string): void {
  if (!LOOPBACK.test(listen.slice(0, listen.lastIndexOf(':'))) || !validPort(listen)) {
    throw new EdgeConfigError(`the admin API must listen on a loopback host:port, not "${listen}"`);
  }
}

function portOf(listen: string): number {
  if (!validPort(listen)) throw new EdgeConfigError(`"${listen}" is not a [host]:port listen address`);
  return Number(listen.slice(listen.lastIndexOf(':') + 1));
}

function validPort(address: string): boolean {
  const port = address.slice(address.lastIndexOf(':') + 1);
  return address.includes(':') && /^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535;
}

function unique(values: string[]): string[] {
  return [...new Set(values)].sort(compare);
}

// Code-point order, not localeCompare: the same on every machine, whatever its locale.
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One request as Caddy's access log reports it. */
export interface AccessLogRequest {
  /** the request's Host, lowercased, without a port */
  host: string;
  status: number;
  durationMs: number;
  at: Date;
}

/**
 * One line of the access log written as configured above, or null for anything else (a partial or
 * foreign line). Caddy logs the Host header as sent, so "app.example:8080" becomes "app.example".
 */
export function parseAccessLine(line: string): AccessLogRequest | null {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof entry !== 'object' || entry === null) return null;
  const { request, status, duration, ts } = entry as Record<string, unknown>;
  const host = typeof request === 'object' && request !== null ? (request as Record<string, unknown>).host : undefined;
  if (typeof host !== 'string' || typeof status !== 'number' || typeof duration !== 'number' || typeof ts !== 'number') return null;
  return { host: withoutPort(host).toLowerCase(), status, durationMs: duration * 1000, at: new Date(ts * 1000) };
}

function withoutPort(host: string): string {
  const bracketed = /^\[([^\]]*)\](:\d*)?$/.exec(host);
  if (bracketed) return bracketed[1]!;
  // More than one colon without brackets is a bare IPv6 address, which has no port to strip.
  return host.split(':').length === 2 ? host.slice(0, host.indexOf(':')) : host;
}
