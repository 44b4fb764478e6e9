import type { CreatedInvitation, Invitation } from '@berth/contracts';
import { useState, type FormEvent } from 'react';
import { formErrors } from '../../api/describe-error.js';
import { ActionTable, RowAction } from '../../components/ActionTable.js';
import { OneTimeSecret } from '../../components/OneTimeSecret.js';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { ActionError, ChoiceField, Field, SubmitButton } from '../../components/Field.js';
import { useConfirmedAction } from '../../components/use-confirmed-action.js';
import { formatDateTime, formatRelative } from '../environments/format.js';
import { useInvitations, useInvite, useRevokeInvitation } from './orgs.queries.js';

const INVITED_ROLES = ['member', 'admin', 'viewer'] as const;
type InvitedRole = (typeof INVITED_ROLES)[number];

/** Where a link invitation is accepted: the secret rides in the fragment, which browsers never send to a server. */
export const acceptUrl = (token: string) => `${location.origin}/invitations/accept#${token}`;

/** Invite by username, or make a single-use link; the open invitations, each withdrawable. For owners and admins. */
export function InvitationsSection({ slug, orgName }: { slug: string; orgName: string }) {
  const [link, setLink] = useState<CreatedInvitation | null>(null);
  return (
    <section className="card org-section" aria-labelledby="org-invitations-title">
      <h2 id="org-invitations-title">Invitations</h2>
      <p className="muted">Invite someone who has a Berth account by their username, or make a link that anyone signed in may accept once.</p>
      <InviteForm slug={slug} onLink={setLink} />
      {link?.token && (
        <OneTimeSecret label="New invitation link" secret={acceptUrl(link.token)} testId="invitation-link" onDismiss={() => setLink(null)}>
          Link to join {orgName} as <strong>{link.role}</strong> made. Copy it now: <strong>it will not be shown again</strong>, and it works once.
        </OneTimeSecret>
      )}
      <PendingInvitations slug={slug} />
    </section>
  );
}

function InviteForm({ slug, onLink }: { slug: string; onLink: (invitation: CreatedInvitation) => void }) {
  const invite = useInvite(slug);
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<InvitedRole>('member');
  const [missing, setMissing] = useState(false);
  const [sent, setSent] = useState<string | null>(null);
  const { fields, general: generalError } = formErrors(invite.error, ['username', 'role'], missing ? { username: 'Whom to invite: their username.' } : {});

  const byName = (e: FormEvent) => {
    e.preventDefault();
    setSent(null);
    setMissing(!username.trim());
    if (!username.trim()) return invite.reset();
    invite.mutate(
      { username: username.trim(), role },
      {
        onSuccess: (made) => {
          setSent(`Invited ${made.username ?? username.trim()} as ${made.role}.`);
          setUsername('');
        },
      },
    );
  };
  const byLink = () => {
    setSent(null);
    setMissing(false);
    invite.mutate({ role }, { onSuccess: onLink });
  };

  return (
    <form className="org-form" onSubmit={byName} noValidate aria-label="Invite to the organization">
      <Field label="Username" hint="Not needed for a link." error={fields.username}>
        {(control) => <input {...control} name="username" autoComplete="off" value={username} onChange={(e) => setUsername(e.target.value)} />}
      </Field>
      <ChoiceField label="Role" error={fields.role} name="role" choices={INVITED_ROLES} value={role} onChange={setRole} />
      <div className="org-form-actions">
        <SubmitButton label="Invite" pending={invite.isPending} />
        <button type="button" onClick={byLink} disabled={invite.isPending}>
          Create invitation link
        </button>
      </div>
      <ActionError message={generalError} className="org-form-wide" />
      <p role="status" className="muted org-form-wide">
        {sent ?? ''}
      </p>
    </form>
  );
}

function PendingInvitations({ slug }: { slug: string }) {
  const invitations = useInvitations(slug);
  const revoke = useConfirmedAction(useRevokeInvitation(slug), (invitation: Invitation) => invitation.id);
  const who = (i: Invitation) => i.username ?? 'a link';

  return (
    <>
      <h3 className="org-subtitle">Open invitations</h3>
      <ActionError message={invitations.error?.message} />
      {invitations.data?.length === 0 && <p className="muted">None open.</p>}
      {invitations.data && invitations.data.length > 0 && (
        <ActionTable className="org-table" caption="Open invitations" columns={INVITATION_COLUMNS}>
          {invitations.data.map((i) => (
            <tr key={i.id}>
              <th scope="row">{i.username ?? <span className="muted">single-use link</span>}</th>
              <td>{i.role}</td>
              <td>{i.invitedBy}</td>
              <td>
                <time dateTime={i.expiresAt} title={formatDateTime(i.expiresAt)}>
                  {formatRelative(i.expiresAt)}
                </time>
              </td>
              <RowAction label="Revoke" name={`Revoke the invitation for ${who(i)}`} onClick={() => revoke.ask(i)} />
            </tr>
          ))}
        </ActionTable>
      )}
      <ConfirmDialog {...revoke.dialog} title="Revoke the invitation?" confirmLabel="Revoke invitation">
        <p>The invitation for {revoke.subject ? <strong>{who(revoke.subject)}</strong> : null} stops working at once.</p>
      </ConfirmDialog>
    </>
  );
}

const INVITATION_COLUMNS = ['For', 'Role', 'Invited by', 'Expires'];
