import type { CreatedToken } from '@berth/contracts';
import { describe, expect, it } from 'vitest';
import { buildMetricsApp } from '../packages/server/src/http/metrics.js';
import { expectProblem } from './support/problem.js';
import type { Caller } from './support/server.js';
import { useTestServer } from './support/test-server.js';

const { server, admin, users: { member } } = useTestServer({ users: ['member'] });

const token = async (caller: Caller) => (await caller.post('/api/v1/tokens', { name: 'scraper' })).json<CreatedToken>().token;

function expectMetrics(res: { statusCode: number; headers: Record<string, unknown>; body: string }): void {
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  expect(res.body).toContain('# TYPE berth_http_requests_total counter');
}

describe('GET /metrics on the main port', () => {
  it('answers 401 unauthorized when signed out, with no figures', async () => {
    const res = await server.anonymous.get('/metrics');
    expectProblem(res, 401, 'unauthorized');
    expect(res.body).not.toContain('berth_');
  });

  it('answers 403 forbidden to a signed-in user who is not an admin, by session or API token', async () => {
    expectProblem(await member.get('/metrics'), 403, 'forbidden');
    expectProblem(await server.withToken(await token(member)).get('/metrics'), 403, 'forbidden');
  });

  it('answers an admin, by session or by API token (what a scraper on the main port uses)', async () => {
    expectMetrics(await admin.get('/metrics'));
    expectMetrics(await server.withToken(await token(admin)).get('/metrics'));
  });
});

describe('the separate metrics listener (BERTH_METRICS_ADDRESS)', () => {
  it('serves the main app\'s figures without credentials', async () => {
    await server.anonymous.get('/healthz');
    const scraper = buildMetricsApp(server.app.metrics);
    try {
      const res = await scraper.inject({ method: 'GET', url: '/metrics' });
      expectMetrics(res);
      expect(res.body).toMatch(/^berth_http_requests_total\{method="GET",route="\/healthz",status="200"\} [1-9]/m);
    } finally {
      await scraper.close();
    }
  });

  it('serves nothing else: the API, health and the web app are 404 there', async () => {
    const scraper = buildMetricsApp(server.app.metrics);
    try {
      for (const url of ['/api/v1/me', '/healthz', '/', '/api/docs']) expectProblem(await scraper.inject({ method: 'GET', url }), 404, 'not_found');
      expectProblem(await scraper.inject({ method: 'POST', url: '/metrics' }), 404, 'not_found');
    } finally {
      await scraper.close();
    }
  });
});
