import { ASSISTANT_MAX_USES_PER_DAY } from '@berth/contracts';
import { useState, type FormEvent } from 'react';
import { describeError } from '../../api/describe-error.js';
import { ActionError, Field, readWholeNumbers, TextField } from '../../components/Field.js';
import { AssistantUsageTable } from '../admin/AssistantUsageTable.js';
import { FormActions } from '../admin/FormActions.js';
import { useOrgAssistantUsage, useSetMemberAssistant } from './assistant.queries.js';
import { useMembers } from './orgs.queries.js';
import { useOrgQuota } from './quota.queries.js';

/** The organization's AI assistant usage per member and UTC day, and a member's own daily limit (owners and admins). */
export function OrgAssistantSection({ slug, orgName, personal }: { slug: string; orgName: string; personal: boolean }) {
  const usage = useOrgAssistantUsage(slug);
  return (
    <section className="card org-section" aria-labelledby="org-assistant-title">
      <h2 id="org-assistant-title">AI assistant usage</h2>
      <p className="muted">The last 30 days, per member and UTC day.</p>
      {usage.isPending && <p className="muted">Loading usage…</p>}
      <ActionError message={usage.error?.message} />
      {usage.data && <AssistantUsageTable caption={`AI assistant usage in ${orgName}`} rows={usage.data} />}
      {personal ? (
        <p className="muted">Your assistant requests per day are your quota: an administrator changes it.</p>
      ) : (
        <MemberLimitForm slug={slug} />
      )}
    </section>
  );
}

/** Sets one member's requests per day over the organization's default; empty goes back to the default. */
function MemberLimitForm({ slug }: { slug: string }) {
  const members = useMembers(slug);
  const quota = useOrgQuota(slug);
  const setLimit = useSetMemberAssistant(slug);
  const [username, setUsername] = useState('');
  const [value, setValue] = useState('');
  const [localError, setLocalError] = useState<string | undefined>();
  const [done, setDone] = useState('');
  const chosen = username || members.data?.[0]?.user.username || '';
  const server = describeError(setLimit.error, ['usesPerDay']);
  const orgDefault = quota.data?.assistantUsesPerDay;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setDone('');
    const read = readWholeNumbers({ usesPerDay: value }, ['usesPerDay']);
    const usesPerDay = read.numbers.usesPerDay ?? null;
    const error = read.errors.usesPerDay ?? (usesPerDay !== null && usesPerDay > ASSISTANT_MAX_USES_PER_DAY ? `At most ${ASSISTANT_MAX_USES_PER_DAY}.` : undefined);
    setLocalError(error);
    if (error || !chosen) return setLimit.reset();
    setLimit.mutate(
      { username: chosen, usesPerDay },
      { onSuccess: (set) => setDone(set.usesPerDay === null ? `${set.username} follows the organization's default.` : `${set.username} may make ${set.usesPerDay} requests a day.`) },
    );
  }

  return (
    <form className="org-form" aria-label="Member assistant limit" onSubmit={submit} noValidate>
      <Field label="Member">
        {(control) => (
          <select {...control} value={chosen} onChange={(e) => setUsername(e.target.value)}>
            {(members.data ?? []).map((m) => (
              <option key={m.user.id} value={m.user.username}>
                {m.user.username}
              </option>
            ))}
          </select>
        )}
      </Field>
      <TextField
        label="Assistant requests per day"
        name="usesPerDay"
        type="number"
        inputMode="numeric"
        min={0}
        step={1}
        value={value}
        onChange={(e) => setValue(e.target.value)}
        error={localError ?? server.fields.usesPerDay}
        hint={orgDefault === undefined ? "Empty: the organization's default." : `Empty: the organization's default (${orgDefault} a day).`}
      />
      <div className="org-form-wide">
        <FormActions submit="Set limit" pendingLabel="Saving…" pending={setLimit.isPending} done={done} error={localError ? null : server.message} />
      </div>
    </form>
  );
}
