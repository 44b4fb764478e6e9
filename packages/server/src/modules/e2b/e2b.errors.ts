import { AppError, BerthError } from '../../errors.js';

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

/** An error of the in-sandbox (envd) protocol, named by its Connect code (its status is the one Connect pairs with it). */
export class EnvdError extends BerthError {
  declare readonly code: ConnectCode;
  constructor(code: ConnectCode, message: string) {
    super(code, CONNECT_CODES[code], message);
  }
}

/** An error of E2B's REST API: the SDK reads `{code: <status>, message}` and picks its exception by status. */
export class E2bApiError extends BerthError {
  constructor(status: number, message: string) {
    super('e2b_api_error', status, message);
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

/** The status an error of the hierarchy answers an E2B client with. */
export const e2bStatusOfError = (error: BerthError): number => (error instanceof AppError ? (STATUS_FOR_CODE[error.code] ?? error.status) : error.status);

const CONNECT_FOR_STATUS: Record<number, ConnectCode> = {
  400: 'invalid_argument',
  401: 'unauthenticated',
  403: 'permission_denied',
  404: 'not_found',
  409: 'already_exists',
  429: 'resource_exhausted',
  502: 'unavailable',
  503: 'unavailable',
  504: 'deadline_exceeded',
};

/** The Connect code for an error: its own if it names one, else the one its HTTP status reads as. */
export function connectCodeOf(error: unknown, status: number): ConnectCode {
  if (error instanceof EnvdError) return error.code;
  return CONNECT_FOR_STATUS[status] ?? 'internal';
}

/** An error of the hierarchy as a Connect error (a stream's last frame, a unary call's body). */
export function connectErrorOf(error: BerthError): { code: ConnectCode; message: string } {
  return { code: connectCodeOf(error, e2bStatusOfError(error)), message: error.message };
}
