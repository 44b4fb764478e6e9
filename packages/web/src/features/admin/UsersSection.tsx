import type { User } from '@berth/contracts';
import { Fragment, useState } from 'react';
import { AdminTable, DetailRow } from './AdminTable.js';
import { NewToggle } from './NewToggle.js';
import { useMe } from '../../api/session.queries.js';
import { useUpdateUser, useUsers } from './admin.queries.js';
import { ActionError } from '../../components/Field.js';
import { useFocusReturn } from '../../components/use-focus-return.js';
import { describeError } from '../../api/describe-error.js';
import { QuotaPanel } from './QuotaPanel.js';
import { UserCreateForm } from './UserCreateForm.js';

const COLUMNS = ['Username', 'Email', 'Admin', 'Active', 'Actions'];

export function UsersSection() {
  const users = useUsers();
  const me = useMe();
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<string | null>(null);
  const [quotaFor, setQuotaFor] = useState<string | null>(null);
  const focus = useFocusReturn();
  const toggleNew = () => {
    setCreating(!creating);
    setCreated(null);
  };

  return (
    <section aria-labelledby="admin-users-title">
      <div className="admin-section-head">
        <h2 id="admin-users-title">Users</h2>
        <NewToggle label="New user" open={creating} controls="admin-new-user" buttonRef={focus.target('new')} onToggle={toggleNew} />
      </div>
      <p role="status" className="admin-ok">
        {created ? `User ${created} created.` : ''}
      </p>
      <div id="admin-new-user">
        {creating && (
          <UserCreateForm
            onCreated={(user) => {
              focus.request('new');
              setCreating(false);
              setCreated(user.username);
            }}
            onCancel={() => {
              focus.request('new');
              setCreating(false);
            }}
          />
        )}
      </div>
      {users.error ? (
        <ActionError message={describeError(users.error).message} />
      ) : !users.data ? (
        <p className="muted">Loading users…</p>
      ) : (
        <AdminTable caption="Users" columns={COLUMNS}>
          {users.data.map((user) => (
            <Fragment key={user.id}>
              <UserRow
                user={user}
                isSelf={user.id === me.data?.id}
                quotaOpen={quotaFor === user.id}
                onToggleQuota={() => setQuotaFor((id) => (id === user.id ? null : user.id))}
                quotaButtonRef={focus.target(user.id)}
              />
              {quotaFor === user.id && (
                <DetailRow id={`quota-${user.id}`} columns={COLUMNS.length}>
                  <QuotaPanel
                    user={user}
                    onClose={() => {
                      focus.request(user.id);
                      setQuotaFor(null);
                    }}
                  />
                </DetailRow>
              )}
            </Fragment>
          ))}
        </AdminTable>
      )}
    </section>
  );
}

interface UserRowProps {
  user: User;
  isSelf: boolean;
  quotaOpen: boolean;
  onToggleQuota: () => void;
  quotaButtonRef: (el: HTMLElement | null) => void;
}

function UserRow({ user, isSelf, quotaOpen, onToggleQuota, quotaButtonRef }: UserRowProps) {
  const update = useUpdateUser();
  // Changing your own access here could lock every admin out; another admin can do it.
  const selfNote = isSelf ? 'You cannot change your own access' : undefined;
  // Buttons keep their visible names; the row's username describes them for screen readers.
  const nameId = `user-${user.id}-name`;
  return (
    <tr data-user={user.username}>
      <th scope="row" id={nameId}>
        {user.username}
        {isSelf && <span className="muted"> (you)</span>}
      </th>
      <td data-label="Email">{user.email ?? <span className="muted">—</span>}</td>
      <td data-label="Admin">{user.isAdmin ? <span className="badge admin-badge-accent">Admin</span> : <span className="muted">No</span>}</td>
      <td data-label="Active">{user.active ? <span className="badge admin-badge-ok">Active</span> : <span className="badge admin-badge-off">Inactive</span>}</td>
      <td data-label="Actions">
        <div className="row admin-actions">
          <button
            type="button"
            disabled={update.isPending || isSelf}
            title={selfNote}
            aria-describedby={nameId}
            className={user.active ? 'danger' : undefined}
            onClick={() => update.mutate({ id: user.id, body: { active: !user.active } })}
          >
            {user.active ? 'Deactivate' : 'Activate'}
          </button>
          <button
            type="button"
            disabled={update.isPending || isSelf}
            title={selfNote}
            aria-describedby={nameId}
            onClick={() => update.mutate({ id: user.id, body: { isAdmin: !user.isAdmin } })}
          >
            {user.isAdmin ? 'Remove admin' : 'Make admin'}
          </button>
          <button type="button" ref={quotaButtonRef} aria-describedby={nameId} aria-expanded={quotaOpen} aria-controls={`quota-${user.id}`} onClick={onToggleQuota}>
            Quota
          </button>
        </div>
        <ActionError message={describeError(update.error).message} />
      </td>
    </tr>
  );
}
