import type { Environment } from '@berth/contracts';
import { Link } from 'react-router-dom';
import { useAllEnvironments } from './admin.api.js';
import { ActionError, describeError, formatTime } from './form-fields.component.js';

export function EnvironmentsSection() {
  const envs = useAllEnvironments();
  return (
    <section aria-labelledby="admin-envs-title">
      <div className="admin-section-head">
        <h2 id="admin-envs-title">Environments</h2>
        <span className="muted">{envs.data ? `${envs.data.length} in total` : ''}</span>
      </div>
      {envs.error ? (
        <ActionError message={describeError(envs.error).message} />
      ) : !envs.data ? (
        <p className="muted">Loading environments…</p>
      ) : (
        <div className="admin-table-wrap">
          <table className="admin-table">
            <caption className="admin-sr-only">All environments</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Owner</th>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
                <th scope="col">Desired state</th>
                <th scope="col">Egress</th>
                <th scope="col">Last error</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {envs.data.length === 0 && (
                <tr>
                  <td colSpan={8} className="muted">
                    No environments yet.
                  </td>
                </tr>
              )}
              {envs.data.map((env) => (
                <EnvironmentRow key={env.id} env={env} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function EnvironmentRow({ env }: { env: Environment }) {
  return (
    <tr data-environment={env.id}>
      <th scope="row">
        <Link to={`/environments/${env.id}`}>{env.name}</Link>
        {env.origin === 'e2b' && <span className="badge origin-badge"> E2B</span>}
      </th>
      <td data-label="Owner">{env.owner.username}</td>
      <td data-label="Type" className="mono">{env.type}</td>
      <td data-label="Status">
        <span className={`badge status-${env.status}`}>{env.status}</span>
      </td>
      <td data-label="Desired state">{env.desiredState}</td>
      <td data-label="Egress" className="admin-break">
        <span className={`badge egress-${env.egress}`}>{env.egress}</span>
        {env.egress === 'allowlist' && <span className="mono"> {env.egressAllow.join(', ')}</span>}
      </td>
      <td data-label="Last error" className="admin-break">
        {env.lastError ? (
          <span className="error" title={`${env.attempts} attempt(s)`}>
            {env.lastError}
          </span>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td data-label="Created" className="admin-nowrap">{formatTime(env.createdAt)}</td>
    </tr>
  );
}
