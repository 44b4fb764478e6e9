import type { WarmPool } from '@berth/contracts';
import { Fragment, useState } from 'react';
import { describeError } from '../../api/describe-error.js';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { ActionError } from '../../components/Field.js';
import { useConfirmedAction } from '../../components/use-confirmed-action.js';
import { useFocusReturn } from '../../components/use-focus-return.js';
import { useDeleteWarmPool, useWarmPools } from './admin.queries.js';
import { AdminTable, DetailRow } from './AdminTable.js';
import { NewToggle } from './NewToggle.js';
import { PoolResizeForm } from './PoolResizeForm.js';
import { WarmPoolForm } from './WarmPoolForm.js';

const COLUMNS = ['Machine type', 'Made from', 'Size', 'State', 'Claimed', 'Actions'];

/** A pool has no name: its machine type, and what else it is made from, say which it is. */
function poolName(pool: WarmPool): string {
  if (pool.templateId) return `${pool.machineType} pool of template ${pool.templateSlug ?? '(deleted)'}`;
  if (pool.image) return `${pool.machineType} pool of ${pool.image}`;
  return `${pool.machineType} pool`;
}

/**
 * Warm pools: environments of a machine type kept built and started for creates to claim at
 * once. The list is polled, so an admin watches a pool fill, drain and be claimed from.
 */
export function WarmPoolsSection() {
  const pools = useWarmPools();
  const [creating, setCreating] = useState(false);
  const [resizing, setResizing] = useState<string | null>(null);
  const [notice, setNotice] = useState('');
  const focus = useFocusReturn();
  const nameOf = (id: string) => {
    const pool = pools.data?.find((p) => p.id === id);
    return pool ? poolName(pool) : 'pool';
  };
  const deletion = useDeleteWarmPool({ onDeleted: (id) => setNotice(`The ${nameOf(id)} was deleted.`) });
  const remove = useConfirmedAction(deletion, (pool: WarmPool) => pool.id);
  // The counts in the confirmation follow the list while it is open.
  const deleting = remove.subject && (pools.data?.find((p) => p.id === remove.subject?.id) ?? remove.subject);
  const toggleNew = () => {
    setCreating(!creating);
    setNotice('');
  };

  return (
    <section aria-labelledby="admin-pools-title">
      <div className="admin-section-head">
        <h2 id="admin-pools-title">Warm pools</h2>
        <NewToggle label="New pool" open={creating} controls="admin-new-pool" buttonRef={focus.target('new')} onToggle={toggleNew} />
      </div>
      <p className="muted admin-lead">Environments kept started, owned by no one, for a matching create to claim at once. The pool then makes another.</p>
      <p role="status" className="admin-ok">
        {notice}
      </p>
      <div id="admin-new-pool">
        {creating && (
          <div className="card">
            <WarmPoolForm
              onDone={(pool) => {
                focus.request('new');
                setCreating(false);
                if (pool) setNotice(`The ${poolName(pool)} was created.`);
              }}
            />
          </div>
        )}
      </div>
      {pools.error ? (
        <ActionError message={describeError(pools.error).message} />
      ) : !pools.data ? (
        <p className="muted">Loading warm pools…</p>
      ) : (
        <AdminTable caption="Warm pools" columns={COLUMNS} empty="No warm pools yet.">
          {pools.data.map((pool) => (
            <Fragment key={pool.id}>
              <PoolRow
                pool={pool}
                resizing={resizing === pool.id}
                onResize={() => setResizing((id) => (id === pool.id ? null : pool.id))}
                onDelete={() => remove.ask(pool)}
                resizeButtonRef={focus.target(pool.id)}
              />
              {resizing === pool.id && (
                <DetailRow id={`pool-resize-${pool.id}`} columns={COLUMNS.length}>
                  <PoolResizeForm
                    pool={pool}
                    title={`Resize the ${poolName(pool)}`}
                    onDone={(resized) => {
                      focus.request(pool.id);
                      setResizing(null);
                      if (resized) setNotice(`The ${poolName(resized)} now keeps ${resized.size} started.`);
                    }}
                  />
                </DetailRow>
              )}
            </Fragment>
          ))}
        </AdminTable>
      )}
      <ConfirmDialog {...remove.dialog} error={describeError(deletion.error).message} title={`Delete the ${deleting ? poolName(deleting) : 'pool'}?`} confirmLabel="Delete pool">
        <p>
          Its unclaimed environments{deleting ? ` (${deleting.ready + deleting.building + deleting.failed} now)` : ''} are deleted with it. Environments already claimed from it
          stay with their owners.
        </p>
      </ConfirmDialog>
    </section>
  );
}

interface PoolRowProps {
  pool: WarmPool;
  resizing: boolean;
  onResize: () => void;
  onDelete: () => void;
  resizeButtonRef: (el: HTMLElement | null) => void;
}

function PoolRow({ pool, resizing, onResize, onDelete, resizeButtonRef }: PoolRowProps) {
  // Buttons keep their visible names; the machine type and what it is made from describe them.
  const describedBy = `pool-${pool.id}-type pool-${pool.id}-source`;
  return (
    <tr data-pool={pool.id}>
      <th scope="row" className="mono" id={`pool-${pool.id}-type`}>
        {pool.machineType}
      </th>
      <td data-label="Made from" className="admin-break" id={`pool-${pool.id}-source`}>
        <MadeFrom pool={pool} />
      </td>
      <td data-label="Size">{pool.size}</td>
      <td data-label="State">
        <PoolState pool={pool} />
      </td>
      <td data-label="Claimed">{pool.claimed}</td>
      <td data-label="Actions">
        <div className="row admin-actions">
          <button type="button" ref={resizeButtonRef} aria-describedby={describedBy} aria-expanded={resizing} aria-controls={`pool-resize-${pool.id}`} onClick={onResize}>
            Resize
          </button>
          <button type="button" className="danger" aria-describedby={describedBy} onClick={onDelete}>
            Delete
          </button>
        </div>
      </td>
    </tr>
  );
}

/** The template, or the image, its environments are made from; else they run the machine type's image. */
function MadeFrom({ pool }: { pool: WarmPool }) {
  if (!pool.templateId && !pool.image) return <span className="muted">machine type&apos;s image</span>;
  return (
    <div>
      {pool.templateId && (
        <div>
          template <span className="mono">{pool.templateSlug ?? '(deleted)'}</span>
        </div>
      )}
      {pool.image && (
        <div>
          image <span className="mono">{pool.image}</span>
        </div>
      )}
    </div>
  );
}

/** Its unclaimed environments by state: ready always, the others when there are any. */
function PoolState({ pool }: { pool: WarmPool }) {
  return (
    <div className="row admin-pool-state">
      <span className={pool.ready > 0 ? 'badge admin-badge-ok' : 'badge'}>{pool.ready} ready</span>
      {pool.building > 0 && <span className="badge">{pool.building} building</span>}
      {pool.failed > 0 && <span className="badge admin-badge-off">{pool.failed} failed</span>}
      {pool.draining > 0 && <span className="badge">{pool.draining} draining</span>}
      {pool.version === null && <span className="error">Its machine type or template is gone: nothing new is made.</span>}
    </div>
  );
}
