import type { MachineType, Quota, UpdateQuotaBody, User } from '@berth/contracts';
import { useState, type FormEvent } from 'react';
import { useMachineTypes, useQuota, useUpdateQuota } from './admin.api.js';
import { ActionError, CheckboxField, describeError, NumberFields } from './form-fields.component.js';

const NUMBER_FIELDS = [
  { name: 'credits', label: 'Credits', hint: 'Credits the user may have in use at once' },
  { name: 'maxEnvironments', label: 'Max environments', hint: undefined },
  { name: 'idleTimeoutMinutes', label: 'Idle timeout (minutes)', hint: '0 = never stop idle environments' },
  { name: 'aiUsesPerDay', label: 'AI uses per day', hint: undefined },
] as const;
type NumberField = (typeof NUMBER_FIELDS)[number]['name'];
const FIELDS = [...NUMBER_FIELDS.map((f) => f.name), 'allowedTypes', 'active'];

/** Loads a user's quota and the machine types, then shows the editor. */
export function QuotaPanel({ user, onClose }: { user: User; onClose: () => void }) {
  const quota = useQuota(user.id);
  const types = useMachineTypes();
  const failed = quota.error ?? types.error;
  return (
    <div className="admin-quota">
      <h3 id={`quota-${user.id}-title`}>Quota for {user.username}</h3>
      {failed ? (
        <ActionError message={describeError(failed).message} />
      ) : !quota.data || !types.data ? (
        <p className="muted" aria-busy="true">
          Loading quota…
        </p>
      ) : (
        <QuotaForm userId={user.id} quota={quota.data} types={types.data} onClose={onClose} />
      )}
    </div>
  );
}

function QuotaForm({ userId, quota, types, onClose }: { userId: string; quota: Quota; types: MachineType[]; onClose: () => void }) {
  const update = useUpdateQuota(userId);
  const [numbers, setNumbers] = useState<Record<NumberField, string>>(() => ({
    credits: String(quota.credits),
    maxEnvironments: String(quota.maxEnvironments),
    idleTimeoutMinutes: String(quota.idleTimeoutMinutes),
    aiUsesPerDay: String(quota.aiUsesPerDay),
  }));
  const [allowed, setAllowed] = useState<string[]>(quota.allowedTypes);
  const [active, setActive] = useState(quota.active);
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);
  const server = describeError(update.error, FIELDS);
  const errors = { ...server.fields, ...localErrors };
  // A type removed since it was allowed still shows, so it can be unticked.
  const typeNames = [...types.map((t) => t.name), ...quota.allowedTypes.filter((n) => !types.some((t) => t.name === n))];

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSaved(false);
    const local: Record<string, string> = {};
    const body: UpdateQuotaBody = { allowedTypes: allowed, active };
    for (const { name } of NUMBER_FIELDS) {
      const value = numbers[name].trim();
      if (!/^\d+$/.test(value)) local[name] = 'A whole number, 0 or more.';
      else body[name] = Number(value);
    }
    setLocalErrors(local);
    if (Object.keys(local).length > 0) return update.reset();
    update.mutate(body, { onSuccess: () => setSaved(true) });
  }

  const toggleType = (name: string, on: boolean) => setAllowed((prev) => (on ? [...prev, name] : prev.filter((n) => n !== name)));

  return (
    <form className="admin-form" aria-labelledby={`quota-${userId}-title`} onSubmit={submit} noValidate>
      <p className="admin-usage">
        Credits in use: <strong data-testid="credits-used">{quota.creditsUsed}</strong> of {quota.credits} ({quota.creditsLeft} left)
      </p>
      <NumberFields fields={NUMBER_FIELDS} values={numbers} errors={errors} onChange={(name, value) => setNumbers((prev) => ({ ...prev, [name]: value }))} />
      <fieldset className="admin-fieldset" aria-describedby={errors.allowedTypes ? `${userId}-types-error` : undefined}>
        <legend>Allowed machine types</legend>
        {typeNames.length === 0 && <span className="muted">No machine types exist.</span>}
        <div className="row">
          {typeNames.map((name) => (
            <CheckboxField key={name} label={name} checked={allowed.includes(name)} onChange={(e) => toggleType(name, e.target.checked)} />
          ))}
        </div>
        {errors.allowedTypes && (
          <span id={`${userId}-types-error`} className="field-error">
            {errors.allowedTypes}
          </span>
        )}
      </fieldset>
      <CheckboxField
        label="Quota active"
        checked={active}
        onChange={(e) => setActive(e.target.checked)}
        error={errors.active}
        hint="An inactive quota stops all of the user's environments."
      />
      <div className="row">
        <button type="submit" className="primary" disabled={update.isPending}>
          {update.isPending ? 'Saving…' : 'Save quota'}
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
        <span role="status" className="admin-ok">
          {saved && !update.isPending ? 'Quota saved.' : ''}
        </span>
      </div>
      <ActionError message={Object.keys(localErrors).length > 0 ? null : server.message} />
    </form>
  );
}
