import { useId, useRef, type InputHTMLAttributes, type ReactNode } from 'react';
import { ApiError } from '../../api/client.js';

/** Small form building blocks: a label that names only its input, a hint and an error tied to it with aria-describedby. */

type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'id'>;

const describedByFor = (id: string, hint: ReactNode, error: string | undefined) =>
  [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;

/** The hint and the error under a field, with the ids its aria-describedby names. */
function FieldNotes({ id, hint, error }: { id: string; hint?: ReactNode; error?: string }) {
  return (
    <>
      {hint && (
        <span id={`${id}-hint`} className="admin-hint">
          {hint}
        </span>
      )}
      {error && (
        <span id={`${id}-error`} className="field-error">
          {error}
        </span>
      )}
    </>
  );
}

export function TextField({ label, error, hint, className, ...input }: InputProps & { label: ReactNode; error?: string; hint?: ReactNode }) {
  const id = useId();
  const describedBy = describedByFor(id, hint, error);
  return (
    <div className={`admin-field ${className ?? ''}`}>
      <label htmlFor={id}>{label}</label>
      <input id={id} {...input} aria-invalid={error ? true : undefined} aria-describedby={describedBy} />
      <FieldNotes id={id} hint={hint} error={error} />
    </div>
  );
}

export function CheckboxField({ label, error, hint, ...input }: Omit<InputProps, 'type'> & { label: ReactNode; error?: string; hint?: ReactNode }) {
  const id = useId();
  const describedBy = describedByFor(id, hint, error);
  return (
    <div className="admin-check-field">
      <label className="admin-check">
        <input type="checkbox" {...input} aria-invalid={error ? true : undefined} aria-describedby={describedBy} />
        <span>{label}</span>
      </label>
      <FieldNotes id={id} hint={hint} error={error} />
    </div>
  );
}

/** Whole-number fields side by side (quotas and limits), their values kept as typed text. */
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
  return (
    <div className="admin-grid">
      {fields.map((f) => (
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
      ))}
    </div>
  );
}

/** An error shown where the action happened; announced when it appears. */
export function ActionError({ message }: { message: string | null | undefined }) {
  if (!message) return null;
  return (
    <p className="error" role="alert">
      {message}
    </p>
  );
}

/**
 * Puts focus back on the control that opened a panel once the panel closes, so
 * keyboard users are not dropped at the top of the page. `request(key)` before
 * closing; give the opener `ref={target(key)}` (a new callback each render, so
 * React calls it again after the re-render that closed the panel).
 */
export function useFocusReturn() {
  const pending = useRef<string | null>(null);
  return {
    request: (key: string) => {
      pending.current = key;
    },
    target: (key: string) => (el: HTMLElement | null) => {
      if (el && pending.current === key) {
        pending.current = null;
        el.focus();
      }
    },
  };
}

export interface DescribedError {
  /** Messages by field name, for the fields this form shows. */
  fields: Record<string, string>;
  /** What to show next to the submit button; null when nothing failed. */
  message: string | null;
}

/**
 * Splits an API refusal into messages for the fields a form shows (matching
 * "allowedTypes.0" to "allowedTypes") and one message for everything else.
 */
export function describeError(err: unknown, shownFields: readonly string[] = []): DescribedError {
  if (!err) return { fields: {}, message: null };
  if (!(err instanceof ApiError)) return { fields: {}, message: err instanceof Error ? err.message : String(err) };
  const fields: Record<string, string> = {};
  const rest: string[] = [];
  for (const [path, message] of Object.entries(err.fieldErrors())) {
    const field = shownFields.find((f) => path === f || path.startsWith(`${f}.`));
    if (field) fields[field] ??= message;
    else rest.push(path ? `${path}: ${message}` : message);
  }
  if (Object.keys(fields).length > 0) {
    return { fields, message: rest.length > 0 ? rest.join('; ') : 'Please correct the fields marked above.' };
  }
  return { fields, message: err.problem.detail || err.problem.title };
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}
