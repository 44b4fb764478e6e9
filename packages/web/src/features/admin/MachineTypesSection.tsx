import type { MachineType } from '@berth/contracts';
import { Fragment, useRef, useState } from 'react';
import { AdminTable, DetailRow } from './AdminTable.js';
import { NewToggle } from './NewToggle.js';
import { useMachineTypes } from '../environments/environments.queries.js';
import { useDeleteMachineType } from './admin.queries.js';
import { ActionError } from '../../components/Field.js';
import { useFocusReturn } from '../../components/use-focus-return.js';
import { describeError } from '../../api/describe-error.js';
import { MachineTypeForm } from './MachineTypeForm.js';

const COLUMNS = ['Name', 'vCPUs', 'Memory (MB)', 'Disk (GiB)', 'Credits cost', 'Private', 'Runtime', 'Image', 'Actions'];

export function MachineTypesSection() {
  const types = useMachineTypes({ staleTime: 0 });
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const [notice, setNotice] = useState('');
  const focus = useFocusReturn();
  const toggleNew = () => {
    setCreating(!creating);
    setNotice('');
  };

  return (
    <section aria-labelledby="admin-types-title">
      <div className="admin-section-head">
        <h2 id="admin-types-title">Machine types</h2>
        <NewToggle label="New machine type" open={creating} controls="admin-new-type" buttonRef={focus.target('new')} onToggle={toggleNew} />
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
        <AdminTable caption="Machine types" columns={COLUMNS} empty="No machine types yet.">
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
                <DetailRow id={`type-edit-${type.name}`} columns={COLUMNS.length}>
                  <MachineTypeForm
                    existing={type}
                    onDone={(name) => {
                      focus.request(type.name);
                      setEditing(null);
                      if (name) setNotice(`Machine type ${name} saved.`);
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
      <td data-label="Runtime">{type.runtimeClass === 'sandboxed' ? <span className="badge" title="Its environments run under gVisor">sandboxed</span> : <span className="muted">standard</span>}</td>
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
