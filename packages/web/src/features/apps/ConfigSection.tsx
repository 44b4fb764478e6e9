import { ConfigNameSchema, type ConfigVar } from '@berth/contracts';
import { useState, type FormEvent } from 'react';
import { describeError } from '../../api/describe-error.js';
import { ActionTable } from '../../components/ActionTable.js';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { ActionError, CheckboxField, SubmitButton, TextField } from '../../components/Field.js';
import { useConfirmedAction } from '../../components/use-confirmed-action.js';
import { useAppConfig, useSetAppConfig } from './apps.queries.js';

const COLUMNS = ['Name', 'Value', 'Kind'];

/** What the form edits: a new variable, or an existing one (whose secret value is never shown, so starts empty). */
type Draft = { name: string; value: string; secret: boolean };
const EMPTY: Draft = { name: '', value: '', secret: false };

/** The app's environment variables: secrets masked, set or changed with the form, removed after a confirmation. */
export function ConfigSection({ appId }: { appId: string }) {
  const config = useAppConfig(appId);
  const [draft, setDraft] = useState<Draft>(EMPTY);
  // The form is keyed so that choosing "Edit" starts it afresh with that variable.
  const [formKey, setFormKey] = useState(0);
  const [notice, setNotice] = useState('');
  const remove = useConfirmedAction(useSetAppConfig(appId), (v: ConfigVar) => ({ unset: [v.name] }));
  const edit = (v: ConfigVar) => {
    setDraft({ name: v.name, value: v.secret ? '' : v.value, secret: v.secret });
    setFormKey((k) => k + 1);
    setNotice('');
  };
  const startOver = () => {
    setDraft(EMPTY);
    setFormKey((k) => k + 1);
  };

  return (
    <section className="card apps-section" aria-labelledby="app-config-title">
      <h2 id="app-config-title">Config</h2>
      <p className="muted apps-small">Environment variables of its replicas. Changing them makes a new release of a running app.</p>
      {config.error && (
        <p role="alert" className="error">
          Could not load the config: {config.error.message}
        </p>
      )}
      {config.data && config.data.length === 0 && <p className="muted">No variables set.</p>}
      {config.data && config.data.length > 0 && (
        <ActionTable caption="Config variables" columns={COLUMNS} className="apps-table">
          {config.data.map((v) => (
            <tr key={v.name} data-config={v.name}>
              <th scope="row" className="mono">
                {v.name}
              </th>
              <td className="mono apps-break">{v.value}</td>
              <td>{v.secret ? 'secret' : 'plain'}</td>
              <td className="cell-actions">
                <div className="row apps-row-actions">
                  <button type="button" aria-label={`Edit ${v.name}`} onClick={() => edit(v)}>
                    Edit
                  </button>
                  <button type="button" className="danger" aria-label={`Remove ${v.name}`} onClick={() => remove.ask(v)}>
                    Remove
                  </button>
                </div>
              </td>
            </tr>
          ))}
        </ActionTable>
      )}
      <ConfigVarForm
        key={formKey}
        appId={appId}
        initial={draft}
        onSaved={(name) => {
          startOver();
          setNotice(`${name} saved.`);
        }}
        onCancel={startOver}
      />
      <p role="status" className="apps-ok">
        {notice}
      </p>
      <ConfirmDialog {...remove.dialog} title={remove.subject ? `Remove ${remove.subject.name}?` : 'Remove the variable?'} confirmLabel="Remove variable">
        <p>The app&apos;s next release runs without it; a running app gets that release now.</p>
      </ConfirmDialog>
    </section>
  );
}

function ConfigVarForm({ appId, initial, onSaved, onCancel }: { appId: string; initial: Draft; onSaved: (name: string) => void; onCancel: () => void }) {
  const save = useSetAppConfig(appId);
  const [draft, setDraft] = useState(initial);
  const [nameError, setNameError] = useState<string | undefined>();
  const server = describeError(save.error);
  const editing = initial.name !== '';

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const name = draft.name.trim();
    const checked = ConfigNameSchema.safeParse(name);
    setNameError(checked.success ? undefined : checked.error.issues[0]?.message);
    if (!checked.success) return save.reset();
    save.mutate({ set: { [name]: { value: draft.value, secret: draft.secret } } }, { onSuccess: () => onSaved(name) });
  };

  return (
    <form className="apps-config-form" aria-label="Config variable" onSubmit={submit} noValidate>
      <h3>{editing ? `Change ${initial.name}` : 'Add a variable'}</h3>
      <div className="apps-grid">
        <TextField
          label="Name"
          name="name"
          autoComplete="off"
          spellCheck={false}
          value={draft.name}
          onChange={(e) => setDraft({ ...draft, name: e.target.value })}
          error={nameError}
        />
        <TextField
          label="Value"
          name="value"
          type={draft.secret ? 'password' : 'text'}
          autoComplete="off"
          spellCheck={false}
          value={draft.value}
          onChange={(e) => setDraft({ ...draft, value: e.target.value })}
          hint={editing && initial.secret ? 'A secret is never shown: type its new value.' : undefined}
        />
      </div>
      <CheckboxField label="Secret: stored encrypted, masked when read back" name="secret" checked={draft.secret} onChange={(e) => setDraft({ ...draft, secret: e.target.checked })} />
      <div className="row">
        <SubmitButton label="Save variable" pendingLabel="Saving…" pending={save.isPending} />
        {editing && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
      <ActionError message={server.message} />
    </form>
  );
}
