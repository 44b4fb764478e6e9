import type { Environment } from '@berth/contracts';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { AccessBadge } from '../environments/AccessBadge.js';
import { RuntimeBadge } from '../environments/RuntimeBadge.js';
import { formatMemory } from '../environments/format.js';
import { TRANSITIONAL } from '../environments/StatusBadge.js';
import { ShareDialog } from '../orgs/ShareDialog.js';
import { useSharingOrg } from '../orgs/use-sharing-org.js';
import { DeployButton } from './DeployDialog.js';
import { messageOf } from './files-api.js';
import { StatsStrip } from './StatsStrip.js';
import { type LifecycleOp, useLifecycle } from '../environments/environments.queries.js';

/** What the header's buttons do; deleting is the dashboard's. */
type Action = Exclude<LifecycleOp, 'delete'>;

/**
 * Name, live status, how far the user may go with it, and the lifecycle, assistant, deploy and share
 * buttons; stats on the right while it runs. `assistant` is given to those who may use the environment.
 */
export function IdeHeader({ env, assistant }: { env: Environment; assistant?: { open: boolean; toggle: () => void } }) {
  const lifecycle = useLifecycle(env.id);
  const mayManage = env.access === 'manage';
  const shareIn = useSharingOrg(env);
  const [sharing, setSharing] = useState(false);
  const gone = env.status === 'deleted' || env.status === 'deleting' || env.desiredState === 'deleted';
  const running = env.status === 'running';
  const can: Record<Action, boolean> = {
    start: !gone && (env.desiredState !== 'running' || env.status === 'error'),
    stop: !gone && env.desiredState === 'running',
    restart: !gone && running,
  };
  const button = (action: Action, label: string, primary = false) => (
    <button
      type="button"
      className={primary ? 'primary' : undefined}
      disabled={!can[action] || lifecycle.isPending}
      aria-busy={lifecycle.isPending && lifecycle.variables === action}
      onClick={() => lifecycle.mutate(action)}
    >
      {label}
    </button>
  );
  return (
    <header className="ide-header">
      <div className="ide-title">
        <Link to="/" className="ide-back" aria-label="All environments" title="All environments">
          ←
        </Link>
        <h1>{env.name}</h1>
        {env.origin === 'e2b' && (
          <span className="badge origin-badge" title="Created through the E2B-compatible API (an E2B sandbox)">
            E2B
          </span>
        )}
        <span className={`badge ide-status status-${env.status}`} data-testid="env-status" role="status" aria-label={`Status: ${env.status}`} data-busy={TRANSITIONAL.includes(env.status) ? '' : undefined}>
          {env.status}
        </span>
        <RuntimeBadge runtimeClass={env.runtimeClass} />
        <AccessBadge access={env.access} />
        <span className="ide-meta muted" title={env.image}>
          {env.type} · {env.vcpus} vCPU · {formatMemory(env.memoryMb)}
        </span>
      </div>
      <div className="ide-actions">
        {mayManage && (
          <>
            {button('start', 'Start', !running)}
            {button('stop', 'Stop')}
            {button('restart', 'Restart')}
          </>
        )}
        {assistant && running && (
          <button type="button" aria-pressed={assistant.open} onClick={assistant.toggle}>
            Assistant
          </button>
        )}
        {env.access !== 'view' && !gone && <DeployButton env={env} />}
        {shareIn && (
          <button type="button" onClick={() => setSharing(true)} disabled={gone}>
            Share
          </button>
        )}
        {lifecycle.isError && (
          <span className="error" role="alert">
            {messageOf(lifecycle.error)}
          </span>
        )}
        {env.status === 'error' && env.lastError && !lifecycle.isError && (
          <span className="error ide-last-error" title={env.lastError}>
            {env.lastError}
          </span>
        )}
      </div>
      {running && <StatsStrip envId={env.id} />}
      {shareIn && <ShareDialog env={env} org={shareIn} open={sharing} onClose={() => setSharing(false)} />}
    </header>
  );
}
