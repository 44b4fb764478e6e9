import type { Environment } from '@berth/contracts';
import { Link } from 'react-router-dom';
import { AdminTable } from './AdminTable.js';
import { urlPath } from '../../api/client.js';
import { useAllEnvironments } from './admin.queries.js';
import { ActionError } from '../../components/Field.js';
import { describeError } from '../../api/describe-error.js';
import { formatTime } from '../environments/format.js';

const COLUMNS = ['Name', 'Owner', 'Type', 'Status', 'Desired state', 'Egress', 'Last error', 'Created'];

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
        <AdminTable caption="All environments" columns={COLUMNS} empty="No environments yet.">
          {envs.data.map((env) => (
            <EnvironmentRow key={env.id} env={env} />
          ))}
        </AdminTable>
      )}
    </section>
  );
}

function EnvironmentRow({ env }: { env: Environment }) {
  return (
    <tr data-environment={env.id}>
      <th scope="row">
        <Link to={urlPath`/environments/${env.id}`}>{env.name}</Link>
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
