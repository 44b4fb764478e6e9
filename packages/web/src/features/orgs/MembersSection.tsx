import { ORG_ROLES, type Member, type OrgRole } from '@berth/contracts';
import { ActionTable, RowAction } from '../../components/ActionTable.js';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { ActionError } from '../../components/Field.js';
import { useConfirmedAction } from '../../components/use-confirmed-action.js';
import { formatDateTime, formatRelative } from '../environments/format.js';
import type { OrgPowers } from './org-powers.js';
import { useMembers, useRemoveMember, useSetRole } from './orgs.queries.js';

/** Members and their roles; owners and admins change roles and remove members, the rest only read. */
export function MembersSection({ slug, orgName, powers }: { slug: string; orgName: string; powers: OrgPowers }) {
  const members = useMembers(slug);
  const setRole = useSetRole(slug);
  const remove = useConfirmedAction(useRemoveMember(slug), (member: Member) => member.user.username);
  const removing = remove.subject;

  return (
    <section className="card org-section" aria-labelledby="org-members-title">
      <h2 id="org-members-title">Members</h2>
      {members.isPending && <p className="muted">Loading members…</p>}
      <ActionError message={members.error?.message} />
      <ActionError message={setRole.error?.message} />
      {members.data && (
        <ActionTable className="org-table" caption={`Members of ${orgName}`} columns={MEMBER_COLUMNS} actions={powers.manage}>
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
              {powers.manage && <RowAction label="Remove" name={`Remove ${m.user.username}`} disabled={m.role === 'owner' && !powers.own} onClick={() => remove.ask(m)} />}
            </tr>
          ))}
        </ActionTable>
      )}
      <ConfirmDialog {...remove.dialog} title={`Remove ${removing?.user.username ?? 'member'}?`} confirmLabel="Remove member">
        <p>
          <strong>{removing?.user.username}</strong> leaves {orgName} at once: terminals they have open in its environments close. Environments they made stay in the organization.
        </p>
      </ConfirmDialog>
    </section>
  );
}

const MEMBER_COLUMNS = ['Member', 'Role', 'Joined'];

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
