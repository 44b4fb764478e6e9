import type { Environment, EnvironmentStatus, Me } from '@berth/contracts';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { urlPath } from '../../api/client.js';
import { ApiError } from '../../api/client.js';
import { formErrors } from '../../api/describe-error.js';
import { useTemplates } from '../templates/templates.queries.js';
import { useCreateEnvironment, useMachineTypes } from './environments.queries.js';
import { unaffordableReason } from './machine-types.js';
import { ActionError, CheckboxField, Field, SubmitButton } from '../../components/Field.js';
import { MachineTypePicker } from './MachineTypePicker.js';
import { Modal } from '../../components/Modal.js';
import { ProvisioningLog } from './ProvisioningLog.js';
import { StatusBadge } from './StatusBadge.js';

type Props = {
  open: boolean;
  onClose: () => void;
  me: Me;
  /** Environments counted against the quota's limit (all but those being deleted). */
  environmentCount: number;
};

export function CreateEnvironmentDialog({ open, onClose, me, environmentCount }: Props) {
  const [created, setCreated] = useState<Environment | null>(null);
  const close = () => {
    setCreated(null);
    onClose();
  };
  return (
    <Modal open={open} title="New environment" onClose={close} wide>
      {created ? <Provisioning env={created} onClose={close} /> : <CreateForm me={me} atLimit={environmentCount >= me.quota.maxEnvironments} onCreated={setCreated} onCancel={close} />}
    </Modal>
  );
}

function CreateForm({ me, atLimit, onCreated, onCancel }: { me: Me; atLimit: boolean; onCreated: (env: Environment) => void; onCancel: () => void }) {
  const types = useMachineTypes();
  const templates = useTemplates();
  const create = useCreateEnvironment();
  const [picked, setPicked] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [templateId, setTemplateId] = useState('');
  const [sandboxed, setSandboxed] = useState(false);

  // Until the user picks, the cheapest type they can afford is chosen for them.
  const firstAffordable = types.data?.find((t) => unaffordableReason(t, me.quota) === null)?.name ?? '';
  const type = picked ?? firstAffordable;
  // A type or template that requires gVisor gets it whatever the box says: shown ticked, and fixed.
  const required = types.data?.find((t) => t.name === type)?.runtimeClass === 'sandboxed' || templates.data?.find((t) => t.id === templateId)?.runtimeClass === 'sandboxed';
  // The only conflict creating can meet is a name already in use.
  const conflict = create.error instanceof ApiError && create.error.code === 'conflict' ? { name: create.error.message } : undefined;
  const { fields, general: generalError } = formErrors(create.error, ['type', 'name', 'templateId', 'runtimeClass'], conflict);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(
      { type, ...(name.trim() ? { name: name.trim() } : {}), ...(templateId ? { templateId } : {}), ...(sandboxed ? { runtimeClass: 'sandboxed' as const } : {}) },
      { onSuccess: onCreated },
    );
  };

  return (
    <form className="modal-body create-form" onSubmit={submit} noValidate>
      {types.isPending && <p className="muted">Loading machine types…</p>}
      {types.error && (
        <p role="alert" className="error">
          Could not load machine types: {types.error.message}
        </p>
      )}
      {types.data && types.data.length === 0 && <p className="muted">Your quota allows no machine types; ask an administrator.</p>}
      {types.data && types.data.length > 0 && <MachineTypePicker types={types.data} quota={me.quota} value={type} onChange={setPicked} error={fields.type} />}
      <p className="muted credits-note">
        You use {me.quota.creditsUsed} of {me.quota.credits} credits; {Math.max(me.quota.creditsLeft, 0)} left. A running environment holds its type&apos;s credits until it stops.
      </p>

      <div className="form-grid">
        <Field label="Name" hint={'Optional: lowercase letters, digits and "-".'} error={fields.name}>
          {(control) => <input {...control} name="name" value={name} onChange={(e) => setName(e.target.value)} placeholder="random if empty" autoComplete="off" spellCheck={false} />}
        </Field>
        <Field label="Template" hint="Optional: files written into /workspace on first start." error={fields.templateId}>
          {(control) => (
            <select {...control} name="templateId" value={templateId} onChange={(e) => setTemplateId(e.target.value)}>
              <option value="">None: an empty workspace</option>
              {templates.data?.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <CheckboxField
        label="Sandboxed: run it under gVisor, a kernel of its own between its programs and the machine's"
        hint={required ? 'Its machine type or template always runs sandboxed.' : 'Stronger isolation for code you trust least; starts and runs a little slower.'}
        checked={sandboxed || required}
        disabled={required}
        onChange={(e) => setSandboxed(e.target.checked)}
        error={fields.runtimeClass}
      />

      {types.data && types.data.length > 0 && !firstAffordable && (
        <p className="error">No machine type fits in the credits you have left: stop an environment to free its credits.</p>
      )}
      {atLimit && (
        <p className="error">
          You have {me.quota.maxEnvironments} environment(s), the most your quota allows; delete one first.
        </p>
      )}

      <div className="modal-actions">
        <ActionError message={generalError} className="action-error" />
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <SubmitButton label="Create" pendingLabel="Creating…" pending={create.isPending} disabled={!type || atLimit} />
      </div>
    </form>
  );
}

function Provisioning({ env, onClose }: { env: Environment; onClose: () => void }) {
  const [status, setStatus] = useState<EnvironmentStatus>(env.status);
  const ready = status === 'running';
  return (
    <div className="modal-body provisioning">
      <p className="row">
        <strong>{env.name}</strong>
        <StatusBadge status={status} testId="provision-status" />
        <span className="muted">
          {ready ? 'is running.' : status === 'error' ? 'failed; the log says why.' : 'is being prepared; this log follows it live.'}
        </span>
      </p>
      <ProvisioningLog environmentId={env.id} onStatus={setStatus} />
      <div className="modal-actions">
        <button type="button" onClick={onClose}>
          Done
        </button>
        <Link to={urlPath`/environments/${env.id}`} className={ready ? 'button primary' : 'button'} onClick={onClose}>
          Open
        </Link>
      </div>
    </div>
  );
}
