/**
 * What Berth's edge saw of each app's traffic, per minute for the last hour: requests, server
 * errors (5xx, and requests no replica answered) and latency percentiles. Kept in this process's
 * memory, bounded (an hour of minutes per app, a sample of latencies per minute): with several
 * Berth replicas each knows the traffic it carried.
 */

/** Latencies kept per minute at most (a uniform sample beyond it), and minutes kept. */
const SAMPLE = 512;
const MINUTES = 60;

interface Minute {
  at: number;
  requests: number;
  errors: number;
  latencies: number[];
}

export interface MinutePoint {
  at: string;
  requests: number;
  errors: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i);
  return sorted[lo]! + (sorted[Math.ceil(i)]! - sorted[lo]!) * (i - lo);
}

export function createAppMetrics(now: () => number = Date.now) {
  const byApp = new Map<string, Minute[]>();

  return {
    record(appId: string, status: number, ms: number): void {
      const at = Math.floor(now() / 60_000) * 60_000;
      const minutes = byApp.get(appId) ?? [];
      let minute = minutes[minutes.length - 1];
      if (minute?.at !== at) {
        minute = { at, requests: 0, errors: 0, latencies: [] };
        minutes.push(minute);
        while (minutes.length > 0 && minutes[0]!.at <= at - MINUTES * 60_000) minutes.shift();
        byApp.set(appId, minutes);
      }
      minute.requests += 1;
      if (status >= 500 || status === 0) minute.errors += 1;
      // Reservoir sampling: every request of the minute is as likely to be kept.
      if (minute.latencies.length < SAMPLE) minute.latencies.push(ms);
      else {
        const j = Math.floor(Math.random() * minute.requests);
        if (j < SAMPLE) minute.latencies[j] = ms;
      }
    },

    /** The last hour, minute by minute (minutes without traffic are there with zero requests). */
    minutes(appId: string): MinutePoint[] {
      const end = Math.floor(now() / 60_000) * 60_000;
      const seen = new Map((byApp.get(appId) ?? []).map((m) => [m.at, m]));
      const points: MinutePoint[] = [];
      for (let at = end - (MINUTES - 1) * 60_000; at <= end; at += 60_000) {
        const m = seen.get(at);
        const sorted = [...(m?.latencies ?? [])].sort((a, b) => a - b);
        points.push({ at: new Date(at).toISOString(), requests: m?.requests ?? 0, errors: m?.errors ?? 0, p50Ms: quantile(sorted, 0.5), p95Ms: quantile(sorted, 0.95) });
      }
      return points;
    },

    forget(appId: string): void {
      byApp.delete(appId);
    },
  };
}

export type AppMetrics = ReturnType<typeof createAppMetrics>;
