import type { Quota } from '@berth/contracts';

export function CreditsMeter({ quota }: { quota: Quota }) {
  const pct = quota.credits > 0 ? Math.min(100, (quota.creditsUsed / quota.credits) * 100) : 100;
  return (
    <div className="credits" title={`${quota.creditsLeft} credit(s) left`}>
      <span>
        Credits {quota.creditsUsed} / {quota.credits}
      </span>
      <meter min={0} max={Math.max(quota.credits, 1)} value={quota.creditsUsed} aria-label="Credits used" data-full={pct >= 100 || undefined} />
    </div>
  );
}
