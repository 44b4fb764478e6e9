import { ChangePasswordBodySchema, LoginBodySchema, LoginResponseSchema } from '@berth/contracts';
import { z } from 'zod';
import { SESSION_COOKIE } from '../../http/auth.js';
import { responses } from '../../http/responses.js';
import type { App } from '../../http/types.js';
import type { AuthService } from './auth.service.js';

export function registerAuthRoutes(app: App, { auth, secureCookies }: { auth: AuthService; secureCookies: boolean }): void {
  app.post(
    '/auth/login',
    {
      config: { public: true },
      schema: { tags: ['auth'], summary: 'Sign in; sets the session cookie', security: [], body: LoginBodySchema, response: responses({ 200: LoginResponseSchema }) },
    },
    async (request, reply) => {
      const { user, secret, expiresAt } = await auth.login(request.ctx, request.body);
      void reply.setCookie(SESSION_COOKIE, secret, { httpOnly: true, sameSite: 'lax', secure: secureCookies, path: '/', expires: expiresAt });
      return { user };
    },
  );

  app.post('/auth/logout', { schema: { tags: ['auth'], summary: 'End the current session', response: responses({ 204: z.null() }) } }, async (request, reply) => {
    await auth.logout(request.ctx);
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
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
