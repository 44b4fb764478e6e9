import type { TemplateSummary } from '@berth/contracts';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { urlPath } from '../../api/client.js';
import { formErrors } from '../../api/describe-error.js';
import { ActionError, CheckboxField, Field, SubmitButton } from '../../components/Field.js';
import { Modal } from '../../components/Modal.js';
import { useEnvironments } from '../environments/environments.queries.js';
import { useApplyTemplate } from './templates.queries.js';

/** Writes a template's files into a folder of one of the caller's running environments. */
export function ApplyTemplateDialog({ template, onClose }: { template: TemplateSummary | null; onClose: () => void }) {
  return (
    <Modal open={template !== null} title={template ? `Apply ${template.name}` : 'Apply template'} onClose={onClose}>
      {template && <ApplyForm template={template} onClose={onClose} />}
    </Modal>
  );
}

function ApplyForm({ template, onClose }: { template: TemplateSummary; onClose: () => void }) {
  const environments = useEnvironments();
  const apply = useApplyTemplate();
  const running = (environments.data ?? []).filter((env) => env.status === 'running' && env.desiredState === 'running');
  const [picked, setPicked] = useState('');
  const [path, setPath] = useState('');
  const [clean, setClean] = useState(false);
  const environmentId = picked || running[0]?.id || '';
  const { fields, general: generalError } = formErrors(apply.error, ['path', 'clean']);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    apply.mutate({ environmentId, templateId: template.id, path: path.trim(), clean });
  };

  if (environments.isPending) return <p className="modal-body muted">Loading your environments…</p>;
  if (running.length === 0) {
    return (
      <div className="modal-body">
        <p>Templates are written into a running environment, and none of yours is running.</p>
        <p>
          <Link to="/" onClick={onClose}>
            Start one on the dashboard
          </Link>
          , then come back.
        </p>
      </div>
    );
  }

  return (
    <form className="modal-body" onSubmit={submit} noValidate>
      <Field label="Environment" hint="Only running environments can receive files.">
        {(control) => (
          <select {...control} name="environment" value={environmentId} onChange={(e) => setPicked(e.target.value)}>
            {running.map((env) => (
              <option key={env.id} value={env.id}>
                {env.name} ({env.type})
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Folder" hint="Relative to /workspace (empty: /workspace itself); created when missing. Files with the same names are overwritten." error={fields.path}>
        {(control) => <input {...control} name="path" value={path} onChange={(e) => setPath(e.target.value)} placeholder="e.g. my-app" autoComplete="off" spellCheck={false} />}
      </Field>
      <CheckboxField label="Delete what is already there first" name="clean" checked={clean} onChange={(e) => setClean(e.target.checked)} error={fields.clean} />
      {apply.data && (
        <p role="status" className="success">
          Wrote {apply.data.files} file{apply.data.files === 1 ? '' : 's'} to <span className="mono">/workspace{apply.data.path ? `/${apply.data.path}` : ''}</span>.{' '}
          <Link to={urlPath`/environments/${environmentId}`} onClick={onClose}>
            Open the environment
          </Link>
        </p>
      )}
      <div className="modal-actions">
        <ActionError message={generalError} className="action-error" />
        <button type="button" onClick={onClose}>
          {apply.data ? 'Done' : 'Cancel'}
        </button>
        <SubmitButton label="Apply template" pendingLabel="Applying…" pending={apply.isPending} disabled={!environmentId} />
      </div>
    </form>
  );
}
