import { useState, type FormEvent, type ReactNode } from 'react';
import { TextField } from '../../components/Field.js';
import { Modal } from '../../components/Modal.js';

type Props = {
  open: boolean;
  title: string;
  /** What has to be typed, exactly, before the button does anything: the app's name. */
  name: string;
  confirmLabel: string;
  onConfirm: (typed: string) => void;
  onCancel: () => void;
  pending?: boolean;
  error?: string | null;
  children: ReactNode;
};

/**
 * Asks before deleting data that cannot come back, and makes the user type the name of what
 * it belongs to: a slower "yes" than a button, as the API asks for it too (?confirm=<name>).
 */
export function NameConfirmDialog({ open, title, name, confirmLabel, onConfirm, onCancel, pending, error, children }: Props) {
  return (
    <Modal open={open} title={title} onClose={onCancel}>
      {/* Mounted only while open (Modal), so what was typed last time is gone. */}
      <NameConfirmForm name={name} confirmLabel={confirmLabel} onConfirm={onConfirm} onCancel={onCancel} pending={pending} error={error}>
        {children}
      </NameConfirmForm>
    </Modal>
  );
}

function NameConfirmForm({ name, confirmLabel, onConfirm, onCancel, pending, error, children }: Omit<Props, 'open' | 'title'>) {
  const [typed, setTyped] = useState('');
  const matches = typed === name;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (matches) onConfirm(typed);
  };
  return (
    <form className="modal-body" onSubmit={submit} noValidate>
      {children}
      <TextField
        label={
          // One item of the label's grid, so the sentence stays on one line.
          <span>
            Type <strong className="mono">{name}</strong> to confirm
          </span>
        }
        name="confirm"
        autoComplete="off"
        spellCheck={false}
        value={typed}
        onChange={(e) => setTyped(e.target.value)}
        data-autofocus
      />
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="modal-actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="danger" disabled={!matches || pending}>
          {confirmLabel}
        </button>
      </div>
    </form>
  );
}
