import type { Me } from '@berth/contracts';
import { useState } from 'react';
import { CreateEnvironmentDialog } from '../features/environments/CreateEnvironmentDialog.js';
import { CreditsSummary } from '../features/environments/CreditsSummary.js';
import { EnvironmentCard } from '../features/environments/EnvironmentCard.js';
import { useLiveEnvironments } from '../features/environments/environment-events.js';
import { useEnvironments, useMachineTypes } from '../features/environments/environments.queries.js';
import '../features/environments/environments.css';

export function DashboardPage({ me }: { me: Me }) {
  const environments = useEnvironments();
  const types = useMachineTypes();
  const [creating, setCreating] = useState(false);
  // Deleted environments stay in the API's list as history; the dashboard shows the living.
  const shown = (environments.data ?? []).filter((env) => env.status !== 'deleted');
  const counted = shown.filter((env) => env.desiredState !== 'deleted').length;
  useLiveEnvironments(shown.map((env) => env.id));

  return (
    <section className="page dashboard">
      <header className="page-head">
        <h1>Environments</h1>
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          New environment
        </button>
      </header>

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
