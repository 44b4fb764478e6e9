import { TOKEN_SCOPES, type CreatedToken, type Token, type TokenScope } from '@berth/contracts';
import { useState, type FormEvent } from 'react';
import { formErrors } from '../../api/describe-error.js';
import { ActionTable, RowAction } from '../../components/ActionTable.js';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { ActionError, ChoiceField, Field, SubmitButton } from '../../components/Field.js';
import { useConfirmedAction } from '../../components/use-confirmed-action.js';
import { formatDateTime, formatRelative } from '../environments/format.js';
import { TokenSecret } from './TokenSecret.js';
import { useCreateToken, useRevokeToken, useTokens } from './tokens.queries.js';

export function TokensSection() {
  const [created, setCreated] = useState<CreatedToken | null>(null);
  return (
    <section className="card account-section" aria-labelledby="tokens-title">
      <h2 id="tokens-title">API tokens</h2>
      <p className="muted">
        For the CLI and scripts: send <code className="mono">Authorization: Bearer &lt;token&gt;</code>. A token acts as you, in the organization you are working in, with
        no more than its scope allows.
      </p>
      <CreateTokenForm onCreated={setCreated} />
      {created && <TokenSecret token={created} onDismiss={() => setCreated(null)} />}
      <TokenTable />
    </section>
  );
}

function CreateTokenForm({ onCreated }: { onCreated: (token: CreatedToken) => void }) {
  const create = useCreateToken();
  const [name, setName] = useState('');
  const [days, setDays] = useState('');
  const [scope, setScope] = useState<TokenScope>('admin');
  const [missingName, setMissingName] = useState(false);
  const { fields, general: generalError } = formErrors(create.error, ['name', 'expiresInDays'], missingName ? { name: 'Give the token a name.' } : {});

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setMissingName(!name.trim());
    if (!name.trim()) return;
    create.mutate(
      { name: name.trim(), scope, ...(days.trim() ? { expiresInDays: Number(days) } : {}) },
      {
        onSuccess: (token) => {
          onCreated(token);
          setName('');
          setDays('');
        },
      },
    );
  };

  return (
    <form className="token-form" onSubmit={submit} noValidate aria-label="Create a token">
      <Field label="Name" hint="What uses it, to recognise it later." error={fields.name}>
        {(control) => <input {...control} name="name" value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. laptop" required maxLength={100} autoComplete="off" />}
      </Field>
      <ChoiceField label="Scope" hint={SCOPE_HINTS[scope]} name="scope" choices={TOKEN_SCOPES} value={scope} onChange={setScope} />
      <Field label="Expires in (days)" hint="Optional, 1–3650. Empty: never." error={fields.expiresInDays}>
        {(control) => (
          <input {...control} name="expiresInDays" type="number" min={1} max={3650} step={1} inputMode="numeric" value={days} onChange={(e) => setDays(e.target.value)} placeholder="never" />
        )}
      </Field>
      <div className="token-form-actions">
        <SubmitButton label="Create token" pendingLabel="Creating…" pending={create.isPending} />
        <ActionError message={generalError} />
      </div>
    </form>
  );
}

function TokenTable() {
  const tokens = useTokens();
  const revoke = useConfirmedAction(useRevokeToken(), (token: Token) => token.id);
  const revoking = revoke.subject;

  if (tokens.isPending) return <p className="muted">Loading tokens…</p>;
  if (tokens.error)
    return (
      <p role="alert" className="error">
        Could not load your tokens: {tokens.error.message}
      </p>
    );
  return (
    <>
      {tokens.data.length === 0 ? (
        <p className="muted">You have no API tokens.</p>
      ) : (
        <ActionTable className="token-table" caption="Your API tokens" columns={TOKEN_COLUMNS}>
          {tokens.data.map((token) => (
            <tr key={token.id} data-testid="token-row">
              <td>{token.name}</td>
              <td className="mono">{token.prefix}…</td>
              <td>{token.scope}</td>
              <td title={formatDateTime(token.createdAt)}>{formatRelative(token.createdAt)}</td>
              <td title={formatDateTime(token.expiresAt, 'never')}>{token.expiresAt ? formatRelative(token.expiresAt) : 'never'}</td>
              <td title={formatDateTime(token.lastUsedAt, 'never')}>{formatRelative(token.lastUsedAt)}</td>
              <RowAction label="Revoke" onClick={() => revoke.ask(token)} />
            </tr>
          ))}
        </ActionTable>
      )}
      <ConfirmDialog {...revoke.dialog} title={revoking ? `Revoke ${revoking.name}?` : 'Revoke token?'} confirmLabel="Revoke token">
        <p>
          Programs using <strong>{revoking?.name}</strong> (<span className="mono">{revoking?.prefix}…</span>) lose access at once. This cannot be undone.
        </p>
      </ConfirmDialog>
    </>
  );
}

const TOKEN_COLUMNS = ['Name', 'Prefix', 'Scope', 'Created', 'Expires', 'Last used'];

const SCOPE_HINTS: Record<TokenScope, string> = {
  read: 'Looks only: status, events, files.',
  exec: 'Also makes, runs and deletes environments and sandboxes, and works inside them (E2B keys, agents).',
  admin: 'Everything you may do.',
};
