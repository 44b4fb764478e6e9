import type { EnvironmentStatus } from '@berth/contracts';

/** Statuses the reconciler is still working towards. */
export const TRANSITIONAL: readonly EnvironmentStatus[] = ['pending', 'provisioning', 'starting', 'stopping', 'deleting', 'moving'];

export function StatusBadge({ status, testId = 'env-status' }: { status: EnvironmentStatus; testId?: string }) {
  const busy = TRANSITIONAL.includes(status);
  return (
    <span className={`badge status-badge status-${status}${busy ? ' is-busy' : ''}`} data-testid={testId}>
      {status}
    </span>
  );
}
