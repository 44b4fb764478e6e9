import type { UseMutationResult } from '@tanstack/react-query';
import { useState } from 'react';

/**
 * An action that asks first (revoke, remove, delete): `ask(subject)` opens the
 * confirmation, and `dialog` is what ConfirmDialog needs to run the mutation on
 * that subject, show it pending or refused, and close, clean, when it is done or cancelled.
 */
export function useConfirmedAction<Subject, TData, TError extends Error, TVariables, TContext>(
  mutation: UseMutationResult<TData, TError, TVariables, TContext>,
  variablesOf: (subject: Subject) => TVariables,
) {
  const [subject, setSubject] = useState<Subject | null>(null);
  const close = () => {
    mutation.reset();
    setSubject(null);
  };
  return {
    subject,
    ask: (chosen: Subject) => setSubject(chosen),
    dialog: {
      open: subject !== null,
      pending: mutation.isPending,
      error: mutation.error?.message,
      onCancel: close,
      onConfirm: () => {
        if (subject !== null) mutation.mutate(variablesOf(subject), { onSuccess: close });
      },
    },
  };
}
