import type { OrgQuota, UpdateOrgQuotaBody } from '@berth/contracts';
import { useState, type FormEvent } from 'react';
import { ApiError } from '../../api/client.js';
import { ActionError, NumberFields, readWholeNumbers } from '../../components/Field.js';
import { AllowedTypesFieldset } from '../admin/AllowedTypesFieldset.js';
import { describeError } from '../../api/describe-error.js';
import { FormActions } from '../admin/FormActions.js';
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
  const fields: { name: NumberField; label: string; hint: string }[] = [
    { name: 'credits', label: 'Credits', hint: `The pool members draw on; at most ${ceiling.credits}.` },
    { name: 'memberCreditCap', label: 'Member credit cap', hint: 'The most one member may draw; empty: no cap.' },
    { name: 'maxEnvironments', label: 'Max environments', hint: `At most ${ceiling.maxEnvironments}.` },
    { name: 'idleTimeoutMinutes', label: 'Idle timeout (minutes)', hint: '0: never stop idle environments.' },
  ];

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSaved(false);
    const read = readWholeNumbers(numbers, ['memberCreditCap']);
    setLocalErrors(read.errors);
    if (Object.keys(read.errors).length > 0) return update.reset();
    const body: UpdateOrgQuotaBody = { ...(read.numbers as Omit<Record<NumberField, number>, 'memberCreditCap'>), memberCreditCap: read.numbers.memberCreditCap ?? null, allowedTypes: allowed };
    update.mutate(body, { onSuccess: () => setSaved(true) });
  }

  return (
    <form className="admin-form" aria-label="Change the quota" onSubmit={submit} noValidate>
      <div className="admin-grid">
        <NumberFields fields={fields} values={numbers} errors={errors} onChange={(name, value) => setNumbers((prev) => ({ ...prev, [name]: value }))} />
      </div>
      <AllowedTypesFieldset
        offered={ceiling.allowedTypes}
        before={quota.allowedTypes}
        allowed={allowed}
        onChange={setAllowed}
        error={errors.allowedTypes}
        none="The ceiling allows none."
      />
      <FormActions submit="Save quota" pendingLabel="Saving…" pending={update.isPending} done={saved ? 'Quota saved.' : ''} error={Object.keys(localErrors).length > 0 ? null : server.message} />
    </form>
  );
}
