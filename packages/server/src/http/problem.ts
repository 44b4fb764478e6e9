import { ERROR_CODES, problemTypeFor, type ErrorCode, type FieldError, type Problem, type RouteName, type SocketName } from '@berth/contracts';
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  isResponseSerializationError,
  type ZodFastifySchemaValidationError,
} from 'fastify-type-provider-zod';
import { AppError, BerthError } from '../errors.js';

/** Fastify's own client errors, by their code, to Berth's stable codes. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation_failed',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
};

/** Told of each refusal: the route's table name (none for a path no route has) and the code. */
export type ProblemListener = (problem: { route: RouteName | SocketName | undefined; code: string; status: number; method: string; url: string }) => void;

function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  code: ErrorCode,
  detail: string,
  extra: { errors?: FieldError[]; headers?: Record<string, string> } = {},
) {
  return send(reply, request, { code, ...ERROR_CODES[code] }, detail, extra);
}

function send(
  reply: FastifyReply,
  request: FastifyRequest,
  { code, status, title }: { code: string; status: number; title: string },
  detail: string,
  extra: { errors?: FieldError[]; headers?: Record<string, string> } = {},
) {
  const body: Problem = {
    type: problemTypeFor(code),
    title,
    status,
    detail,
    code,
    instance: request.url.split('?')[0],
    requestId: String(request.id),
    ...(extra.errors ? { errors: extra.errors } : {}),
  };
  if (extra.headers) void reply.headers(extra.headers);
  return reply.code(status).type('application/problem+json').send(body);
}

function fieldErrors(error: { validation: ZodFastifySchemaValidationError[] }, where: string | undefined): FieldError[] {
  const prefix = where === 'querystring' ? 'query' : (where ?? 'body');
  return error.validation.flatMap((v) => {
    const base = [prefix, ...v.instancePath.split('/').filter(Boolean)].join('.');
    const keys = v.params.keys;
    // Unknown fields are reported one per field, so a client can point at each.
    if (Array.isArray(keys)) return keys.map((k) => ({ field: `${base}.${String(k)}`, message: 'unknown field' }));
    return [{ field: base, message: v.message ?? v.keyword }];
  });
}

/** The one place errors become HTTP responses: problem+json, never a stack trace. */
export function registerProblemHandlers(app: FastifyInstance, opts: { spa?: boolean; onProblem?: ProblemListener } = {}): void {
  const { onProblem } = opts;
  if (onProblem) {
    app.addHook('onSend', async (request, reply, payload) => {
      if (reply.statusCode >= 400 && String(reply.getHeader('content-type')).startsWith('application/problem+json')) {
        const { code } = JSON.parse(String(payload)) as Problem;
        onProblem({ route: request.routeOptions.config?.route, code, status: reply.statusCode, method: request.method, url: request.url.split('?')[0]! });
      }
      return payload;
    });
  }
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) return sendProblem(reply, request, error.code, error.message, error.extra);
    // The rest of the hierarchy (a compatibility layer's errors, a timeout) keeps its own code and status.
    if (error instanceof BerthError) return send(reply, request, { code: error.code, status: error.status, title: STATUS_CODES[error.status] ?? 'Error' }, error.message);
    if (hasZodFastifySchemaValidationErrors(error)) {
      const errors = fieldErrors(error, error.validationContext);
      return sendProblem(reply, request, 'validation_failed', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
    }
    const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (mapped) return sendProblem(reply, request, mapped, error.message);
    if (error instanceof SyntaxError && (error.statusCode ?? 0) === 400) return sendProblem(reply, request, 'invalid_json', error.message);
    if (!isResponseSerializationError(error) && error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      request.log.info({ err: error }, 'client error');
      const code = (Object.keys(ERROR_CODES) as ErrorCode[]).find((c) => ERROR_CODES[c].status === error.statusCode) ?? 'validation_failed';
      return sendProblem(reply, request, code, error.message);
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(reply, request, 'internal_error', `Something went wrong; quote request id ${String(request.id)} when reporting it`);
  });

  app.setNotFoundHandler((request, reply) => {
    // The web app routes in the browser: any page that is not an API path or a file gets its shell.
    if (opts.spa && request.method === 'GET' && !request.url.startsWith('/api/') && request.headers.accept?.includes('text/html')) {
      return reply.type('text/html').sendFile('index.html');
    }
    return sendProblem(reply, request, 'not_found', `No route ${request.method} ${request.url.split('?')[0]}`);
  });
}
