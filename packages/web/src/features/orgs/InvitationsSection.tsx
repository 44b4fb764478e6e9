import type { CreatedInvitation, Invitation } from '@berth/contracts';
import { useState, type FormEvent } from 'react';
import { formErrors } from '../../api/describe-error.js';
import { OneTimeSecret } from '../../components/OneTimeSecret.js';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { Field } from '../../components/Field.js';
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
      <Field label="Role" error={fields.role}>
        {(control) => (
          <select {...control} name="role" value={role} onChange={(e) => setRole(e.target.value as InvitedRole)}>
            {INVITED_ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        )}
      </Field>
      <div className="org-form-actions">
        <button type="submit" className="primary" disabled={invite.isPending}>
          Invite
        </button>
        <button type="button" onClick={byLink} disabled={invite.isPending}>
          Create invitation link
        </button>
      </div>
      {generalError && (
        <p role="alert" className="error org-form-wide">
          {generalError}
        </p>
      )}
      <p role="status" className="muted org-form-wide">
        {sent ?? ''}
      </p>
    </form>
  );
}

function PendingInvitations({ slug }: { slug: string }) {
  const invitations = useInvitations(slug);
  const revoke = useRevokeInvitation(slug);
  const [revoking, setRevoking] = useState<Invitation | null>(null);
  const close = () => {
    revoke.reset();
    setRevoking(null);
  };
  const who = (i: Invitation) => i.username ?? 'a link';

  return (
    <>
      <h3 className="org-subtitle">Open invitations</h3>
      {invitations.error && (
        <p role="alert" className="error">
          {invitations.error.message}
        </p>
      )}
      {invitations.data?.length === 0 && <p className="muted">None open.</p>}
      {invitations.data && invitations.data.length > 0 && (
        <div className="table-scroll">
          <table className="org-table">
            <caption className="visually-hidden">Open invitations</caption>
            <thead>
              <tr>
                <th scope="col">For</th>
                <th scope="col">Role</th>
                <th scope="col">Invited by</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
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
                  <td className="cell-actions">
                    <button type="button" className="danger" aria-label={`Revoke the invitation for ${who(i)}`} onClick={() => setRevoking(i)}>
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke the invitation?"
        confirmLabel="Revoke invitation"
        pending={revoke.isPending}
        error={revoke.error?.message}
        onCancel={close}
        onConfirm={() => revoking && revoke.mutate(revoking.id, { onSuccess: close })}
      >
        <p>The invitation for {revoking ? <strong>{who(revoking)}</strong> : null} stops working at once.</p>
      </ConfirmDialog>
    </>
  );
}
