import { COMMON_PROBLEMS, ERROR_CODES, ROUTES, routeTag, SOCKETS, type RouteName, type RouteSpec, type SocketName, type SocketSpec, successStatuses } from '@berth/contracts';
import type { FastifyContextConfig, FastifyReply, FastifyRequest, FastifySchema, preHandlerAsyncHookHandler } from 'fastify';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { responses } from './responses.js';
import type { App } from './types.js';

type Spec<N extends RouteName> = (typeof ROUTES)[N];
type SocketSpecOf<N extends SocketName> = (typeof SOCKETS)[N];

type Out<S, K extends string> = S extends { [key in K]: z.ZodType } ? z.output<S[K]> : undefined;
/** The request a route's handler gets: params, query and body as its table entry types them (a raw body is the bytes, if any). */
export type RouteRequest<S> = FastifyRequest<{
  Params: Out<S, 'params'>;
  Querystring: Out<S, 'query'>;
  Body: S extends { raw: 'body' | 'both' } ? Buffer | undefined : Out<S, 'body'>;
}>;

/**
 * What a handler returns: the answer for the route's status (checked by the
 * response schema on its way out), or the reply when it answered itself
 * (bytes, streams, a status it chose, headers of its own).
 */
type Answer<S> = S extends { raw: 'response' | 'both' } ? FastifyReply : S extends { response: z.ZodType } ? z.input<S['response']> | FastifyReply : void | FastifyReply;

interface RouteOptions<S> {
  /** Who may call it and how (http/types.ts FastifyContextConfig): decided before the request is read. */
  config?: FastifyContextConfig;
  bodyLimit?: number;
  /** Checks after authorization and before validation (a caller refused learns nothing of the body's shape). */
  preValidation?: (request: FastifyRequest) => Promise<void>;
  /** Checks after validation and before the handler (a socket's refusals, before the upgrade). */
  preHandler?: (request: RouteRequest<S>) => Promise<void>;
}

/** A route's path under the plugin's prefix, in Fastify's `:name` form. */
function localPath(app: App, path: string): string {
  if (!path.startsWith(app.prefix)) throw new Error(`${path} is not under ${app.prefix || '/'}`);
  return path.slice(app.prefix.length).replace(/\{(\w+)\}/g, ':$1');
}

/** The API document's words on a route's own refusals. */
function problemsText(problems: readonly string[] | undefined): string | undefined {
  if (!problems?.length) return undefined;
  const codes = problems.map((code) => `\`${code}\` (${ERROR_CODES[code as keyof typeof ERROR_CODES].status})`);
  return `Refusals of its own, besides the common ones: ${codes.join(', ')}.`;
}

function schemaOf(name: RouteName | SocketName, spec: RouteSpec | SocketSpec, config: FastifyContextConfig | undefined): FastifySchema {
  const http = 'method' in spec ? spec : undefined;
  const rawBody = http?.raw === 'body' || http?.raw === 'both';
  const rawResponse = http?.raw === 'response' || http?.raw === 'both';
  return {
    tags: [routeTag(name)],
    summary: spec.summary,
    ...(config?.public ? { security: [] } : {}),
    ...(spec.problems?.length ? { description: problemsText(spec.problems) } : {}),
    ...(spec.params ? { params: spec.params } : {}),
    ...(spec.query ? { querystring: spec.query } : {}),
    ...(http?.body && !rawBody ? { body: http.body } : {}),
    ...(http && !rawResponse ? { response: responses(Object.fromEntries(successStatuses(http).map((status) => [status, status === 204 ? z.null() : http.response!]))) } : {}),
  } as FastifySchema;
}

/**
 * Registers route `name` of the contracts' table: its method, path, schemas,
 * status and words for the API document all come from there, so the server
 * answers what the typed client expects. The handler returns the answer; the
 * status is the table's.
 */
export function route<N extends RouteName>(app: App, name: N, options: RouteOptions<Spec<N>>, handler: (request: RouteRequest<Spec<N>>, reply: FastifyReply) => Promise<Answer<Spec<N>>> | Answer<Spec<N>>): void {
  const spec: RouteSpec = ROUTES[name];
  const [status] = successStatuses(spec);
  app.route({
    method: spec.method,
    url: localPath(app, spec.path),
    schema: schemaOf(name, spec, options.config),
    config: { ...options.config, route: name },
    ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
    ...(options.preValidation ? { preValidation: options.preValidation } : {}),
    ...(options.preHandler ? { preHandler: options.preHandler as preHandlerAsyncHookHandler } : {}),
    handler: async (request, reply) => {
      const answer = await handler(request as RouteRequest<Spec<N>>, reply);
      if (answer === reply || reply.sent) return reply;
      return reply.code(status!).send(status === 204 ? null : answer);
    },
  });
}

/** Registers WebSocket route `name` of the contracts' table; refusals before the upgrade are ordinary problem+json answers. */
export function socketRoute<N extends SocketName>(
  app: App,
  name: N,
  options: RouteOptions<SocketSpecOf<N>>,
  handler: (socket: WebSocket, request: RouteRequest<SocketSpecOf<N>>) => void | Promise<void>,
): void {
  const spec: SocketSpec = SOCKETS[name];
  app.route({
    method: 'GET',
    url: localPath(app, spec.path),
    schema: schemaOf(name, spec, options.config),
    config: { ...options.config, route: name },
    ...(options.preHandler ? { preHandler: options.preHandler as preHandlerAsyncHookHandler } : {}),
    websocket: true,
    handler: ((socket: WebSocket, request: FastifyRequest) => handler(socket, request as RouteRequest<SocketSpecOf<N>>)) as never,
  });
}

/** The problem codes route `name` may answer: its own and the common ones. */
export function declaredProblems(name: RouteName | SocketName): ReadonlySet<string> {
  const spec: RouteSpec | SocketSpec = name in ROUTES ? ROUTES[name as RouteName] : SOCKETS[name as SocketName];
  return new Set<string>([...COMMON_PROBLEMS, ...(spec.problems ?? [])]);
}
