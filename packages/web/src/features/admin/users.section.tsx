import type { User } from '@berth/contracts';
import { Fragment, useState } from 'react';
import { useMe } from '../../api/session.js';
import { useUpdateUser, useUsers } from './admin.api.js';
import { ActionError, describeError, useFocusReturn } from './form-fields.component.js';
import { QuotaPanel } from './quota.form.js';
import { UserCreateForm } from './user-create.form.js';

export function UsersSection() {
  const users = useUsers();
  const me = useMe();
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<string | null>(null);
  const [quotaFor, setQuotaFor] = useState<string | null>(null);
  const focus = useFocusReturn();

  return (
    <section aria-labelledby="admin-users-title">
      <div className="admin-section-head">
        <h2 id="admin-users-title">Users</h2>
        <button
          type="button"
          className="primary"
          aria-expanded={creating}
          aria-controls="admin-new-user"
          ref={focus.target('new')}
          onClick={() => {
            setCreating((c) => !c);
            setCreated(null);
          }}
        >
          New user
        </button>
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
        <div className="admin-table-wrap">
          <table className="admin-table">
            <caption className="admin-sr-only">Users</caption>
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Email</th>
                <th scope="col">Admin</th>
                <th scope="col">Active</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
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
                    <tr className="admin-detail-row" id={`quota-${user.id}`}>
                      <td colSpan={5}>
                        <QuotaPanel
                          user={user}
                          onClose={() => {
                            focus.request(user.id);
                            setQuotaFor(null);
                          }}
                        />
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
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
