import type { MachineType } from '@berth/contracts';
import { useState, type FormEvent } from 'react';
import { useSaveMachineType } from './admin.queries.js';
import { CheckboxField, NumberFields, readWholeNumbers, TextField } from '../../components/Field.js';
import { describeError } from '../../api/describe-error.js';
import { FormActions } from './FormActions.js';

const NUMBER_FIELDS = [
  { name: 'vcpus', label: 'vCPUs' },
  { name: 'memoryMb', label: 'Memory (MB)' },
  { name: 'diskGib', label: 'Disk (GiB)' },
  { name: 'creditsCost', label: 'Credits cost' },
] as const;
type NumberField = (typeof NUMBER_FIELDS)[number]['name'];
const FIELDS = ['name', ...NUMBER_FIELDS.map((f) => f.name), 'image', 'private', 'runtimeClass'];
const NEW_TYPE = { vcpus: 1, memoryMb: 1024, diskGib: 5, creditsCost: 1 };

/** Creates a machine type, or edits `existing` (whose name cannot change). */
export function MachineTypeForm({ existing, onDone }: { existing?: MachineType; onDone: (name: string | null) => void }) {
  const save = useSaveMachineType();
  const start = existing ?? NEW_TYPE;
  const [name, setName] = useState(existing?.name ?? '');
  const [numbers, setNumbers] = useState<Record<NumberField, string>>(() => ({
    vcpus: String(start.vcpus),
    memoryMb: String(start.memoryMb),
    diskGib: String(start.diskGib),
    creditsCost: String(start.creditsCost),
  }));
  const [image, setImage] = useState(existing?.image ?? '');
  const [isPrivate, setPrivate] = useState(existing?.private ?? false);
  const [sandboxed, setSandboxed] = useState(existing?.runtimeClass === 'sandboxed');
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const server = describeError(save.error, FIELDS);
  const errors = { ...server.fields, ...localErrors };

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const read = readWholeNumbers(numbers);
    const local = read.errors;
    const values = read.numbers as Record<NumberField, number>;
    if (!existing && !name.trim()) local.name = 'Enter a name.';
    setLocalErrors(local);
    if (Object.keys(local).length > 0) return save.reset();
    const fields = { ...values, private: isPrivate, image: image.trim() || null, runtimeClass: sandboxed ? ('sandboxed' as const) : ('standard' as const) };
    save.mutate(existing ? { name: existing.name, update: fields } : { create: { name: name.trim(), ...fields } }, {
      onSuccess: (saved) => onDone(saved.name),
    });
  }

  const title = existing ? `Edit ${existing.name}` : 'New machine type';
  return (
    <form className="admin-form" aria-label={title} onSubmit={submit} noValidate>
      <h3>{title}</h3>
      <div className="admin-grid">
        {!existing && (
          <TextField label="Name" name="name" autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} error={errors.name} hint='Lowercase letters, digits and "-"' />
        )}
        <NumberFields fields={NUMBER_FIELDS} values={numbers} errors={errors} onChange={(field, value) => setNumbers((prev) => ({ ...prev, [field]: value }))} />
        <TextField
          label="Image"
          name="image"
          autoComplete="off"
          value={image}
          onChange={(e) => setImage(e.target.value)}
          error={errors.image}
          hint="Empty: the default image"
          className="admin-wide"
        />
      </div>
      <CheckboxField label="Private (new users are not given it)" checked={isPrivate} onChange={(e) => setPrivate(e.target.checked)} error={errors.private} />
      <CheckboxField
        label="Sandboxed: its environments run under gVisor, a kernel of their own (for code you trust least)"
        checked={sandboxed}
        onChange={(e) => setSandboxed(e.target.checked)}
        error={errors.runtimeClass}
      />
      <FormActions
        submit={existing ? 'Save machine type' : 'Create machine type'}
        pendingLabel="Saving…"
        pending={save.isPending}
        onCancel={() => onDone(null)}
        error={Object.keys(localErrors).length > 0 ? null : server.message}
      />
    </form>
  );
}
