import type { ReactNode } from 'react';
import { Modal } from './Modal.js';

type Props = {
  open: boolean;
  title: string;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  pending?: boolean;
  error?: string | null;
  children: ReactNode;
};

/** Asks before something that cannot be undone; the destructive button is never the default. */
export function ConfirmDialog({ open, title, confirmLabel, onConfirm, onCancel, pending, error, children }: Props) {
  return (
    <Modal open={open} title={title} onClose={onCancel}>
      <div className="modal-body">{children}</div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="modal-actions">
        <button type="button" onClick={onCancel} data-autofocus>
          Cancel
        </button>
        <button type="button" className="danger" onClick={onConfirm} disabled={pending}>
          {confirmLabel}
        </button>
      </div>
    </Modal>
  );
}
