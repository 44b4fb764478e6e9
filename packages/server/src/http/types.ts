import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type {} from '@fastify/websocket';
import type { RequestContext } from '../context.js';

/** The Fastify instance as routes see it: Zod schemas type the handlers. */
export type App = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

declare module 'fastify' {
  interface FastifyRequest {
    ctx: RequestContext;
  }
  interface FastifyContextConfig {
    /** Reachable without signing in. Every API route requires a caller unless it says this. */
    public?: boolean;
    /** false: no CSP, nosniff, framing or referrer headers (http/security-headers.ts); for a user's content. */
    securityHeaders?: false;
    /** Set on routes that take WebSocket upgrades (http/websocket.ts); other routes refuse them. */
    acceptsUpgrade?: boolean;
    /** Served on a preview origin (user content): Berth's session, tokens and Origin rule do not apply there. */
    userContent?: boolean;
  }
}
