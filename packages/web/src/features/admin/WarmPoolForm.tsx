import type { WarmPool } from '@berth/contracts';
import { useState, type FormEvent } from 'react';
import { describeError } from '../../api/describe-error.js';
import { Field, TextField } from '../../components/Field.js';
import { useMachineTypes } from '../environments/environments.queries.js';
import { useTemplates } from '../templates/templates.queries.js';
import { useCreateWarmPool } from './admin.queries.js';
import { FormActions } from './FormActions.js';
import { PoolSizeField, readPoolSize } from './PoolSizeField.js';

const FIELDS = ['machineType', 'templateId', 'image', 'size'];

/** Makes a warm pool: a machine type, optionally a template or an image to build from, and how many to keep started. */
export function WarmPoolForm({ onDone }: { onDone: (created: WarmPool | null) => void }) {
  const create = useCreateWarmPool();
  const types = useMachineTypes({ staleTime: 0 }).data ?? [];
  const templates = useTemplates().data ?? [];
  const [machineType, setMachineType] = useState('');
  const [templateId, setTemplateId] = useState('');
  const [image, setImage] = useState('');
  const [size, setSize] = useState('1');
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const server = describeError(create.error, FIELDS);
  const errors = { ...server.fields, ...localErrors };
  // Until one is picked, the first type is the choice the select shows.
  const chosenType = types.some((t) => t.name === machineType) ? machineType : (types[0]?.name ?? '');

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const read = readPoolSize(size);
    const local: Record<string, string> = read.error === null ? {} : { size: read.error };
    if (!chosenType) local.machineType = 'Make a machine type first.';
    setLocalErrors(local);
    if (read.size === null || !chosenType) return create.reset();
    const body = { machineType: chosenType, size: read.size, ...(templateId ? { templateId } : {}), ...(image.trim() ? { image: image.trim() } : {}) };
    create.mutate(body, { onSuccess: (pool) => onDone(pool) });
  }

  return (
    <form className="admin-form" aria-label="New warm pool" onSubmit={submit} noValidate>
      <h3>New warm pool</h3>
      <div className="admin-grid">
        <Field label="Machine type" error={errors.machineType}>
          {(control) => (
            <select {...control} name="machineType" value={chosenType} onChange={(e) => setMachineType(e.target.value)}>
              {types.map((t) => (
                <option key={t.name} value={t.name}>
                  {t.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Template" hint="Optional: its files and start command" error={errors.templateId}>
          {(control) => (
            <select {...control} name="templateId" value={templateId} onChange={(e) => setTemplateId(e.target.value)}>
              <option value="">None</option>
              {templates.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name} ({t.slug})
                </option>
              ))}
            </select>
          )}
        </Field>
        <PoolSizeField value={size} onChange={setSize} error={errors.size} />
        <TextField
          label="Image"
          name="image"
          autoComplete="off"
          placeholder="e.g. debian:bookworm"
          value={image}
          onChange={(e) => setImage(e.target.value)}
          error={errors.image}
          hint="Optional. Empty: the template's image, else the machine type's"
          className="admin-wide"
        />
      </div>
      <FormActions
        submit="Create pool"
        pendingLabel="Creating…"
        pending={create.isPending}
        onCancel={() => onDone(null)}
        error={Object.keys(localErrors).length > 0 ? null : server.message}
      />
    </form>
  );
}
