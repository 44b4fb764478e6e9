import { ActionError, SubmitButton } from '../../components/Field.js';

type Props = {
  submit: string;
  /** The submit button's label while the request is on its way. */
  pendingLabel: string;
  pending: boolean;
  onCancel?: () => void;
  cancelLabel?: string;
  /** Announced beside the buttons once done ("Quota saved."). */
  done?: string;
  error: string | null | undefined;
};

/** The submit (and cancel) buttons at the foot of an admin form, what was done, and what failed. */
export function FormActions({ submit, pendingLabel, pending, onCancel, cancelLabel = 'Cancel', done, error }: Props) {
  return (
    <>
      <div className="row">
        <SubmitButton label={submit} pendingLabel={pendingLabel} pending={pending} />
        {onCancel && (
          <button type="button" onClick={onCancel}>
            {cancelLabel}
          </button>
        )}
        {done !== undefined && (
          <span role="status" className="admin-ok">
            {pending ? '' : done}
          </span>
        )}
      </div>
      <ActionError message={error} />
    </>
  );
}
