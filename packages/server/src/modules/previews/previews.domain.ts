import type { Keyring } from '../../keyring.js';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { isUuid, type PortSharing } from '@berth/contracts';
import { HOP_BY_HOP } from '../../http/proxy.js';

/**
 * Listening TCP sockets from /proc/net/tcp and /proc/net/tcp6 text: state 0A is
 * LISTEN, the local address is hex "ADDR:PORT". Each port once, lowest first.
 */
export function listeningPorts(procNetTcp: string): { port: number; address: string }[] {
  const seen = new Map<number, string>();
  for (const line of procNetTcp.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4 || fields[3] !== '0A') continue;
    const [addr = '', portHex = ''] = fields[1]!.split(':');
    const port = parseInt(portHex, 16);
    const address = addr.length === 8 ? ipv4(addr) : addr === '0'.repeat(32) ? '::' : 'ipv6';
    // 127.0.0.11 is Docker's embedded DNS resolver, not something the user started.
    if (!Number.isFinite(port) || seen.has(port) || address === DOCKER_DNS) continue;
    seen.set(port, address);
  }
  return [...seen].sort(([a], [b]) => a - b).map(([port, address]) => ({ port, address }));
}

const DOCKER_DNS = '127.0.0.11';

/** /proc writes IPv4 addresses as little-endian hex. */
function ipv4(hex: string): string {
  return [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
}

/** One port of one environment: what a preview host names. */
export interface PreviewTarget {
  environmentId: string;
  port: number;
}

/** `<port>-<environment id>.<domain>`, the host form E2B's `getHost(port)` builds too. */
export const previewHost = (domain: string, t: PreviewTarget): string => `${t.port}-${t.environmentId}.${domain}`;

/** The host name of a Host header or host[:port], lower-cased, without the port. */
export function hostnameOf(host: string): string {
  const bracketed = /^\[([^\]]*)\]/.exec(host);
  return (bracketed ? bracketed[1]! : host.replace(/:\d*$/, '')).toLowerCase();
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Host names shaped like a preview (`<digits>-<label>.<domain>`) belong to the
 * preview proxy alone, valid or not, so Berth never answers on one.
 */
export function previewZone(domainHostname: string): RegExp {
  return new RegExp(`^(\\d+)-([a-z0-9-]+)\\.${escapeRegExp(domainHostname)}$`);
}

/** The environment and port a preview host name names; undefined when it names none. */
export function parsePreviewHost(hostname: string, zone: RegExp): PreviewTarget | undefined {
  const match = zone.exec(hostname);
  if (!match) return undefined;
  const port = Number(match[1]);
  if (!Number.isInteger(port) || port < 1 || port > 65535 || String(port) !== match[1] || !isUuid(match[2]!)) return undefined;
  return { environmentId: match[2]!, port };
}

/** Who is asking to open a preview, as last read from the database. */
export interface Viewer {
  id: string;
  isAdmin: boolean;
}

/**
 * Whether `viewer` (null: nobody signed in) may open a port shared this way.
 * `mayUse`: whether the viewer may use the environment (its creator, its
 * organization's owners and admins, teams it is shared with at `use`).
 */
export function mayOpen(sharing: PortSharing, viewer: Viewer | null, mayUse: (viewer: Viewer) => boolean | Promise<boolean>): boolean | Promise<boolean> {
  if (sharing === 'public') return true;
  if (!viewer) return false;
  return sharing === 'authenticated' || mayUse(viewer);
}

/**
 * What the preview cookie carries: who (and the Berth credential they opened it
 * with, so signing out or revoking it ends the preview), which port, until when.
 */
export interface PreviewPass extends PreviewTarget {
  userId: string;
  credential: Credential;
  /** Seconds since the epoch. */
  expiresAt: number;
}

export interface Credential {
  via: 'session' | 'token';
  id: string;
}

const PASS_PURPOSE = 'preview-pass';

/** `<payload>.<mac>`, both base64url, signed under Berth's keyring (so a key rotation keeps passes valid for its grace). */
export function signPass(keyring: Pick<Keyring, 'sign'>, pass: PreviewPass): string {
  const payload = Buffer.from(JSON.stringify([pass.userId, pass.credential.via, pass.credential.id, pass.environmentId, pass.port, pass.expiresAt])).toString('base64url');
  return `${payload}.${keyring.sign(PASS_PURPOSE, payload)}`;
}

/** The pass in a cookie value, if its MAC is ours, it has not expired and it is for `target`. */
export function readPass(keyring: Pick<Keyring, 'verify'>, value: string, target: PreviewTarget, nowSeconds: number): PreviewPass | undefined {
  const [payload = '', given = ''] = value.split('.');
  if (!keyring.verify(PASS_PURPOSE, payload, given)) return undefined;
  const [userId, via, id, environmentId, port, expiresAt] = JSON.parse(Buffer.from(payload, 'base64url').toString()) as [string, Credential['via'], string, string, number, number];
  if (expiresAt <= nowSeconds || environmentId !== target.environmentId || port !== target.port) return undefined;
  return { userId, credential: { via, id }, environmentId, port, expiresAt };
}

/** A grant names the credential it was minted with; its stored hash keeps that name honest. */
export const grantOf = (secret: string, credential: Credential) => `${secret}.${credential.via}.${credential.id}`;

export function credentialOfGrant(grant: string): Credential | undefined {
  const [, via, id] = grant.split('.');
  return (via === 'session' || via === 'token') && id && isUuid(id) ? { via, id } : undefined;
}

const cookiePairs = (header: string | undefined) =>
  (header ?? '')
    .split(';')
    .map((c) => c.trim())
    .filter(Boolean);

/** Every value a Cookie header gives `name` (a sibling preview may have tossed in one of its own). */
export const cookieValues = (header: string | undefined, name: string): string[] =>
  cookiePairs(header)
    .filter((c) => c.startsWith(`${name}=`))
    .map((c) => c.slice(name.length + 1));

/** The Cookie header without the named cookies; the app's own pass through. */
export function withoutCookies(header: string | undefined, names: readonly string[]): string | undefined {
  const kept = cookiePairs(header).filter((c) => !names.includes(c.slice(0, c.indexOf('=')).trim()));
  return kept.length > 0 ? kept.join('; ') : undefined;
}

/** Hop-by-hop headers, and the Host the proxy sets itself: never passed along either way. */

/** A Berth API token, wherever a client put it: the app inside never sees one. */
const BERTH_TOKEN = /\bberth_[A-Za-z0-9_-]{20,}/;

/**
 * What the app inside is sent: the browser's request without Berth's cookies,
 * Berth tokens (an app's own Authorization passes: on its own origin it is its own),
 * or hop-by-hop headers.
 */
export function appRequestHeaders(headers: IncomingHttpHeaders, berthCookies: readonly string[]): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || name === 'cookie') continue;
    if (BERTH_TOKEN.test(Array.isArray(value) ? value.join(',') : value)) continue;
    out[name] = value;
  }
  const cookie = withoutCookies(headers.cookie, berthCookies);
  if (cookie) out.cookie = cookie;
  return out;
}

/**
 * What the browser is sent of the app's answer: never a cookie by one of Berth's
 * names (which, with a Domain attribute, would land on Berth's own host) and never
 * `Service-Worker-Allowed` (which would let a worker claim more than its folder).
 */
export function appResponseHeaders(headers: IncomingHttpHeaders, berthCookies: readonly string[]): OutgoingHttpHeaders {
  const names = new Set(berthCookies.map((n) => n.toLowerCase()));
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || name === 'service-worker-allowed') continue;
    if (name === 'set-cookie') {
      const kept = (value as string[]).filter((c) => !names.has(c.slice(0, c.indexOf('=')).trim().toLowerCase()));
      if (kept.length > 0) out[name] = kept;
      continue;
    }
    out[name] = value;
  }
  return out;
}

/** A path on the preview host to land on after a grant: never another host (`//evil`, `/\evil`). */
export function landingPath(path: string | undefined): string {
  return path && path.startsWith('/') && !/^\/[/\\]/.test(path) && !/[\r\n]/.test(path) ? path : '/';
}
