import type { FastifyRequest } from 'fastify';
import { route } from '../../http/route.js';
import type { App } from '../../http/types.js';
import type { AuthService } from './auth.service.js';

interface Deps {
  auth: AuthService;
  /** Which session cookie the request uses (http/auth.ts sessionCookieFor). */
  sessionCookie: (request: FastifyRequest) => { name: string; secure: boolean };
}

export function registerAuthRoutes(app: App, { auth, sessionCookie }: Deps): void {
  route(app, 'auth.login', { config: { public: true } }, async (request, reply) => {
    const { user, secret, expiresAt } = await auth.login(request.ctx, request.body);
    const cookie = sessionCookie(request);
    // Path=/ and no Domain: what a __Host- cookie must have, and host-only either way, so no sibling host (a preview) receives it.
    void reply.setCookie(cookie.name, secret, { httpOnly: true, sameSite: 'lax', secure: cookie.secure, path: '/', expires: expiresAt });
    return { user };
  });

  route(app, 'auth.logout', {}, async (request, reply) => {
    await auth.logout(request.ctx);
    const cookie = sessionCookie(request);
    void reply.clearCookie(cookie.name, { httpOnly: true, sameSite: 'lax', secure: cookie.secure, path: '/' });
  });

  route(app, 'me.changePassword', {}, (request) => auth.changePassword(request.ctx, request.body));
}
