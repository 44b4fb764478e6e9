import { SESSION_COOKIE_NAMES } from '@berth/contracts';
import type { FastifyRequest } from 'fastify';
import { AppError, UnauthorizedError } from '../errors.js';
import type { AuthService } from '../modules/auth/auth.service.js';
import type { App } from './types.js';

/** Every cookie Berth sets on its own origin: whatever proxies a user's app strips them, both ways. */
export const BERTH_COOKIE_NAMES: readonly string[] = [SESSION_COOKIE_NAMES.secure, SESSION_COOKIE_NAMES.plain];
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

interface Options {
  auth: Pick<AuthService, 'authenticate'>;
  publicUrl: string | undefined;
}

/**
 * The bearer secret, if the request sends one. Other schemes (a proxy's Basic
 * auth, say) are not ours and count as no credential; a malformed Bearer is refused.
 */
function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header || !/^Bearer(\s|$)/i.test(header)) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new UnauthorizedError('The Authorization header must be "Bearer <token>"');
  return match[1];
}

/**
 * The session cookie this request uses: `__Host-berth_session`, Secure, when
 * the public URL is https or the request came over https (X-Forwarded-Proto
 * counts only with BERTH_TRUST_PROXY); `berth_session` on plain http. Only that
 * one is read, so a plain cookie planted over http cannot stand in for it.
 */
export function sessionCookieFor(request: FastifyRequest, publicUrl: string | undefined): { name: string; secure: boolean } {
  const secure = publicUrl?.startsWith('https:') === true || request.protocol === 'https';
  return { name: secure ? SESSION_COOKIE_NAMES.secure : SESSION_COOKIE_NAMES.plain, secure };
}

const isUpgrade = (request: FastifyRequest) => request.headers.upgrade?.toLowerCase() === 'websocket';

/** Scheme, host and port as browsers write an Origin (default ports dropped); undefined if unparsable. */
function normalOrigin(value: string): string | undefined {
  try {
    const origin = new URL(value).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

function originOf(request: FastifyRequest): string | undefined {
  const origin = request.headers.origin;
  if (origin) return origin;
  const referer = request.headers.referer;
  return referer ? (normalOrigin(referer) ?? 'invalid') : undefined;
}

/** The organization a request acts in, by slug: the `Berth-Org` header (absent: the caller's default). */
export const ORG_HEADER = 'berth-org';
function orgOf(request: FastifyRequest): string | undefined {
  const value = request.headers[ORG_HEADER];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Resolves who is calling (bearer token, else session cookie) into
 * `request.ctx`, and refuses cross-site state changes. Whether a route needs a
 * caller is decided by `requireCaller`, installed on the API scope.
 */
export function registerAuth(app: App, { auth, publicUrl }: Options): void {
  app.decorateRequest('ctx', null as never);
  app.addHook('onRequest', async (request) => {
    request.ctx = { actor: null, ip: request.ip, userAgent: request.headers['user-agent'] ?? null, requestId: String(request.id) };
    // A preview host is another origin with credentials of its own: Berth's are not read there.
    if (request.routeOptions.config.userContent) return;
    const bearer = bearerOf(request);
    if (bearer !== undefined) {
      request.ctx.actor = await auth.authenticate({ kind: 'token', secret: bearer, org: orgOf(request), mutating: !SAFE_METHODS.has(request.method) });
      if (!request.ctx.actor) throw new UnauthorizedError('The API token is invalid, expired or revoked');
      return; // Bearer requests cannot be forged by another site: no CSRF check.
    }
    const cookie = request.cookies[sessionCookieFor(request, publicUrl).name];
    if (cookie) request.ctx.actor = await auth.authenticate({ kind: 'session', secret: cookie, org: orgOf(request) });

    if (isUpgrade(request)) {
      // A WebSocket is not a safe GET: a page of another origin (a preview on a sibling host, say)
      // would drive the victim's terminal with their cookie. Browsers always send an Origin on a
      // WebSocket handshake, so one without it comes from a program that holds the cookie anyway;
      // without a signed-in caller there is nothing to hijack, and the route refuses it.
      if (request.ctx.actor && request.headers.origin !== undefined) refuseForeign(request, request.headers.origin, 'WebSocket');
      return;
    }
    if (SAFE_METHODS.has(request.method)) return;
    const origin = originOf(request);
    // A signed-in browser must prove the request comes from our own pages; an
    // anonymous one is checked only when it says where it comes from (login CSRF).
    if (!request.ctx.actor && origin === undefined) return;
    refuseForeign(request, origin, request.method);
  });

  function refuseForeign(request: FastifyRequest, origin: string | undefined, what: string): void {
    const own = normalOrigin(publicUrl ?? `${request.protocol}://${request.host}`);
    if (own === undefined || origin === undefined || normalOrigin(origin) !== own) {
      throw new AppError('csrf_failed', `Cross-site ${what} refused: the Origin must be ${own}`);
    }
  }
}

/** Installed on the API scope: every route there needs a caller unless marked public. */
export function requireCaller(app: App): void {
  app.addHook('onRequest', async (request) => {
    if (!request.routeOptions.config.public && !request.ctx.actor) throw new UnauthorizedError();
  });
}
