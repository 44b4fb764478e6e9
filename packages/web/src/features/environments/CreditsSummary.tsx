import type { MachineType, Me } from '@berth/contracts';
import { formatCredits } from './format.js';
import { unaffordableReason } from './machine-types.js';

/** Credits in use and what each machine type would cost, above the environment list. */
export function CreditsSummary({ me, types, environmentCount }: { me: Me; types: MachineType[]; environmentCount: number }) {
  const { quota } = me;
  return (
    <section className="card credits-summary" aria-label="Credits and limits">
      <div className="summary-item">
        <span className="summary-label" id="dash-credits-label">
          Credits in use
        </span>
        <span className="summary-value" data-testid="credits-used">
          {quota.creditsUsed} / {quota.credits}
        </span>
        <meter min={0} max={Math.max(quota.credits, 1)} value={quota.creditsUsed} aria-labelledby="dash-credits-label" />
        <span className="muted">{Math.max(quota.creditsLeft, 0)} left</span>
      </div>
      <div className="summary-item">
        <span className="summary-label">Environments</span>
        <span className="summary-value">
          {environmentCount} / {quota.maxEnvironments}
        </span>
        <span className="muted">{quota.idleTimeoutMinutes > 0 ? `idle ones stop after ${quota.idleTimeoutMinutes} min` : 'never stopped for idleness'}</span>
      </div>
      <div className="summary-item summary-costs">
        <span className="summary-label">Cost while running</span>
        <ul className="cost-list">
          {types.map((t) => (
            <li key={t.name} className={unaffordableReason(t, quota) ? 'muted' : undefined}>
              <span className="mono">{t.name}</span> {formatCredits(t.creditsCost)}
            </li>
          ))}
        </ul>
        {!quota.active && <span className="error">Your quota is inactive: nothing can run.</span>}
      </div>
    </section>
  );
}
