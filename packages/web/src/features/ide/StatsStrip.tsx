import { useStats } from '../environments/environments.queries.js';

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

/** CPU and memory of a running environment, refreshed every 5 seconds. */
export function StatsStrip({ envId }: { envId: string }) {
  const stats = useStats(envId);
  if (stats.isError) return <div className="ide-stats muted">Stats unavailable</div>;
  const s = stats.data;
  const memShare = s && s.memoryLimitBytes > 0 ? s.memoryBytes / s.memoryLimitBytes : 0;
  return (
    <dl className="ide-stats" aria-label="Resource use" data-testid="env-stats">
      <div>
        <dt>CPU</dt>
        <dd className="mono">{s ? `${s.cpuPercent.toFixed(1)} %` : '—'}</dd>
      </div>
      <div>
        <dt>Memory</dt>
        <dd className="mono">
          {s ? `${formatBytes(s.memoryBytes)} / ${formatBytes(s.memoryLimitBytes)}` : '—'}
          <span className="ide-bar" data-level={memShare > 0.9 ? 'high' : memShare > 0.7 ? 'mid' : undefined} aria-hidden="true">
            <span style={{ width: `${Math.min(100, memShare * 100)}%` }} />
          </span>
        </dd>
      </div>
      {s && (
        <div>
          <dt>Processes</dt>
          <dd className="mono">{s.pids}</dd>
        </div>
      )}
    </dl>
  );
}
