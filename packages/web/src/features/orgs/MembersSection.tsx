import { ORG_ROLES, type Member, type OrgRole } from '@berth/contracts';
import { useState } from 'react';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { formatDateTime, formatRelative } from '../environments/format.js';
import type { OrgPowers } from './org-powers.js';
import { useMembers, useRemoveMember, useSetRole } from './orgs.queries.js';

/** Members and their roles; owners and admins change roles and remove members, the rest only read. */
export function MembersSection({ slug, orgName, powers }: { slug: string; orgName: string; powers: OrgPowers }) {
  const members = useMembers(slug);
  const setRole = useSetRole(slug);
  const remove = useRemoveMember(slug);
  const [removing, setRemoving] = useState<Member | null>(null);
  const closeRemove = () => {
    remove.reset();
    setRemoving(null);
  };

  return (
    <section className="card org-section" aria-labelledby="org-members-title">
      <h2 id="org-members-title">Members</h2>
      {members.isPending && <p className="muted">Loading members…</p>}
      {members.error && (
        <p role="alert" className="error">
          {members.error.message}
        </p>
      )}
      {setRole.error && (
        <p role="alert" className="error">
          {setRole.error.message}
        </p>
      )}
      {members.data && (
        <div className="table-scroll">
          <table className="org-table">
            <caption className="visually-hidden">Members of {orgName}</caption>
            <thead>
              <tr>
                <th scope="col">Member</th>
                <th scope="col">Role</th>
                <th scope="col">Joined</th>
                {powers.manage && (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {members.data.map((m) => (
                <tr key={m.user.id} data-member={m.user.username}>
                  <th scope="row">{m.user.username}</th>
                  <td>
                    {powers.manage ? (
                      <RoleSelect member={m} mayOwn={powers.own} pending={setRole.isPending} onChange={(role) => setRole.mutate({ username: m.user.username, role })} />
                    ) : (
                      <span data-testid="member-role">{m.role}</span>
                    )}
                  </td>
                  <td>
                    <time dateTime={m.joinedAt} title={formatDateTime(m.joinedAt)}>
                      {formatRelative(m.joinedAt)}
                    </time>
                  </td>
                  {powers.manage && (
                    <td className="cell-actions">
                      <button type="button" className="danger" aria-label={`Remove ${m.user.username}`} disabled={m.role === 'owner' && !powers.own} onClick={() => setRemoving(m)}>
                        Remove
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ConfirmDialog
        open={removing !== null}
        title={`Remove ${removing?.user.username ?? 'member'}?`}
        confirmLabel="Remove member"
        pending={remove.isPending}
        error={remove.error?.message}
        onCancel={closeRemove}
        onConfirm={() => removing && remove.mutate(removing.user.username, { onSuccess: closeRemove })}
      >
        <p>
          <strong>{removing?.user.username}</strong> leaves {orgName} at once: terminals they have open in its environments close. Environments they made stay in the organization.
        </p>
      </ConfirmDialog>
    </section>
  );
}

/** Only owners make or unmake owners: an admin sees an owner's role, but may not change it. */
function RoleSelect({ member, mayOwn, pending, onChange }: { member: Member; mayOwn: boolean; pending: boolean; onChange: (role: OrgRole) => void }) {
  const roles = mayOwn ? ORG_ROLES : ORG_ROLES.filter((r) => r !== 'owner');
  const locked = member.role === 'owner' && !mayOwn;
  return (
    <select
      className="org-role"
      aria-label={`Role of ${member.user.username}`}
      value={member.role}
      disabled={locked || pending}
      onChange={(e) => onChange(e.target.value as OrgRole)}
    >
      {(locked ? ORG_ROLES : roles).map((r) => (
        <option key={r} value={r}>
          {r}
        </option>
      ))}
    </select>
  );
}
