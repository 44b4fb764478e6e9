import { CreateAppBodySchema, type App } from '@berth/contracts';
import { useState, type FormEvent } from 'react';
import { ApiError } from '../../api/client.js';
import { describeError } from '../../api/describe-error.js';
import { ActionError, Field, SubmitButton, TextField } from '../../components/Field.js';
import { useEnvironments } from '../environments/environments.queries.js';
import { useCreateApp } from './apps.queries.js';

type SourceKind = 'git' | 'workspace';

/** Fields by the API's names for them, so its refusals land next to the right control. */
const FIELDS = ['name', 'source.url', 'source.branch', 'source.environmentId', 'source.path', 'port', 'healthPath'] as const;
type FieldName = (typeof FIELDS)[number];

const DEFAULT_PORT = '3000';
const DEFAULT_PATH = '/workspace/app';

interface Values {
  name: string;
  kind: SourceKind;
  url: string;
  branch: string;
  environmentId: string;
  path: string;
  port: string;
  healthPath: string;
}

/**
 * The body the form stands for, checked by the API's own schema: what it would refuse is said
 * here, field by field, before anything is sent.
 */
function readForm(values: Values) {
  const errors: Partial<Record<FieldName, string>> = {};
  const port = values.port.trim();
  if (!/^\d+$/.test(port)) errors.port = 'A whole number, 1–65535.';
  if (values.kind === 'workspace' && !values.environmentId) errors['source.environmentId'] = 'Pick an environment.';
  const source =
    values.kind === 'git'
      ? { kind: 'git' as const, url: values.url.trim(), branch: values.branch.trim() || 'main' }
      : { kind: 'workspace' as const, environmentId: values.environmentId, path: values.path.trim() };
  const parsed = CreateAppBodySchema.safeParse({ name: values.name.trim(), source, port: Number(port), healthPath: values.healthPath.trim() || null });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.join('.');
      const field = FIELDS.find((f) => path === f || path.startsWith(`${f}.`));
      if (field) errors[field] ??= issue.message;
    }
  }
  return parsed.success && Object.keys(errors).length === 0 ? { body: parsed.data, errors } : { body: null, errors };
}

/** Makes an app from a git branch or a folder of one of the caller's environments; its first release starts building at once. */
export function NewAppForm({ onCreated, onCancel }: { onCreated: (app: App) => void; onCancel: () => void }) {
  const create = useCreateApp();
  const environments = useEnvironments().data ?? [];
  const [values, setValues] = useState<Values>({ name: '', kind: 'git', url: '', branch: 'main', environmentId: '', path: DEFAULT_PATH, port: DEFAULT_PORT, healthPath: '' });
  const [localErrors, setLocalErrors] = useState<Partial<Record<FieldName, string>>>({});
  const server = describeError(create.error, FIELDS);
  // A name already taken in the organization is the name field's problem.
  const taken = create.error instanceof ApiError && create.error.code === 'conflict' ? create.error.message : undefined;
  const errors: Partial<Record<string, string>> = { ...server.fields, ...(taken ? { name: taken } : {}), ...localErrors };
  const set = (patch: Partial<Values>) => setValues((v) => ({ ...v, ...patch }));
  const text = (name: keyof Values) => ({ value: values[name], onChange: (e: { target: { value: string } }) => set({ [name]: e.target.value }) });

  function submit(event: FormEvent) {
    event.preventDefault();
    const { body, errors: found } = readForm(values);
    setLocalErrors(found);
    if (!body) return create.reset();
    create.mutate(body, { onSuccess: onCreated });
  }

  return (
    <form className="card apps-form" aria-label="New app" onSubmit={submit} noValidate>
      <h2>New app</h2>
      <div className="apps-grid">
        <TextField
          label="Name"
          name="name"
          autoComplete="off"
          spellCheck={false}
          hint="Lower-case letters, digits and “-”: the first part of its address."
          error={errors.name}
          {...text('name')}
        />
        <TextField label="Port" name="port" type="number" inputMode="numeric" min={1} max={65535} hint="What it listens on ($PORT inside)." error={errors.port} {...text('port')} />
        <TextField
          label="Health path"
          name="healthPath"
          autoComplete="off"
          placeholder="e.g. /health"
          hint="Optional: answers 2xx or 3xx when healthy. Empty: the port accepting connections."
          error={errors.healthPath}
          {...text('healthPath')}
        />
      </div>
      <fieldset className="apps-source">
        <legend>Source</legend>
        <div className="row">
          <label className="check">
            <input type="radio" name="kind" value="git" checked={values.kind === 'git'} onChange={() => set({ kind: 'git' })} />
            <span>A git repository</span>
          </label>
          <label className="check">
            <input type="radio" name="kind" value="workspace" checked={values.kind === 'workspace'} onChange={() => set({ kind: 'workspace' })} />
            <span>From an environment</span>
          </label>
        </div>
        {values.kind === 'git' ? (
          <div className="apps-grid">
            <TextField
              label="Git URL"
              name="url"
              autoComplete="off"
              spellCheck={false}
              placeholder="https://example.com/you/app.git"
              error={errors['source.url']}
              className="apps-wide"
              {...text('url')}
            />
            <TextField label="Branch" name="branch" autoComplete="off" spellCheck={false} error={errors['source.branch']} {...text('branch')} />
          </div>
        ) : (
          <div className="apps-grid">
            <Field label="Environment" hint="Its folder is deployed as it is at each deploy." error={errors['source.environmentId']}>
              {(control) => (
                <select {...control} name="environmentId" value={values.environmentId} onChange={(e) => set({ environmentId: e.target.value })}>
                  <option value="">Choose an environment…</option>
                  {environments.map((env) => (
                    <option key={env.id} value={env.id}>
                      {env.name} ({env.status})
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <TextField label="Path" name="path" autoComplete="off" spellCheck={false} error={errors['source.path']} {...text('path')} />
          </div>
        )}
      </fieldset>
      <div className="row">
        <SubmitButton label="Create app" pendingLabel="Creating…" pending={create.isPending} />
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
      <ActionError message={Object.keys(localErrors).length > 0 || taken ? null : server.message} />
    </form>
  );
}
