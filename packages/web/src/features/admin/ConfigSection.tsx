import type { ConfigFlag } from '@berth/contracts';
import { useId, useState, type FormEvent } from 'react';
import { useConfigFlags, useUpdateConfig } from './admin.queries.js';
import { ActionError } from '../../components/Field.js';
import { describeError } from '../../api/describe-error.js';
import { formatTime } from '../environments/format.js';

export function ConfigSection() {
  const flags = useConfigFlags();
  return (
    <section aria-labelledby="admin-config-title">
      <div className="admin-section-head">
        <h2 id="admin-config-title">Config</h2>
      </div>
      <p className="muted admin-lead">Runtime flags take effect without a restart. Secret values are never shown.</p>
      {flags.error ? (
        <ActionError message={describeError(flags.error).message} />
      ) : !flags.data ? (
        <p className="muted">Loading flags…</p>
      ) : (
        <ul className="admin-flags card">
          {flags.data.map((flag) => (
            <li key={flag.name}>
              <FlagForm flag={flag} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function FlagForm({ flag }: { flag: ConfigFlag }) {
  const id = useId();
  const update = useUpdateConfig();
  // A secret's input starts empty: the mask is not a value, and saving it would be refused.
  const [draft, setDraft] = useState(flag.secret ? '' : flag.value);
  const [saved, setSaved] = useState(false);
  const error = describeError(update.error, ['value']);
  const secretIsSet = flag.secret && flag.value !== '';
  const unchanged = flag.secret ? draft === '' : draft === flag.value;
  const describedBy = [`${id}-desc`, error.fields.value ? `${id}-error` : ''].filter(Boolean).join(' ');

  function save(value: string) {
    setSaved(false);
    update.mutate(
      { name: flag.name, value },
      {
        onSuccess: (next) => {
          setDraft(next.secret ? '' : next.value);
          setSaved(true);
        },
      },
    );
  }

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!unchanged) save(draft);
  }

  return (
    <form className="admin-flag" onSubmit={submit} noValidate data-flag={flag.name}>
      <div className="admin-flag-info">
        <label htmlFor={id} className="mono">
          {flag.name}
        </label>
        <span id={`${id}-desc`} className="hint">
          {flag.description}
          {flag.secret && <> · Secret, {secretIsSet ? <span className="admin-masked">set ({flag.value})</span> : 'not set'}</>}
        </span>
      </div>
      <div className="admin-flag-edit">
        <div className="admin-flag-controls">
          <input
            id={id}
            name={flag.name}
            type={flag.secret ? 'password' : 'text'}
            autoComplete={flag.secret ? 'new-password' : 'off'}
            placeholder={flag.secret ? (secretIsSet ? 'New value to replace it' : 'Enter a value') : undefined}
            value={draft}
            aria-invalid={error.fields.value ? true : undefined}
            aria-describedby={describedBy}
            onChange={(e) => {
              setDraft(e.target.value);
              setSaved(false);
            }}
          />
          <button type="submit" className="primary" disabled={unchanged || update.isPending}>
            {update.isPending ? 'Saving…' : 'Save'}
          </button>
          {secretIsSet && (
            <button type="button" disabled={update.isPending} onClick={() => save('')}>
              Clear
            </button>
          )}
        </div>
        {error.fields.value && (
          <span id={`${id}-error`} className="field-error">
            {error.fields.value}
          </span>
        )}
        <ActionError message={error.fields.value ? null : error.message} />
        <span className="hint">
          Changed {formatTime(flag.updatedAt)}{' '}
          <span role="status" className="admin-ok">
            {saved ? 'Saved.' : ''}
          </span>
        </span>
      </div>
    </form>
  );
}
