import type { MachineType } from '@berth/contracts';
import { Fragment, useRef, useState } from 'react';
import { useDeleteMachineType, useMachineTypes } from './admin.api.js';
import { ActionError, describeError, useFocusReturn } from './form-fields.component.js';
import { MachineTypeForm } from './machine-type.form.js';

const COLUMNS = 8;

export function MachineTypesSection() {
  const types = useMachineTypes();
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const [notice, setNotice] = useState('');
  const focus = useFocusReturn();

  return (
    <section aria-labelledby="admin-types-title">
      <div className="admin-section-head">
        <h2 id="admin-types-title">Machine types</h2>
        <button
          type="button"
          className="primary"
          aria-expanded={creating}
          aria-controls="admin-new-type"
          ref={focus.target('new')}
          onClick={() => {
            setCreating((c) => !c);
            setNotice('');
          }}
        >
          New machine type
        </button>
      </div>
      <p role="status" className="admin-ok">
        {notice}
      </p>
      <div id="admin-new-type">
        {creating && (
          <div className="card">
            <MachineTypeForm
              onDone={(name) => {
                focus.request('new');
                setCreating(false);
                if (name) setNotice(`Machine type ${name} created.`);
              }}
            />
          </div>
        )}
      </div>
      {types.error ? (
        <ActionError message={describeError(types.error).message} />
      ) : !types.data ? (
        <p className="muted">Loading machine types…</p>
      ) : (
        <div className="admin-table-wrap">
          <table className="admin-table">
            <caption className="admin-sr-only">Machine types</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">vCPUs</th>
                <th scope="col">Memory (MB)</th>
                <th scope="col">Disk (GiB)</th>
                <th scope="col">Credits cost</th>
                <th scope="col">Private</th>
                <th scope="col">Image</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {types.data.length === 0 && (
                <tr>
                  <td colSpan={COLUMNS} className="muted">
                    No machine types yet.
                  </td>
                </tr>
              )}
              {types.data.map((type) => (
                <Fragment key={type.name}>
                  <MachineTypeRow
                    type={type}
                    editing={editing === type.name}
                    onEdit={() => setEditing((n) => (n === type.name ? null : type.name))}
                    onDeleted={() => setNotice(`Machine type ${type.name} deleted.`)}
                    editButtonRef={focus.target(type.name)}
                  />
                  {editing === type.name && (
                    <tr className="admin-detail-row" id={`type-edit-${type.name}`}>
                      <td colSpan={COLUMNS}>
                        <MachineTypeForm
                          existing={type}
                          onDone={(name) => {
                            focus.request(type.name);
                            setEditing(null);
                            if (name) setNotice(`Machine type ${name} saved.`);
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

interface MachineTypeRowProps {
  type: MachineType;
  editing: boolean;
  onEdit: () => void;
  onDeleted: () => void;
  editButtonRef: (el: HTMLElement | null) => void;
}

function MachineTypeRow({ type, editing, onEdit, onDeleted, editButtonRef }: MachineTypeRowProps) {
  const remove = useDeleteMachineType();
  const [confirming, setConfirming] = useState(false);
  // After "Cancel" the confirm buttons disappear; focus goes back to "Delete" instead of the page.
  const refocusDelete = useRef(false);
  return (
    <tr data-machine-type={type.name}>
      <th scope="row" className="mono" id={`type-${type.name}-name`}>
        {type.name}
      </th>
      <td data-label="vCPUs">{type.vcpus}</td>
      <td data-label="Memory (MB)">{type.memoryMb}</td>
      <td data-label="Disk (GiB)">{type.diskGib}</td>
      <td data-label="Credits cost">{type.creditsCost}</td>
      <td data-label="Private">{type.private ? <span className="badge">Private</span> : <span className="muted">No</span>}</td>
      <td data-label="Image" className="mono admin-break">{type.image ?? <span className="muted">default</span>}</td>
      <td data-label="Actions">
        <div className="row admin-actions">
          {confirming ? (
            <>
              <span>Delete {type.name}?</span>
              <button
                type="button"
                className="danger"
                disabled={remove.isPending}
                onClick={() =>
                  remove.mutate(type.name, {
                    onSuccess: onDeleted,
                    onSettled: () => setConfirming(false),
                  })
                }
              >
                Confirm delete
              </button>
              <button
                type="button"
                autoFocus
                onClick={() => {
                  refocusDelete.current = true;
                  setConfirming(false);
                }}
              >
                Cancel
              </button>
            </>
          ) : (
            <>
              <button type="button" ref={editButtonRef} aria-describedby={`type-${type.name}-name`} aria-expanded={editing} aria-controls={`type-edit-${type.name}`} onClick={onEdit}>
                Edit
              </button>
              <button
                type="button"
                className="danger"
                aria-describedby={`type-${type.name}-name`}
                ref={(el) => {
                  if (el && refocusDelete.current) {
                    refocusDelete.current = false;
                    el.focus();
                  }
                }}
                onClick={() => {
                  remove.reset();
                  setConfirming(true);
                }}
              >
                Delete
              </button>
            </>
          )}
        </div>
        <ActionError message={describeError(remove.error).message} />
      </td>
    </tr>
  );
}
