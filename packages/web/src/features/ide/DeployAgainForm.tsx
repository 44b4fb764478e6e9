import { useState, type FormEvent } from 'react';
import { describeError } from '../../api/describe-error.js';
import { ActionError, Field, SubmitButton } from '../../components/Field.js';
import { useDeployApp } from '../apps/apps.queries.js';
import type { StartedDeploy, WorkspaceApp } from './deploy.js';

type Props = {
  /** The apps deploying from this environment: at least one. */
  apps: WorkspaceApp[];
  onStarted: (started: StartedDeploy) => void;
  /** Makes another app from this environment instead. */
  onNewApp: () => void;
  onCancel: () => void;
};

/** Deploys again an app that deploys from this environment: a new release of its folder as it is now. */
export function DeployAgainForm({ apps, onStarted, onNewApp, onCancel }: Props) {
  const [pickedId, setPickedId] = useState(apps[0]!.id);
  const app = apps.find((a) => a.id === pickedId) ?? apps[0]!;
  const deploy = useDeployApp(app.id);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    deploy.mutate(undefined, { onSuccess: (release) => onStarted({ app, release: release.number }) });
  };

  return (
    <form className="modal-body" aria-label="Deploy again" onSubmit={submit} noValidate>
      {apps.length === 1 ? (
        <p>
          <span className="mono">{app.name}</span> deploys from <span className="mono">{app.source.path}</span> of this environment. Deploying it again builds a new release of the folder as it is now.
        </p>
      ) : (
        <Field label="App" hint={`Deploys from ${app.source.path}: a new release of the folder as it is now.`}>
          {(control) => (
            <select {...control} name="app" value={app.id} onChange={(e) => setPickedId(e.target.value)}>
              {apps.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name} ({a.source.path})
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      <div className="modal-actions">
        <ActionError message={describeError(deploy.error).message} className="action-error" />
        <button type="button" onClick={onNewApp}>
          New app…
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <SubmitButton label={`Deploy ${app.name} again`} pendingLabel="Deploying…" pending={deploy.isPending} />
      </div>
    </form>
  );
}
