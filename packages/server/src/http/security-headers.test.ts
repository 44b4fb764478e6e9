import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerSecurityHeaders, SECURITY_HEADERS } from './security-headers.js';
import type { App } from './types.js';

/** A bare app with the hook, a Berth route and a route serving a user's content. */
async function app(): Promise<App> {
  const instance = Fastify() as unknown as App;
  registerSecurityHeaders(instance);
  instance.get('/berth', async () => ({ ok: true }));
  instance.get('/users-app', { config: { securityHeaders: false } }, async (_request, reply) => reply.header('content-security-policy', "script-src 'unsafe-inline'").send('<script>app()</script>'));
  await instance.register(async (scope: App) => {
    scope.get('/scoped', async () => 'inside a plugin');
  });
  return instance;
}

describe('registerSecurityHeaders', () => {
  it('adds every header to a route of the app and of its plugins', async () => {
    const instance = await app();
    for (const url of ['/berth', '/scoped']) {
      const res = await instance.inject({ method: 'GET', url });
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(res.headers[name], `${url} ${name}`).toBe(value);
    }
  });

  it('leaves a route marked securityHeaders: false alone, including the CSP it sets itself', async () => {
    const res = await (await app()).inject({ method: 'GET', url: '/users-app' });

    expect(res.headers['content-security-policy']).toBe("script-src 'unsafe-inline'");
    for (const name of ['x-frame-options', 'x-content-type-options', 'referrer-policy']) expect(res.headers[name]).toBeUndefined();
  });
});
