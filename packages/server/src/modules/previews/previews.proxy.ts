import type http from 'node:http';
import { PREVIEW_GRANT_PATH } from '@berth/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, NotFoundError, UnauthorizedError } from '../../errors.js';
import { BERTH_COOKIE_NAMES } from '../../http/auth.js';
import { proxyHttp } from '../../http/proxy.js';
import type { App } from '../../http/types.js';
import { appRequestHeaders, appResponseHeaders, cookieValues, landingPath, type PreviewTarget } from './previews.domain.js';
import type { PreviewsService } from './previews.service.js';
import { joinWebSocket, type RelayLimits } from './previews.socket.js';
import { signedOutPage } from './previews.page.js';

/** The preview host's own cookie: set by the grant exchange, on that host alone. */
export const PREVIEW_COOKIE = 'berth_preview';
/** Cookies of Berth's: never sent to an app, never set by one (the `__Host-` form is Berth's over https). */
const BERTH_COOKIES = [...BERTH_COOKIE_NAMES, PREVIEW_COOKIE];

interface Deps {
  previews: Pick<PreviewsService, 'admit' | 'exchange' | 'upstream' | 'address'>;
  /** How long the app inside has to answer, and how much a preview WebSocket may queue each way. */
  limits: RelayLimits;
  /** Berth's own origin, where a visitor without access is sent to open the preview. */
  berthUrl: () => string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** On a preview host: the environment and port it names. */
    previewTarget: PreviewTarget;
  }
}

const GRANT_FORM_LIMIT_BYTES = 16 * 1024;
const GrantFormSchema = z.object({ grant: z.string().min(1).max(512), path: z.string().max(8192).optional() });

type Strategy = Parameters<App['addConstraintStrategy']>[0];
type Handler = NonNullable<ReturnType<ReturnType<Strategy['storage']>['get']>>;

/**
 * Requests whose Host is a preview host match only routes constrained to it, and
 * those match nothing else: Berth's API and web app never answer on a preview
 * host, and the preview proxy never answers on Berth's.
 */
function previewHostStrategy(isPreviewHost: (host: string | undefined) => boolean): Strategy {
  return {
    name: 'previewHost',
    storage() {
      const handlers = new Map<unknown, Handler>();
      return { get: (value) => handlers.get(value) ?? null, set: (value, handler) => void handlers.set(value, handler) };
    },
    // Off a preview host the value is left underived (undefined, which find-my-way's typing does not
    // admit): only then do unconstrained routes match. On one, it must match: only preview routes do.
    deriveConstraint: (req) => (isPreviewHost(req.headers.host) ? 'yes' : (undefined as unknown as string)),
    mustMatchWhenDerived: true,
  };
}
const onPreviewHost = { previewHost: 'yes' };

/**
 * The preview origin, `<port>-<environment id>.<preview domain>`: the grant
 * exchange at PREVIEW_GRANT_PATH, and everything else proxied, HTTP and
 * WebSocket, to that port inside the environment for whoever may open it.
 */
export async function registerPreviewHosts(app: App, deps: Deps): Promise<void> {
  const { previews } = deps;
  app.addConstraintStrategy(previewHostStrategy(previews.address.isPreviewHost));
  // Berth's credentials are neither read nor checked here (see registerAuth): this origin has its own.
  const common = { constraints: onPreviewHost, config: { userContent: true, securityHeaders: false as const } };

  await app.register(async (scope: App) => {
    scope.decorateRequest('previewTarget', null as never);
    scope.addHook('onRequest', async (request) => {
      const target = previews.address.target(request.headers.host);
      if (!target) throw new NotFoundError('Preview');
      request.previewTarget = target;
    });

    await scope.register(async (grants: App) => {
      grants.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: GRANT_FORM_LIMIT_BYTES }, (_request, body, done) =>
        done(null, Object.fromEntries(new URLSearchParams(body as string))),
      );
      grants.post(PREVIEW_GRANT_PATH, { ...common, schema: { hide: true, body: GrantFormSchema } }, async (request, reply) => {
        const { cookie, maxAgeSeconds } = await previews.exchange(request.ctx, request.previewTarget, request.body.grant);
        const secure = previews.address.scheme === 'https' || request.protocol === 'https';
        // No Domain attribute: the cookie belongs to this preview host alone.
        void reply.setCookie(PREVIEW_COOKIE, cookie, { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: maxAgeSeconds });
        // No Referer from Berth's page on to the app: it has no business knowing where the visitor came from.
        return reply.code(303).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').header('location', landingPath(request.body.path)).send();
      });
    });

    await scope.register(async (raw: App) => registerProxy(raw, deps, common));
  });
}

function registerProxy(raw: App, deps: Deps, common: { constraints: typeof onPreviewHost; config: { userContent: boolean; securityHeaders: false } }): void {
  const { previews } = deps;
  // Bodies pass through untouched, whatever their type.
  raw.removeAllContentTypeParsers();
  raw.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  raw.addHook('onRequest', async (request, reply) => {
    const admission = await previews.admit(request.previewTarget, cookieValues(request.headers.cookie, PREVIEW_COOKIE));
    if (admission.open) {
      // A preview socket ends, like Berth's own, when the credential it was opened with is revoked.
      if (admission.viewer) request.trackUpgrade(admission.viewer);
      return;
    }
    const { environmentId, port } = request.previewTarget;
    const link = `${deps.berthUrl()}/preview/${environmentId}/${port}?path=${encodeURIComponent(request.url)}`;
    const page = request.method === 'GET' && !request.headers.upgrade && request.headers.accept?.includes('text/html');
    if (!page) throw new UnauthorizedError(`Open this preview through Berth first: ${link}`);
    return reply.code(401).type('text/html; charset=utf-8').header('cache-control', 'no-store').header('content-security-policy', "default-src 'none'").send(signedOutPage(port, link));
  });

  async function target(request: FastifyRequest) {
    const endpoint = await previews.upstream(request.previewTarget);
    const headers = appRequestHeaders(request.headers, BERTH_COOKIES);
    headers['x-forwarded-host'] = request.headers.host;
    headers['x-forwarded-proto'] = request.protocol;
    return { ...endpoint, headers };
  }

  const unreachable = (port: number, why: string) => new AppError('port_unreachable', `Nothing answers on port ${port} in the environment (${why}); start a server listening on 0.0.0.0:${port}`);

  const relay = { connectTimeoutMs: deps.limits.connectTimeoutMs, responseHeaders: (headers: http.IncomingHttpHeaders) => appResponseHeaders(headers, BERTH_COOKIES) };
  async function proxy(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const t = await target(request);
    await proxyHttp(request, reply, t, { ...relay, unreachable: (why) => unreachable(t.port, why) });
  }

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    await proxy(request, reply);
    return reply;
  };
  const schema = { hide: true };
  // WebSocket upgrades arrive as GET: that route takes both. HEAD comes with GET.
  raw.route({
    method: 'GET',
    url: '/*',
    ...common,
    schema,
    handler,
    wsHandler: (socket, request) =>
      joinWebSocket(socket, async () => {
        const t = await target(request);
        const protocols = request.headers['sec-websocket-protocol']?.split(',').map((p) => p.trim());
        const headers = Object.fromEntries(Object.entries(t.headers).filter(([name]) => !name.startsWith('sec-websocket'))) as Record<string, string>;
        return { url: `ws://${t.host}:${t.port}${request.url}`, protocols, headers };
      }, deps.limits),
  });
  raw.route({ method: ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], url: '/*', ...common, schema, handler });
}
