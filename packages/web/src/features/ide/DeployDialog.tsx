import type { Environment } from '@berth/contracts';
import { useState } from 'react';
import { describeError } from '../../api/describe-error.js';
import { useActingOrg } from '../../api/orgs.queries.js';
import { ActionError } from '../../components/Field.js';
import { Modal } from '../../components/Modal.js';
import { useApps } from '../apps/apps.queries.js';
import { DeployAgainForm } from './DeployAgainForm.js';
import { DeployNewAppForm } from './DeployNewAppForm.js';
import { DeployProgress } from './DeployProgress.js';
import { appsDeployingFrom, type StartedDeploy } from './deploy.js';
// The release's status badge and the app's link are the Apps section's, styled by its sheet.
import '../apps/apps.css';

/**
 * The header's Deploy: an app of the organization from a folder of this environment, as it is now.
 * Deploys again an app that already comes from here, or makes one; then follows its release.
 */
export function DeployButton({ env }: { env: Environment }) {
  const [open, setOpen] = useState(false);
  const [started, setStarted] = useState<StartedDeploy | null>(null);
  const close = () => {
    setOpen(false);
    setStarted(null);
  };
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        Deploy
      </button>
      <Modal open={open} title={`Deploy from ${env.name}`} onClose={close}>
        {started ? <DeployProgress started={started} onClose={close} /> : <DeployChoice env={env} onStarted={setStarted} onCancel={close} />}
      </Modal>
    </>
  );
}

function DeployChoice({ env, onStarted, onCancel }: { env: Environment; onStarted: (started: StartedDeploy) => void; onCancel: () => void }) {
  const apps = useApps();
  const acting = useActingOrg();
  const [newApp, setNewApp] = useState(false);

  if (apps.isPending) return <p className="modal-body muted">Loading the organization&apos;s apps…</p>;
  if (apps.error) {
    return (
      <div className="modal-body">
        <ActionError message={`Could not load the apps: ${describeError(apps.error).message}`} />
      </div>
    );
  }
  // Apps belong to the organization acted in, and deploy only from its environments.
  if (acting && acting.id !== env.orgId) {
    return <p className="modal-body">This environment belongs to another organization than the one you act in: switch to it in the header to deploy from it.</p>;
  }
  const ours = appsDeployingFrom(apps.data, env.id);
  if (ours.length > 0 && !newApp) return <DeployAgainForm apps={ours} onStarted={onStarted} onNewApp={() => setNewApp(true)} onCancel={onCancel} />;
  return <DeployNewAppForm environmentId={env.id} onStarted={onStarted} onCancel={onCancel} />;
}
