import { ApiError } from './client.js';

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
  return { fields, message: err.problem?.detail || err.message };
}

/**
 * A form's errors from a refusal: messages by field (with the form's own
 * `local` ones over them), and the refusal's message when no field it shows
 * (`shown`) has one to say it.
 */
export function formErrors(err: Error | null, shown: readonly string[], local: Record<string, string> = {}) {
  const fields = { ...(err instanceof ApiError ? err.fieldErrors() : {}), ...local };
  const general = err && !shown.some((name) => fields[name]) ? err.message : null;
  return { fields, general };
}
