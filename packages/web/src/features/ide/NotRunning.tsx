import type { Environment, EnvironmentEvent } from '@berth/contracts';

const STARTING = new Set<Environment['status']>(['pending', 'provisioning', 'starting']);

function explain(env: Environment): { title: string; body: string } {
  if (env.status === 'deleting' || env.status === 'deleted') return { title: 'This environment is deleted', body: 'Its workspace is gone.' };
  if (STARTING.has(env.status)) return { title: 'Starting…', body: 'Files and terminals open as soon as it runs. Progress shows below.' };
  if (env.status === 'stopping') return { title: 'Stopping…', body: 'The workspace is kept. Start it again any time.' };
  if (env.status === 'unreachable') return { title: 'Its machine is unreachable', body: 'The node this environment runs on does not answer. Its workspace is kept there, and it comes back when the node does.' };
  if (env.status === 'error') return { title: 'The environment failed', body: env.lastError ?? 'Start it to try again.' };
  if (env.access !== 'manage') return { title: 'This environment is stopped', body: 'Its workspace is kept. Whoever manages it can start it again.' };
  return { title: 'This environment is stopped', body: 'Its workspace is kept. Press Start above to open its files and terminals.' };
}

/** Instead of files and terminals while the environment is not running (their API answers 409 environment_not_running). */
export function NotRunning({ env, events }: { env: Environment; events: EnvironmentEvent[] }) {
  const { title, body } = explain(env);
  const progress = STARTING.has(env.status) ? events.slice(-6) : [];
  return (
    <div className="ide-not-running">
      <div className="card" data-testid="env-not-running">
        <h2>{title}</h2>
        <p className="muted">{body}</p>
        {progress.length > 0 && (
          <ol className="ide-progress mono" aria-label="Recent progress">
            {progress.map((e) => (
              <li key={e.seq}>{e.message}</li>
            ))}
          </ol>
        )}
      </div>
    </div>
  );
}
