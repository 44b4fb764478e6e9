import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type {} from '@fastify/websocket';
import type { RouteName, SocketName, TokenScope } from '@berth/contracts';
import type { RequestContext } from '../context.js';
import type { AdminAction } from '../modules/auth/authorize.js';
import type { EnvironmentLevel, OrgAction } from '../modules/auth/auth.policy.js';

/** The Fastify instance as routes see it: Zod schemas type the handlers. */
export type App = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

/** What a route's path can name that belongs to someone: `config: { owns: … }` (http/authorization.ts). */
export type OwnedResource = 'environment' | 'template' | 'sandbox' | 'app';

declare module 'fastify' {
  interface FastifyRequest {
    ctx: RequestContext;
  }
  interface FastifyContextConfig {
    /** Reachable without signing in. Every API route requires a caller unless it says this. */
    public?: boolean;
    /** false: no CSP, nosniff, framing or referrer headers (http/security-headers.ts); for a user's content. */
    securityHeaders?: false;
    /** An admin action the route is: refused (403) before the request is read (http/authorization.ts). */
    authorize?: AdminAction;
    /** The resource named in the route's path, which the caller must be able to act on (404 otherwise). */
    owns?: OwnedResource;
    /** An organization action the route is, on the organization named by `:org` (auth.policy.ts): 404/403 before the request is read. */
    org?: OrgAction;
    /** For an environment: what the route does with it (auth.policy.ts); 403 for a caller with less. Default view. */
    level?: EnvironmentLevel;
    /** The least token scope that may call the route; default read for GET, else admin (exec on the E2B API). */
    scope?: TokenScope;
    /** Set on routes that take WebSocket upgrades (http/websocket.ts); other routes refuse them. */
    acceptsUpgrade?: boolean;
    /** The contracts' route table entry it was registered from (http/route.ts). */
    route?: RouteName | SocketName;
    /** Served on a preview origin (user content): Berth's session, tokens and Origin rule do not apply there. */
    userContent?: boolean;
  }
}
