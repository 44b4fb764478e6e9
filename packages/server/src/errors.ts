import { ERROR_CODES, type ErrorCode, type FieldError } from '@berth/contracts';

/**
 * The root of the one error hierarchy: every error Berth answers a request
 * with has a stable code, an HTTP status and a detail for the caller. Each API
 * renders it in its own wire shape at its edge (problem+json for Berth's API,
 * E2B's `{code, message}` and Connect's error JSON for the E2B layer).
 */
export class BerthError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    detail: string,
  ) {
    super(detail);
  }
}

/**
 * Berth's own errors. Services throw these; the HTTP error handler renders
 * them as problem+json. Status codes come from the code's contract entry, so a
 * domain error never picks its own status.
 */
export class AppError extends BerthError {
  declare readonly code: ErrorCode;
  constructor(
    code: ErrorCode,
    detail: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(code, ERROR_CODES[code].status, detail);
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super('not_found', `${what} was not found`);
  }
}

export class ConflictError extends AppError {
  constructor(detail: string) {
    super('conflict', detail);
  }
}

export class ForbiddenError extends AppError {
  constructor(detail = 'You are not allowed to do this') {
    super('forbidden', detail);
  }
}

export class UnauthorizedError extends AppError {
  constructor(detail = 'Sign in or send a valid API token') {
    super('unauthorized', detail);
  }
}

export class ValidationError extends AppError {
  constructor(errors: FieldError[]) {
    super('validation_failed', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
  }
}

export class RateLimitedError extends AppError {
  constructor(detail: string, retryAfterSeconds: number) {
    super('rate_limited', detail, { headers: { 'retry-after': String(retryAfterSeconds) } });
  }
}

/** Work inside an environment that did not finish in its time (504): the caller may try again, or ask for less. */
export class TimedOutError extends BerthError {
  constructor(detail: string) {
    super('timed_out', 504, detail);
  }
}
