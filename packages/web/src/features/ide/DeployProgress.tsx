import { Link } from 'react-router-dom';
import { urlPath } from '../../api/client.js';
import { describeError } from '../../api/describe-error.js';
import { ActionError } from '../../components/Field.js';
import { useReleases } from '../apps/apps.queries.js';
import { AppLink } from '../apps/AppLink.js';
import { AppStatus } from '../apps/AppStatus.js';
import type { StartedDeploy } from './deploy.js';
import { useDeployWatch } from './use-deploy-watch.js';

/** The release a deploy from the IDE asked for, followed until it is live (its URL) or failed (why). */
export function DeployProgress({ started, onClose }: { started: StartedDeploy; onClose: () => void }) {
  const { release } = started;
  const watch = useDeployWatch(started.app.id, release);
  const app = watch.app ?? started.app;
  const row = useReleases(app.id).data?.find((r) => r.number === release);
  const { outcome } = watch;

  return (
    <div className="modal-body" data-testid="deploy-progress">
      {outcome.state === 'building' && (
        <p role="status">
          Release {release} of <span className="mono">{app.name}</span> is on its way: <AppStatus status={row?.status ?? 'pending'} />
        </p>
      )}
      {outcome.state === 'live' && (
        <p role="status" className="apps-ok">
          Release {release} of <span className="mono">{app.name}</span> is live at <AppLink app={app} />
        </p>
      )}
      {outcome.state === 'failed' && (
        <p role="alert" className="error">
          Release {release} failed: {row?.error ?? outcome.error}
        </p>
      )}
      <ActionError message={watch.error ? `Could not follow the deploy: ${describeError(watch.error).message}` : null} />
      <p className="muted">
        Its build log, releases and settings are on <Link to={urlPath`/apps/${app.id}`}>its page in Apps</Link>.
      </p>
      <div className="modal-actions">
        <button type="button" className="primary" onClick={onClose} data-autofocus>
          Done
        </button>
      </div>
    </div>
  );
}
