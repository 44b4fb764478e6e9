import type { App, AppMetrics } from '@berth/contracts';
import { useCallback, type ReactNode } from 'react';
import { useAppMetrics } from './apps.queries.js';
import { formatMs, LatencyChart, peakP95, peakRequests, RequestsChart } from './TrafficChart.js';
import { useNewRelease } from './use-new-release.js';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * The hour's figures in one line. The hour's p95 cannot be rebuilt from the minutes' p95s, but it is
 * at most the slowest minute's (no minute has more than 5% of its requests above that): that bound is shown.
 */
function summary({ minutes, restarts }: AppMetrics): string {
  const requests = minutes.reduce((n, m) => n + m.requests, 0);
  const errors = minutes.reduce((n, m) => n + m.errors, 0);
  return `${plural(requests, 'request')} in the last hour, ${plural(errors, 'server error')}, p95 up to ${formatMs(peakP95(minutes))}, ${plural(restarts, 'restart')}`;
}

/** What Berth's edge carried for the app in the last hour, minute by minute; asked for again every 10 s and when a release goes live. */
export function TrafficSection({ app }: { app: App }) {
  const metrics = useAppMetrics(app.id);
  const { refetch } = metrics;
  useNewRelease(app.currentRelease, useCallback(() => void refetch(), [refetch]));
  const data = metrics.data;
  const quiet = data?.minutes.every((m) => m.requests === 0);
  return (
    <section className="card apps-section" aria-labelledby="app-traffic-title" aria-busy={metrics.isFetching || undefined}>
      <div className="apps-section-head">
        <h2 id="app-traffic-title">Traffic</h2>
        {metrics.dataUpdatedAt > 0 && <span className="muted apps-small">Updated {new Date(metrics.dataUpdatedAt).toLocaleTimeString()}</span>}
      </div>
      {metrics.error && (
        <p role="alert" className="error">
          Could not load the traffic: {metrics.error.message}
        </p>
      )}
      {!data ? (
        !metrics.error && <p className="muted">Loading traffic…</p>
      ) : quiet ? (
        <p className="muted">
          No traffic in the last hour{data.restarts > 0 && `; ${plural(data.restarts, 'restart')}`}.
        </p>
      ) : (
        <>
          <p className="apps-traffic-summary">{summary(data)}</p>
          <div className="apps-traffic-charts">
            <TrafficFigure
              caption={
                <>
                  Requests per minute (at most {peakRequests(data.minutes)}): <span className="apps-traffic-key apps-traffic-key-ok" aria-hidden="true" /> answered,{' '}
                  <span className="apps-traffic-key apps-traffic-key-error" aria-hidden="true" /> server errors
                </>
              }
            >
              <RequestsChart minutes={data.minutes} />
            </TrafficFigure>
            <TrafficFigure caption={`p95 latency per minute (at most ${formatMs(peakP95(data.minutes))})`}>
              <LatencyChart minutes={data.minutes} />
            </TrafficFigure>
          </div>
        </>
      )}
    </section>
  );
}

/** A chart with what it shows above it and its time span below. */
function TrafficFigure({ caption, children }: { caption: ReactNode; children: ReactNode }) {
  return (
    <figure className="apps-traffic-figure">
      <figcaption className="muted apps-small">{caption}</figcaption>
      {children}
      <div className="muted apps-small apps-traffic-axis" aria-hidden="true">
        <span>an hour ago</span>
        <span>now</span>
      </div>
    </figure>
  );
}
