import { useId, type InputHTMLAttributes, type ReactNode } from 'react';

/**
 * The one form-field kit: a label that names only its control, and under it the
 * hint, or the error in its place, tied to the control with aria-describedby.
 */

type Control = { id: string; 'aria-describedby'?: string; 'aria-invalid'?: true };
type Notes = {
  label: ReactNode;
  /** Shown under the control; replaced by the error when there is one. */
  hint?: ReactNode;
  error?: string;
  className?: string;
};
type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'id'>;

/** The note under a control, and the props that tie the control to it. */
function useNote(hint: ReactNode, error: string | undefined) {
  const id = useId();
  const noteId = `${id}-note`;
  const note = error ?? hint;
  const control: Control = { id, 'aria-describedby': note ? noteId : undefined, 'aria-invalid': error ? true : undefined };
  const element = note ? (
    <span id={noteId} className={error ? 'field-error' : 'hint'}>
      {note}
    </span>
  ) : null;
  return { control, element };
}

/** A labelled control of any kind (input, select, textarea): `children` renders it with the props given. */
export function Field({ label, hint, error, className, children }: Notes & { children: (control: Control) => ReactNode }) {
  const note = useNote(hint, error);
  return (
    <div className={className ? `field ${className}` : 'field'}>
      <label htmlFor={note.control.id}>{label}</label>
      {children(note.control)}
      {note.element}
    </div>
  );
}

export function TextField({ label, hint, error, className, ...input }: InputProps & Notes) {
  return (
    <Field label={label} hint={hint} error={error} className={className}>
      {(control) => <input {...input} {...control} />}
    </Field>
  );
}

/** A labelled select of fixed choices (roles, scopes, page sizes), each shown as its value. */
export function ChoiceField<T extends string | number>({
  label,
  hint,
  error,
  className,
  name,
  choices,
  value,
  onChange,
}: Notes & { name?: string; choices: readonly T[]; value: T; onChange: (value: T) => void }) {
  return (
    <Field label={label} hint={hint} error={error} className={className}>
      {(control) => (
        <select {...control} name={name} value={value} onChange={(e) => onChange(choices.find((c) => String(c) === e.target.value) ?? value)}>
          {choices.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** A checkbox inside its label, its hint or error under it. */
export function CheckboxField({ label, hint, error, className, ...input }: Omit<InputProps, 'type'> & Notes) {
  const note = useNote(hint, error);
  return (
    <div className={className ? `check-field ${className}` : 'check-field'}>
      <label className="check">
        <input type="checkbox" {...input} {...note.control} />
        <span>{label}</span>
      </label>
      {note.element}
    </div>
  );
}

/** Whole-number fields side by side (quotas, limits, machine types), their values kept as typed text. */
export function NumberFields<K extends string>({
  fields,
  values,
  errors,
  onChange,
}: {
  fields: readonly { name: K; label: string; hint?: ReactNode }[];
  values: Record<K, string>;
  errors: Partial<Record<string, string>>;
  onChange: (name: K, value: string) => void;
}) {
  return fields.map((f) => (
    <TextField
      key={f.name}
      label={f.label}
      name={f.name}
      type="number"
      inputMode="numeric"
      min={0}
      step={1}
      value={values[f.name]}
      onChange={(e) => onChange(f.name, e.target.value)}
      error={errors[f.name]}
      hint={f.hint}
    />
  ));
}

/**
 * What NumberFields hold, read: each value a whole number, or an error for it.
 * Fields named in `optional` may be left empty, which reads as null.
 */
export function readWholeNumbers<K extends string>(values: Record<K, string>, optional: readonly K[] = []) {
  const numbers: Partial<Record<K, number | null>> = {};
  const errors: Record<string, string> = {};
  for (const name of Object.keys(values) as K[]) {
    const value = values[name].trim();
    if (value === '' && optional.includes(name)) numbers[name] = null;
    else if (/^\d+$/.test(value)) numbers[name] = Number(value);
    else errors[name] = 'A whole number, 0 or more.';
  }
  return { numbers, errors };
}

/** An error shown where the action happened; announced when it appears. */
export function ActionError({ message, className }: { message: string | null | undefined; className?: string }) {
  if (!message) return null;
  return (
    <p className={className ? `error ${className}` : 'error'} role="alert">
      {message}
    </p>
  );
}

/** A form's main button; while the request is on its way it is disabled and may say so (`pendingLabel`). */
export function SubmitButton({ label, pendingLabel = label, pending, disabled }: { label: string; pendingLabel?: string; pending: boolean; disabled?: boolean }) {
  return (
    <button type="submit" className="primary" disabled={pending || disabled}>
      {pending ? pendingLabel : label}
    </button>
  );
}
