import http from 'node:http';
import type { App } from '@berth/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caddyEdge, gitRepo, loadAcrossSwitch, nodeApp, releaseSettles } from './support/apps.js';
import { useTestServer } from './support/test-server.js';
import { waitFor } from './support/wait.js';

/**
 * Apps behind a real Caddy that Berth starts and drives (BERTH_EDGE=caddy), reached by Host header on
 * Caddy's port: Caddy sends app hosts to Berth, whose routing moves traffic between releases.
 */

const { httpPort, env } = await caddyEdge();

/** A GET through Caddy with this Host header: its status and body (a connection error is status 0). */
function throughCaddy(host: string, urlPath = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: httpPort, path: urlPath, headers: { host }, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, body: err.message }));
  });
}

describe('apps behind Caddy', { timeout: 180_000 }, () => {
  const { server, users: { dev } } = useTestServer({
    env: {
      ...env,
      BERTH_APPS_DRAIN_SECONDS: '3',
      // Berth's own name, which custom domains need (the test's callers speak from http://localhost).
      BERTH_PUBLIC_URL: 'http://localhost',
    },
    users: ['dev'],
  });
  let repo: Awaited<ReturnType<typeof gitRepo>>;
  let app: App;
  let host: string;

  beforeAll(async () => {
    // Caddy sends every app host to Berth's own routing: Berth listens on a port of its own.
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    repo = await gitRepo();
    await repo.commit(nodeApp('v1'), 'v1');
  });
  afterAll(async () => {
    await repo?.remove();
  });

  it("serves a deployed app at its host on Caddy's port; Caddy answers 404 for a host no app has", async () => {
    const res = await dev.post('/api/v1/apps', { name: 'web', source: { kind: 'git', url: repo.url }, healthPath: '/health' });
    expect(res.statusCode, res.body).toBe(201);
    app = res.json<App>();
    expect(app.url).toBe(`http://web-dev.apps.localhost:${httpPort}`);
    host = new URL(app.url).host;
    await releaseSettles(dev, app.id, 1, 'live');
    expect(await throughCaddy(host)).toEqual({ status: 200, body: 'v1 - no-secret' });
    expect((await throughCaddy(`nobody-dev.apps.localhost:${httpPort}`)).status).toBe(404);
  });

  it('switches to the next release through Caddy with not one failed request', async () => {
    await repo.commit(nodeApp('v2'), 'v2');
    const { seen, failures } = await loadAcrossSwitch(
      () => throughCaddy(host),
      async () => {
        expect((await dev.post(`/api/v1/apps/${app.id}/deploys`)).statusCode).toBe(202);
        await releaseSettles(dev, app.id, 2, 'live');
      },
    );
    expect(failures.join('\n')).toBe('');
    expect([...seen.keys()].sort()).toEqual(['v1 - no-secret', 'v2 - no-secret']);
  });

  it('answers the edge\'s question before a certificate: yes for an app\'s host, no for any other', async () => {
    expect((await server.anonymous.get(`/api/v1/edge/ask?domain=web-dev.apps.localhost`)).statusCode).toBe(204);
    expect((await server.anonymous.get(`/api/v1/edge/ask?domain=other-dev.apps.localhost`)).statusCode).toBe(404);
    expect((await server.anonymous.get(`/api/v1/edge/ask?domain=example.com`)).statusCode).toBe(404);
  });

  it('serves a custom domain through Caddy once an admin adds it, and answers its certificate question', async () => {
    expect((await dev.post(`/api/v1/apps/${app.id}/domains`, { host: 'shop.example.test' })).statusCode).toBe(201);
    await waitFor('Caddy to route the custom domain', async () => (await throughCaddy('shop.example.test')).status === 200, 30_000, 100);
    expect((await throughCaddy('shop.example.test')).body).toBe('v2 - no-secret');
    expect((await server.anonymous.get('/api/v1/edge/ask?domain=shop.example.test')).statusCode).toBe(204);
  });

  it('takes the route away when the app is deleted', async () => {
    expect((await dev.delete(`/api/v1/apps/${app.id}`)).statusCode).toBe(202);
    await waitFor('Caddy to answer 404 for the deleted app', async () => (await throughCaddy(host)).status === 404, 60_000, 250);
  });
});
