import type { App } from '@berth/contracts';
import { useCallback } from 'react';
import { useAppLogs } from './apps.queries.js';
import { useNewRelease } from './use-new-release.js';

/** What each replica of the serving release printed last, with its state and restarts; asked for again every few seconds. */
export function LogsPanel({ app }: { app: App }) {
  const serving = app.currentRelease !== null;
  const logs = useAppLogs(app.id, serving);
  const { refetch } = logs;
  useNewRelease(app.currentRelease, useCallback(() => void refetch(), [refetch]));
  return (
    <section className="card apps-section" aria-labelledby="app-logs-title" aria-busy={logs.isFetching || undefined}>
      <div className="apps-section-head">
        <h2 id="app-logs-title">Logs</h2>
        <div className="row">
          {logs.dataUpdatedAt > 0 && <span className="muted apps-small">Updated {new Date(logs.dataUpdatedAt).toLocaleTimeString()}</span>}
          {/* The name stays put while the 5 s poll runs, so the button never moves under a click. */}
          <button type="button" disabled={!serving} onClick={() => void logs.refetch()}>
            Refresh logs
          </button>
        </div>
      </div>
      {!serving ? (
        <p className="muted">Nothing is serving yet: logs show once a release is live.</p>
      ) : logs.error ? (
        <p role="alert" className="error">
          Could not load the logs: {logs.error.message}
        </p>
      ) : !logs.data ? (
        <p className="muted">Loading logs…</p>
      ) : logs.data.length === 0 ? (
        <p className="muted">No replica of release {app.currentRelease} is running.</p>
      ) : (
        <div className="apps-replicas">
          {logs.data.map((replica) => (
            <article key={replica.replica} className="apps-replica" aria-labelledby={`app-replica-${replica.replica}`}>
              <h3 id={`app-replica-${replica.replica}`}>Replica {replica.replica}</h3>
              <p className="muted apps-small">
                release {replica.release} · {replica.state} · {replica.restarts} restart{replica.restarts === 1 ? '' : 's'}
              </p>
              <pre className="apps-log-output" tabIndex={0} aria-label={`Output of replica ${replica.replica}`}>
                {replica.output || '(nothing printed yet)'}
              </pre>
            </article>
          ))}
        </div>
      )}
    </section>
  );
}
