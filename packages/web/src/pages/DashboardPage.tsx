import type { Me } from '@berth/contracts';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { urlPath } from '../api/client.js';
import { useActingOrg } from '../api/orgs.queries.js';
import { CreateEnvironmentDialog } from '../features/environments/CreateEnvironmentDialog.js';
import { CreditsSummary } from '../features/environments/CreditsSummary.js';
import { EnvironmentCard } from '../features/environments/EnvironmentCard.js';
import { useLiveEnvironments } from '../features/environments/environment-events.js';
import { useEnvironments, useMachineTypes } from '../features/environments/environments.queries.js';
import { MyInvitations } from '../features/orgs/MyInvitations.js';
import '../features/environments/environments.css';

export function DashboardPage({ me }: { me: Me }) {
  const environments = useEnvironments();
  const types = useMachineTypes();
  const org = useActingOrg();
  const [creating, setCreating] = useState(false);
  // Viewers of an organization see its environments; they make none.
  const mayCreate = org?.role !== 'viewer';
  // Deleted environments stay in the API's list as history; the dashboard shows the living.
  const shown = (environments.data ?? []).filter((env) => env.status !== 'deleted');
  const counted = shown.filter((env) => env.desiredState !== 'deleted').length;
  useLiveEnvironments(shown.map((env) => env.id));

  return (
    <section className="page dashboard">
      <header className="page-head">
        <div>
          <h1>Environments</h1>
          {org && !org.personal && (
            <p className="muted dashboard-org">
              In <strong>{org.name}</strong>, as {org.role} · <Link to={urlPath`/orgs/${org.slug}`}>Settings of {org.name}</Link>
            </p>
          )}
        </div>
        {mayCreate && (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New environment
          </button>
        )}
      </header>

      <MyInvitations />

      <CreditsSummary me={me} types={types.data ?? []} environmentCount={counted} />

      {environments.isPending && <p className="muted">Loading environments…</p>}
      {environments.error && (
        <p role="alert" className="error">
          Could not load your environments: {environments.error.message}
        </p>
      )}
      {environments.data && shown.length === 0 && (
        <div className="card empty">
          <p>You have no environments yet.</p>
          <p className="muted">An environment is an isolated Linux machine with a persistent /workspace, a terminal and an editor.</p>
        </div>
      )}
      {shown.length > 0 && (
        <div className="env-grid" aria-label="Your environments" role="list">
          {shown.map((env) => (
            <div role="listitem" key={env.id}>
              <EnvironmentCard env={env} />
            </div>
          ))}
        </div>
      )}

      <CreateEnvironmentDialog open={creating} onClose={() => setCreating(false)} me={me} environmentCount={counted} />
    </section>
  );
}
