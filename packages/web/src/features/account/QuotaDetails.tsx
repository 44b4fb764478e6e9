import type { Me } from '@berth/contracts';
import { formatCredits } from '../environments/format.js';

export function QuotaDetails({ me }: { me: Me }) {
  const { quota } = me;
  const rows: [string, string][] = [
    ['Status', quota.active ? 'active' : 'inactive: nothing can run'],
    ['Credits', `${quota.creditsUsed} used of ${quota.credits} (${formatCredits(Math.max(quota.creditsLeft, 0))} left)`],
    ['Machine types', quota.allowedTypes.length > 0 ? quota.allowedTypes.join(', ') : 'none'],
    ['Environments', `at most ${quota.maxEnvironments}`],
    ['AI uses per day', String(quota.aiUsesPerDay)],
    ['Idle auto-stop', quota.idleTimeoutMinutes > 0 ? `after ${quota.idleTimeoutMinutes} minutes without activity` : 'never'],
  ];
  return (
    <section className="card account-section" aria-labelledby="quota-title">
      <h2 id="quota-title">Your quota</h2>
      <p className="muted">Set by an administrator. A running environment holds its machine type&apos;s credits until it stops.</p>
      <meter className="quota-meter" min={0} max={Math.max(quota.credits, 1)} value={quota.creditsUsed} aria-label="Credits used" />
      <dl className="quota-list" data-testid="quota">
        {rows.map(([term, value]) => (
          <div key={term}>
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
