import type { DesiredState, Environment, EnvironmentStatus } from '@berth/contracts';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { urlPath } from '../../api/client.js';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { useLifecycle, type LifecycleOp } from './environments.queries.js';
import { formatCredits, formatDateTime, formatMemory, formatRelative } from './format.js';
import { StatusBadge } from './StatusBadge.js';
import { ShareDialog } from '../orgs/ShareDialog.js';
import { useSharingOrg } from '../orgs/use-sharing-org.js';
import { AccessBadge } from './AccessBadge.js';
import { RuntimeBadge } from './RuntimeBadge.js';

const ON_THE_WAY: Record<DesiredState, EnvironmentStatus[]> = {
  running: ['pending', 'provisioning', 'starting'],
  stopped: ['stopping'],
  deleted: ['deleting'],
};

/** Where the environment is headed, when its status does not say so already (just after an action). */
function heading(env: Environment): DesiredState | null {
  if (env.status === 'error' || env.desiredState === env.status) return null;
  return ON_THE_WAY[env.desiredState].includes(env.status) ? null : env.desiredState;
}

export function EnvironmentCard({ env }: { env: Environment }) {
  const lifecycle = useLifecycle(env.id);
  const mayManage = env.access === 'manage';
  const shareIn = useSharingOrg(env);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [sharing, setSharing] = useState(false);
  const nameId = `env-${env.id}-name`;
  const wantsRunning = env.desiredState === 'running';
  const deleting = env.desiredState === 'deleted';
  const busy = lifecycle.isPending;
  const towards = heading(env);
  const run = (op: LifecycleOp) => lifecycle.mutate(op);

  return (
    <article className="card env-card" aria-labelledby={nameId} data-testid="env-card" data-env-id={env.id} data-env-name={env.name}>
      <header className="env-head">
        <h3 id={nameId}>
          <Link to={urlPath`/environments/${env.id}`}>{env.name}</Link>
        </h3>
        <span className="row env-state">
          {env.origin === 'e2b' && (
            <span className="badge origin-badge" title="Created through the E2B-compatible API (an E2B sandbox)">
              E2B
            </span>
          )}
          <RuntimeBadge runtimeClass={env.runtimeClass} />
          <AccessBadge access={env.access} />
          <StatusBadge status={env.status} />
          {towards && <span className="muted env-towards">→ {towards}</span>}
        </span>
      </header>
      <dl className="env-facts">
        <div>
          <dt>Type</dt>
          <dd>{env.type}</dd>
        </div>
        <div>
          <dt>Resources</dt>
          <dd>
            {env.vcpus} vCPU · {formatMemory(env.memoryMb)}
          </dd>
        </div>
        <div>
          <dt>Cost</dt>
          <dd>{formatCredits(env.creditsCost)}</dd>
        </div>
        <div>
          <dt>Last activity</dt>
          <dd>
            {env.lastActivityAt ? (
              <time dateTime={env.lastActivityAt} title={formatDateTime(env.lastActivityAt)}>
                {formatRelative(env.lastActivityAt)}
              </time>
            ) : env.startedAt && env.status === 'running' ? (
              <span title={`Started ${formatDateTime(env.startedAt)}`}>none since start</span>
            ) : (
              'none yet'
            )}
          </dd>
        </div>
      </dl>
      {env.lastError && (
        <p className="env-last-error" data-testid="env-last-error">
          <strong>Last error{env.attempts > 1 ? ` (attempt ${env.attempts})` : ''}:</strong> {env.lastError}
        </p>
      )}
      {mayManage && (
        <div className="row env-actions">
          <button type="button" onClick={() => run('start')} disabled={busy || deleting || (wantsRunning && env.status !== 'error')}>
            Start
          </button>
          <button type="button" onClick={() => run('stop')} disabled={busy || deleting || !wantsRunning}>
            Stop
          </button>
          <button type="button" onClick={() => run('restart')} disabled={busy || deleting || !wantsRunning}>
            Restart
          </button>
          {shareIn && (
            <button type="button" onClick={() => setSharing(true)} disabled={deleting}>
              Share
            </button>
          )}
          <button type="button" className="danger" onClick={() => setConfirmDelete(true)} disabled={busy || deleting}>
            Delete
          </button>
        </div>
      )}
      {shareIn && <ShareDialog env={env} org={shareIn} open={sharing} onClose={() => setSharing(false)} />}
      {lifecycle.error && !confirmDelete && (
        <p role="alert" className="error">
          {lifecycle.error.message}
        </p>
      )}
      <ConfirmDialog
        open={confirmDelete}
        title={`Delete ${env.name}?`}
        confirmLabel="Delete environment"
        pending={busy}
        error={lifecycle.error?.message}
        onCancel={() => {
          lifecycle.reset();
          setConfirmDelete(false);
        }}
        onConfirm={() => lifecycle.mutate('delete', { onSuccess: () => setConfirmDelete(false) })}
      >
        <p>
          The environment <strong>{env.name}</strong> and its workspace volume are removed for good. Files in <code>/workspace</code> cannot be recovered.
        </p>
      </ConfirmDialog>
    </article>
  );
}
