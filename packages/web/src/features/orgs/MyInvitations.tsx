import { useSwitchOrg } from '../../api/orgs.queries.js';
import { formatDateTime, formatRelative } from '../environments/format.js';
import { useAcceptInvitation, useMyInvitations } from './orgs.queries.js';
import './orgs.css';

/** Invitations waiting for the signed-in user; accepting one joins the organization and switches to it. */
export function MyInvitations() {
  const invitations = useMyInvitations();
  const accept = useAcceptInvitation();
  const switchTo = useSwitchOrg();
  if (!invitations.data || invitations.data.length === 0) return null;

  return (
    <section className="card org-section my-invitations" aria-labelledby="my-invitations-title">
      <h2 id="my-invitations-title">Invitations</h2>
      <ul className="invitation-list">
        {invitations.data.map((i) => (
          <li key={i.id} data-invitation={i.org.slug}>
            <span>
              <strong>{i.invitedBy}</strong> invites you to <strong>{i.org.name}</strong> as {i.role}{' '}
              <time className="muted" dateTime={i.expiresAt} title={`Expires ${formatDateTime(i.expiresAt)}`}>
                (expires {formatRelative(i.expiresAt)})
              </time>
            </span>
            <button
              type="button"
              className="primary"
              aria-label={`Accept the invitation to ${i.org.name}`}
              disabled={accept.isPending}
              onClick={() => accept.mutate({ id: i.id }, { onSuccess: (org) => switchTo(org) })}
            >
              Accept
            </button>
          </li>
        ))}
      </ul>
      {accept.error && (
        <p role="alert" className="error">
          {accept.error.message}
        </p>
      )}
    </section>
  );
}
