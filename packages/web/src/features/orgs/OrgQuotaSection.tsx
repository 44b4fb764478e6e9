import type { OrgQuota, UpdateOrgQuotaBody } from '@berth/contracts';
import { useState, type FormEvent } from 'react';
import { ApiError } from '../../api/client.js';
import { ActionError, CheckboxField, describeError, NumberFields } from '../admin/form-fields.component.js';
import type { OrgPowers } from './org-powers.js';
import { useOrgQuota, useUpdateOrgQuota } from './quota.queries.js';
import '../admin/admin.css';

const NUMBER_FIELDS = ['credits', 'memberCreditCap', 'maxEnvironments', 'idleTimeoutMinutes'] as const;
type NumberField = (typeof NUMBER_FIELDS)[number];
const FIELDS = [...NUMBER_FIELDS, 'allowedTypes'];

/** The credit pool and limits: everyone in the organization reads them, owners and admins change them within the ceiling. */
export function OrgQuotaSection({ slug, powers }: { slug: string; powers: OrgPowers }) {
  const quota = useOrgQuota(slug);
  // A role that may not read the quota is shown nothing rather than a refusal.
  if (quota.error instanceof ApiError && quota.error.status === 403) return null;
  return (
    <section className="card org-section" aria-labelledby="org-quota-title">
      <h2 id="org-quota-title">Quota</h2>
      {quota.isPending && <p className="muted">Loading the quota…</p>}
      <ActionError message={quota.error?.message} />
      {quota.data && (
        <>
          <QuotaFacts quota={quota.data} />
          {powers.manage && <OrgQuotaForm slug={slug} quota={quota.data} />}
        </>
      )}
    </section>
  );
}

function QuotaFacts({ quota }: { quota: OrgQuota }) {
  return (
    <dl className="org-quota-facts">
      <div>
        <dt>Credits in use</dt>
        <dd data-testid="org-credits-used">
          {quota.creditsUsed} of {quota.credits} ({Math.max(quota.creditsLeft, 0)} left)
        </dd>
      </div>
      <div>
        <dt>Per member</dt>
        <dd>{quota.memberCreditCap === null ? 'no cap' : `at most ${quota.memberCreditCap} credits`}</dd>
      </div>
      <div>
        <dt>Environments</dt>
        <dd>
          {quota.environments} of {quota.maxEnvironments}
        </dd>
      </div>
      <div>
        <dt>Idle environments stop</dt>
        <dd>{quota.idleTimeoutMinutes > 0 ? `after ${quota.idleTimeoutMinutes} min` : 'never'}</dd>
      </div>
      <div>
        <dt>Machine types</dt>
        <dd className="mono">{quota.allowedTypes.length > 0 ? quota.allowedTypes.join(', ') : 'none'}</dd>
      </div>
    </dl>
  );
}

function OrgQuotaForm({ slug, quota }: { slug: string; quota: OrgQuota }) {
  const update = useUpdateOrgQuota(slug);
  const [numbers, setNumbers] = useState<Record<NumberField, string>>(() => ({
    credits: String(quota.credits),
    memberCreditCap: quota.memberCreditCap === null ? '' : String(quota.memberCreditCap),
    maxEnvironments: String(quota.maxEnvironments),
    idleTimeoutMinutes: String(quota.idleTimeoutMinutes),
  }));
  const [allowed, setAllowed] = useState<string[]>(quota.allowedTypes);
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);
  const server = describeError(update.error, FIELDS);
  const errors = { ...server.fields, ...localErrors };
  const { ceiling } = quota;
  // A type allowed before the ceiling shrank still shows, so it can be unticked.
  const typeNames = [...ceiling.allowedTypes, ...quota.allowedTypes.filter((n) => !ceiling.allowedTypes.includes(n))];
  const fields: { name: NumberField; label: string; hint: string }[] = [
    { name: 'credits', label: 'Credits', hint: `The pool members draw on; at most ${ceiling.credits}.` },
    { name: 'memberCreditCap', label: 'Member credit cap', hint: 'The most one member may draw; empty: no cap.' },
    { name: 'maxEnvironments', label: 'Max environments', hint: `At most ${ceiling.maxEnvironments}.` },
    { name: 'idleTimeoutMinutes', label: 'Idle timeout (minutes)', hint: '0: never stop idle environments.' },
  ];

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSaved(false);
    const local: Record<string, string> = {};
    const body: UpdateOrgQuotaBody = { allowedTypes: allowed };
    for (const { name } of fields) {
      const value = numbers[name].trim();
      if (name === 'memberCreditCap' && value === '') body.memberCreditCap = null;
      else if (!/^\d+$/.test(value)) local[name] = 'A whole number, 0 or more.';
      else body[name] = Number(value);
    }
    setLocalErrors(local);
    if (Object.keys(local).length > 0) return update.reset();
    update.mutate(body, { onSuccess: () => setSaved(true) });
  }

  const toggleType = (name: string, on: boolean) => setAllowed((prev) => (on ? [...prev, name] : prev.filter((n) => n !== name)));

  return (
    <form className="admin-form" aria-label="Change the quota" onSubmit={submit} noValidate>
      <NumberFields fields={fields} values={numbers} errors={errors} onChange={(name, value) => setNumbers((prev) => ({ ...prev, [name]: value }))} />
      <fieldset className="admin-fieldset" aria-describedby={errors.allowedTypes ? 'org-types-error' : undefined}>
        <legend>Allowed machine types</legend>
        {typeNames.length === 0 && <span className="muted">The ceiling allows none.</span>}
        <div className="row">
          {typeNames.map((name) => (
            <CheckboxField key={name} label={name} checked={allowed.includes(name)} onChange={(e) => toggleType(name, e.target.checked)} />
          ))}
        </div>
        {errors.allowedTypes && (
          <span id="org-types-error" className="field-error">
            {errors.allowedTypes}
          </span>
        )}
      </fieldset>
      <div className="row">
        <button type="submit" className="primary" disabled={update.isPending}>
          {update.isPending ? 'Saving…' : 'Save quota'}
        </button>
        <span role="status" className="admin-ok">
          {saved && !update.isPending ? 'Quota saved.' : ''}
        </span>
      </div>
      <ActionError message={Object.keys(localErrors).length > 0 ? null : server.message} />
    </form>
  );
}
