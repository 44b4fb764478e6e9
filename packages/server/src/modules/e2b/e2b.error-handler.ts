import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { BerthError } from '../../errors.js';
import type { App } from '../../http/types.js';
import { connectCodeOf, e2bStatusOfError } from './e2b.errors.js';

/** Any error thrown on an E2B route, as a status and a message (details of unknown errors stay in the log). */
export function e2bStatusOf(error: unknown): { status: number; message: string; internal: boolean } {
  if (error instanceof BerthError) return { status: e2bStatusOfError(error), message: error.message, internal: false };
  if (hasZodFastifySchemaValidationErrors(error)) {
    const message = error.validation.map((v) => `${v.instancePath || error.validationContext || 'body'}: ${v.message ?? v.keyword}`).join('; ');
    return { status: 400, message, internal: false };
  }
  const status = (error as FastifyError).statusCode;
  if (status && status >= 400 && status < 500) return { status, message: (error as Error).message, internal: false };
  return { status: 500, message: 'Internal error', internal: true };
}

type Shape = (error: unknown, status: number, message: string) => unknown;

/** E2B's REST shape: the SDK picks its exception by the status in `code`. */
export const e2bShape: Shape = (_error, status, message) => ({ code: status, message });
/** Connect's error JSON: a code name and a message. */
export const connectShape: Shape = (error, status, message) => ({ code: connectCodeOf(error, status), message });

/**
 * The E2B layer's error handler: every error of the hierarchy (and Fastify's
 * own) in the wire shape `shapeOf` picks for the request. Unknown errors are
 * logged and answer a plain 500 with the request id.
 */
export function registerE2bErrorHandler(app: App, api: string, shapeOf: (request: FastifyRequest) => Shape, onError?: (request: FastifyRequest, reply: FastifyReply) => void): void {
  app.setErrorHandler((error, request, reply) => {
    const { status, message, internal } = e2bStatusOf(error);
    if (internal) request.log.error({ err: error }, `unhandled error on the ${api}`);
    const text = internal ? `Internal error; quote request id ${String(request.id)}` : message;
    onError?.(request, reply);
    return reply.code(status).type('application/json').send(shapeOf(request)(error, status, text));
  });
}
