import { CreateAppBodySchema } from '@berth/contracts';
import { useState, type FormEvent } from 'react';
import { ApiError } from '../../api/client.js';
import { describeError } from '../../api/describe-error.js';
import { ActionError, SubmitButton, TextField } from '../../components/Field.js';
import { useCreateApp } from '../apps/apps.queries.js';
import type { StartedDeploy } from './deploy.js';

/** Fields by the API's names for them, so its refusals land next to the right control. */
const FIELDS = ['name', 'source.path', 'port', 'healthPath'] as const;
type FieldName = (typeof FIELDS)[number];
type Values = { name: string; path: string; port: string; healthPath: string };

/** What apps.create assumes when they are not given (the contract's defaults). */
const DEFAULTS: Values = { name: '', path: '/workspace/app', port: '3000', healthPath: '' };
/** A new app's first release. */
const FIRST_RELEASE = 1;

/**
 * The body the form stands for, checked by the API's own schema (the name by AppNameSchema):
 * what it would refuse is said field by field before anything is sent.
 */
function readForm(values: Values, environmentId: string) {
  const port = values.port.trim();
  const parsed = CreateAppBodySchema.safeParse({
    name: values.name.trim(),
    source: { kind: 'workspace', environmentId, path: values.path.trim() },
    port: /^\d+$/.test(port) ? Number(port) : Number.NaN,
    healthPath: values.healthPath.trim() || null,
  });
  if (parsed.success) return { body: parsed.data, errors: {} };
  const errors: Partial<Record<FieldName, string>> = {};
  for (const issue of parsed.error.issues) {
    const path = issue.path.join('.');
    const field = FIELDS.find((f) => path === f || path.startsWith(`${f}.`));
    if (field) errors[field] ??= field === 'port' ? 'A whole number, 1–65535.' : issue.message;
  }
  return { body: null, errors };
}

/** Makes an app from a folder of this environment; its first release starts building at once. */
export function DeployNewAppForm({ environmentId, onStarted, onCancel }: { environmentId: string; onStarted: (started: StartedDeploy) => void; onCancel: () => void }) {
  const create = useCreateApp();
  const [values, setValues] = useState<Values>(DEFAULTS);
  const [localErrors, setLocalErrors] = useState<Partial<Record<FieldName, string>>>({});
  const server = describeError(create.error, FIELDS);
  // A name already taken in the organization is the name field's problem.
  const taken = create.error instanceof ApiError && create.error.code === 'conflict' ? create.error.message : undefined;
  const errors: Partial<Record<FieldName, string>> = { ...server.fields, ...(taken ? { name: taken } : {}), ...localErrors };
  const text = (name: keyof Values) => ({ name, value: values[name], onChange: (e: { target: { value: string } }) => setValues((v) => ({ ...v, [name]: e.target.value })) });

  function submit(event: FormEvent) {
    event.preventDefault();
    const { body, errors: found } = readForm(values, environmentId);
    setLocalErrors(found);
    if (!body) return create.reset();
    create.mutate(body, { onSuccess: (app) => onStarted({ app, release: FIRST_RELEASE }) });
  }

  return (
    <form className="modal-body" aria-label="New app" onSubmit={submit} noValidate>
      <p className="muted">A new app, built from the folder as it is now: by its Dockerfile, or on Berth&apos;s base image as a Node.js or Python app or a static site (index.html).</p>
      <TextField label="Name" autoComplete="off" spellCheck={false} hint="Lower-case letters, digits and “-”: the first part of its address." error={errors.name} data-autofocus {...text('name')} />
      <TextField label="Folder" autoComplete="off" spellCheck={false} error={errors['source.path']} {...text('path')} />
      <TextField label="Port" type="number" inputMode="numeric" min={1} max={65535} hint="What it listens on ($PORT inside)." error={errors.port} {...text('port')} />
      <TextField
        label="Health path"
        autoComplete="off"
        placeholder="e.g. /health"
        hint="Optional: answers 2xx or 3xx when healthy. Empty: the port accepting connections."
        error={errors.healthPath}
        {...text('healthPath')}
      />
      <div className="modal-actions">
        <ActionError message={Object.keys(localErrors).length > 0 || taken ? null : server.message} className="action-error" />
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <SubmitButton label="Create and deploy" pendingLabel="Creating…" pending={create.isPending} />
      </div>
    </form>
  );
}
