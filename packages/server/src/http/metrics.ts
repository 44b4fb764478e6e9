import Fastify, { type FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { authorize } from '../modules/auth/authorize.js';
import { registerProblemHandlers } from './problem.js';
import type { App } from './types.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's Prometheus registry, for a scraper's own listener (buildMetricsApp). */
    metrics: Registry;
  }
}

/**
 * Prometheus metrics, on a registry of this app's own (no global state between
 * apps). GET /metrics here needs an admin (session or API token): route names,
 * request rates and process figures are reconnaissance for anyone else.
 */
export function registerMetrics(app: App, gauges: { terminalSessions: () => number }): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'berth_' });
  const requests = new Counter({
    name: 'berth_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const durations = new Histogram({
    name: 'berth_http_request_duration_seconds',
    help: 'HTTP request durations by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  new Gauge({
    name: 'berth_terminal_sessions',
    help: 'Terminal sessions this process is attached to (their shells live in their environments)',
    registers: [registry],
    collect() {
      this.set(gauges.terminalSessions());
    },
  });

  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, not the URL, so ids do not explode the label space.
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) };
    requests.inc(labels);
    durations.observe(labels, reply.elapsedTime / 1000);
  });

  app.decorate('metrics', registry);
  app.get(
    '/metrics',
    { schema: { hide: true }, onRequest: async (request) => void authorize(request.ctx.actor, 'metrics.read') },
    async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );
}

/**
 * The listener BERTH_METRICS_ADDRESS asks for: GET /metrics and nothing else,
 * without credentials, for a Prometheus scraper. Bind it where only the scraper
 * reaches (loopback, a private interface).
 */
export function buildMetricsApp(registry: Registry): FastifyInstance {
  const app = Fastify({ logger: false });
  registerProblemHandlers(app);
  app.get('/metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  return app;
}
