import { describe, expect, it } from 'vitest';
import { createAppMetrics } from './apps.metrics.js';

describe('app metrics', () => {
  it('counts requests and server errors per minute, with latency percentiles, for the last hour', () => {
    let t = Date.UTC(2026, 0, 1, 12, 0, 30);
    const metrics = createAppMetrics(() => t);
    for (let i = 1; i <= 100; i++) metrics.record('a', i % 10 === 0 ? 502 : 200, i);
    t += 60_000;
    metrics.record('a', 0, 5);
    const points = metrics.minutes('a');
    expect(points).toHaveLength(60);
    expect(points.at(-2)).toMatchObject({ at: '2026-01-01T12:00:00.000Z', requests: 100, errors: 10, p50Ms: 50.5 });
    expect(points.at(-2)!.p95Ms).toBeCloseTo(95.05, 1);
    expect(points.at(-1)).toMatchObject({ requests: 1, errors: 1, p50Ms: 5 });
    expect(points[0]).toMatchObject({ requests: 0, errors: 0, p50Ms: null, p95Ms: null });
    expect(metrics.minutes('other').every((p) => p.requests === 0)).toBe(true);
  });

  it('keeps an hour and a bounded sample, whatever the traffic', () => {
    let t = Date.UTC(2026, 0, 1, 0, 0, 0);
    const metrics = createAppMetrics(() => t);
    for (let i = 0; i < 5000; i++) metrics.record('a', 200, 1);
    t += 2 * 3600_000;
    metrics.record('a', 200, 1);
    const points = metrics.minutes('a');
    expect(points.reduce((n, p) => n + p.requests, 0)).toBe(1);
  });
});
