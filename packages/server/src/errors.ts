import { ERROR_CODES, type ErrorCode, type FieldError } from '@berth/contracts';

/**
 * The one error hierarchy. Services throw these; the HTTP error handler renders
 * them as problem+json. Status codes come from the code's contract entry, so a
 * domain error never picks its own status.
 */
export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    detail: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.status = ERROR_CODES[code].status;
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
