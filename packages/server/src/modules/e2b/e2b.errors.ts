import type { FastifyError } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError } from '../../errors.js';

/** Connect's error codes (docs/e2b-protocol.md §3.4), with the HTTP status Connect pairs each with. */
export const CONNECT_CODES = {
  canceled: 499,
  unknown: 500,
  invalid_argument: 400,
  deadline_exceeded: 504,
  not_found: 404,
  already_exists: 409,
  permission_denied: 403,
  resource_exhausted: 429,
  failed_precondition: 400,
  aborted: 409,
  out_of_range: 400,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  data_loss: 500,
  unauthenticated: 401,
} as const;
export type ConnectCode = keyof typeof CONNECT_CODES;

/** An error of the in-sandbox (envd) protocol, named by its Connect code. */
export class EnvdError extends Error {
  constructor(
    readonly code: ConnectCode,
    message: string,
  ) {
    super(message);
  }
}

/** An error of E2B's REST API: the SDK reads `{code: <status>, message}` and picks its exception by status. */
export class E2bApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Berth's own error codes as the E2B SDK must see them. Quota refusals become
 * 429 (the SDK's RateLimitError, what E2B's own sandbox limit raises) and carry
 * no Retry-After: waiting does not help, so the SDK must not retry.
 */
const STATUS_FOR_CODE: Record<string, number> = {
  machine_type_not_allowed: 429,
  quota_inactive: 429,
  insufficient_credits: 429,
  environment_limit: 429,
  rate_limited: 429,
  forbidden: 403,
  csrf_failed: 403,
};

/** Any error thrown on an E2B route, as a status and a message (details of unknown errors stay in the log). */
export function e2bStatusOf(error: unknown): { status: number; message: string; internal: boolean } {
  if (error instanceof E2bApiError) return { status: error.status, message: error.message, internal: false };
  if (error instanceof EnvdError) return { status: CONNECT_CODES[error.code], message: error.message, internal: false };
  if (error instanceof AppError) return { status: STATUS_FOR_CODE[error.code] ?? error.status, message: error.message, internal: false };
  if (hasZodFastifySchemaValidationErrors(error)) {
    const message = error.validation.map((v) => `${v.instancePath || error.validationContext || 'body'}: ${v.message ?? v.keyword}`).join('; ');
    return { status: 400, message, internal: false };
  }
  const status = (error as FastifyError).statusCode;
  if (status && status >= 400 && status < 500) return { status, message: (error as Error).message, internal: false };
  return { status: 500, message: 'Internal error', internal: true };
}

/** The Connect code for an HTTP status, for errors that did not name one. */
export function connectCodeOf(error: unknown, status: number): ConnectCode {
  if (error instanceof EnvdError) return error.code;
  const byStatus: Record<number, ConnectCode> = { 400: 'invalid_argument', 401: 'unauthenticated', 403: 'permission_denied', 404: 'not_found', 409: 'already_exists', 429: 'resource_exhausted', 502: 'unavailable', 503: 'unavailable', 504: 'deadline_exceeded' };
  return byStatus[status] ?? 'internal';
}
