import type { MachineType, Quota, User } from '@berth/contracts';
import { useState, type FormEvent } from 'react';
import { useMachineTypes } from '../environments/environments.queries.js';
import { useQuota, useUpdateQuota } from './admin.queries.js';
import { ActionError, CheckboxField, NumberFields, readWholeNumbers } from '../../components/Field.js';
import { AllowedTypesFieldset } from './AllowedTypesFieldset.js';
import { describeError } from '../../api/describe-error.js';
import { FormActions } from './FormActions.js';

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
  const types = useMachineTypes({ staleTime: 0 });
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

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSaved(false);
    const read = readWholeNumbers(numbers);
    setLocalErrors(read.errors);
    if (Object.keys(read.errors).length > 0) return update.reset();
    update.mutate({ ...(read.numbers as Record<NumberField, number>), allowedTypes: allowed, active }, { onSuccess: () => setSaved(true) });
  }

  return (
    <form className="admin-form" aria-labelledby={`quota-${userId}-title`} onSubmit={submit} noValidate>
      <p className="admin-usage">
        Credits in use: <strong data-testid="credits-used">{quota.creditsUsed}</strong> of {quota.credits} ({quota.creditsLeft} left)
      </p>
      <div className="admin-grid">
        <NumberFields fields={NUMBER_FIELDS} values={numbers} errors={errors} onChange={(name, value) => setNumbers((prev) => ({ ...prev, [name]: value }))} />
      </div>
      <AllowedTypesFieldset
        offered={types.map((t) => t.name)}
        before={quota.allowedTypes}
        allowed={allowed}
        onChange={setAllowed}
        error={errors.allowedTypes}
        none="No machine types exist."
      />
      <CheckboxField
        label="Quota active"
        checked={active}
        onChange={(e) => setActive(e.target.checked)}
        error={errors.active}
        hint="An inactive quota stops all of the user's environments."
      />
      <FormActions submit="Save quota" pendingLabel="Saving…" pending={update.isPending} onCancel={onClose} cancelLabel="Close" done={saved ? 'Quota saved.' : ''} error={Object.keys(localErrors).length > 0 ? null : server.message} />
    </form>
  );
}
