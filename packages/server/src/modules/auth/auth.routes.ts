import { ChangePasswordBodySchema, LoginBodySchema, LoginResponseSchema } from '@berth/contracts';
import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import { responses } from '../../http/responses.js';
import type { App } from '../../http/types.js';
import type { AuthService } from './auth.service.js';

interface Deps {
  auth: AuthService;
  /** Which session cookie the request uses (http/auth.ts sessionCookieFor). */
  sessionCookie: (request: FastifyRequest) => { name: string; secure: boolean };
}

export function registerAuthRoutes(app: App, { auth, sessionCookie }: Deps): void {
  app.post(
    '/auth/login',
    {
      config: { public: true },
      schema: { tags: ['auth'], summary: 'Sign in; sets the session cookie', security: [], body: LoginBodySchema, response: responses({ 200: LoginResponseSchema }) },
    },
    async (request, reply) => {
      const { user, secret, expiresAt } = await auth.login(request.ctx, request.body);
      const cookie = sessionCookie(request);
      // Path=/ and no Domain: what a __Host- cookie must have, and host-only either way, so no sibling host (a preview) receives it.
      void reply.setCookie(cookie.name, secret, { httpOnly: true, sameSite: 'lax', secure: cookie.secure, path: '/', expires: expiresAt });
      return { user };
    },
  );

  app.post('/auth/logout', { schema: { tags: ['auth'], summary: 'End the current session', response: responses({ 204: z.null() }) } }, async (request, reply) => {
    await auth.logout(request.ctx);
    const cookie = sessionCookie(request);
    void reply.clearCookie(cookie.name, { httpOnly: true, sameSite: 'lax', secure: cookie.secure, path: '/' });
    return reply.code(204).send(null);
  });

  app.post(
    '/me/password',
    {
      schema: {
        tags: ['auth'],
        summary: 'Change your own password; ends your other sessions (and, with revokeTokens, your API tokens) and what they opened',
        body: ChangePasswordBodySchema,
        response: responses({ 204: z.null() }),
      },
    },
    async (request, reply) => {
      await auth.changePassword(request.ctx, request.body);
      return reply.code(204).send(null);
    },
  );
}
