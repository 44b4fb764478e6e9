import { useId, type ReactNode } from 'react';

type Control = { id: string; 'aria-describedby'?: string; 'aria-invalid'?: true };

type Props = {
  label: string;
  /** Shown under the control; replaced by the error when there is one. */
  hint?: string;
  error?: string;
  className?: string;
  children: (control: Control) => ReactNode;
};

/**
 * A labelled control with its hint or error beside it. The hint stays outside
 * the <label>, so the control's accessible name is the label alone.
 */
export function Field({ label, hint, error, className, children }: Props) {
  const id = useId();
  const noteId = `${id}-note`;
  const note = error ?? hint;
  return (
    <div className={className ? `field ${className}` : 'field'}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-describedby': note ? noteId : undefined, 'aria-invalid': error ? true : undefined })}
      {note && (
        <span id={noteId} className={error ? 'field-error' : 'hint'}>
          {note}
        </span>
      )}
    </div>
  );
}
