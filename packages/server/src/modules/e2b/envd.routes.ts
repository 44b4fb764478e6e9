import type { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { HOP_BY_HOP, proxyHttp, whenListening } from '../../http/proxy.js';
import { gunzipBody } from '../../streams.js';
import type { App } from '../../http/types.js';
import { isInside, relative } from '../files/files.domain.js';
import { unframe } from './connect-protocol.js';
import { FilesQuerySchema } from './e2b.contracts.js';
import { SANDBOX_USERS, sandboxUser } from './e2b.domain.js';
import { connectShape, e2bShape, registerE2bErrorHandler } from './e2b.error-handler.js';
import { E2bApiError, EnvdError } from './e2b.errors.js';
import { envdConstraint, type Announce, type EnvdDeps } from './envd.context.js';
import type { UploadedFile } from './envd.files.js';
import { registerEnvdFilesystemRoutes } from './envd.filesystem.routes.js';
import { createEnvdProcessService } from './envd.process.service.js';
import { registerEnvdProcessRoutes } from './envd.process.routes.js';

export type { EnvdDeps } from './envd.context.js';

/**
 * Requests for a sandbox's own API (E2B's envd) name their sandbox in this
 * header; only they reach these routes, so /files and /health stay free for
 * the web app and everything else.
 */
const SANDBOX_HEADER = 'e2b-sandbox-id';
/**
 * The port a request is for (E2B_SANDBOX_URL sends every port's requests to one URL): envd's own
 * (or none) reaches the routes below; any other is relayed to that port inside the sandbox, where
 * the code interpreter answers on 49999.
 */
const PORT_HEADER = 'e2b-sandbox-port';
export const ENVD_PORT = 49983;
const portOf = (request: { headers: Record<string, string | string[] | undefined> }) => {
  const port = request.headers[PORT_HEADER];
  return typeof port === 'string' && port !== String(ENVD_PORT) ? port : undefined;
};
const header = (request: FastifyRequest, name: string) => {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
};
type Strategy = Parameters<App['addConstraintStrategy']>[0];
type Handler = NonNullable<ReturnType<ReturnType<Strategy['storage']>['get']>>;
const sandboxHeaderStrategy: Strategy = {
  name: 'e2bSandbox',
  storage() {
    const handlers = new Map<unknown, Handler>();
    return { get: (value) => handlers.get(value) ?? null, set: (value, handler) => void handlers.set(value, handler) };
  },
  deriveConstraint: (req) => (!req.headers[SANDBOX_HEADER] ? 'no' : portOf(req) ? 'port' : 'yes'),
  mustMatchWhenDerived: false,
};

const isRpc = (url: string) => url.startsWith('/process.') || url.startsWith('/filesystem.');

/**
 * E2B's in-sandbox API (docs/e2b-protocol.md §3), served by Berth on its own
 * port for every sandbox: the sandbox is named by the E2b-Sandbox-Id header and
 * opened by its X-Access-Token. It runs on Berth's runtime: processes through
 * `spawn`, files through exec and archives. The caller acts as the sandbox's owner.
 */
export async function registerEnvdRoutes(app: App, deps: EnvdDeps): Promise<void> {
  app.addConstraintStrategy(sandboxHeaderStrategy);
  await app.register(async (envd: App) => {
    envd.decorateRequest('sandbox', null as never);
    // RPCs read a Connect error (a code name); /files and /health read E2B's {code: status}.
    registerE2bErrorHandler(envd, 'envd API', (request) => (isRpc(request.url) ? connectShape : e2bShape), (request, reply) => {
      // Refused before its body was read in full (a gzip bomb, say): the rest is not worth receiving.
      if (!request.raw.complete) void reply.header('connection', 'close');
    });

    envd.addHook('onRequest', async (request) => {
      const credentials = { accessToken: header(request, 'x-access-token'), trafficToken: header(request, 'e2b-traffic-access-token') };
      const opened = await deps.e2b.openedBy(String(request.headers[SANDBOX_HEADER]), credentials, { ports: portOf(request) !== undefined });
      // The SDK reads 502 as "the sandbox is gone" (killed or timed out), whatever the route.
      if ('refused' in opened) throw opened.refused === 'gone' ? new E2bApiError(502, 'The sandbox was not found') : new EnvdError('unauthenticated', 'The access token does not open this sandbox');
      const { env } = opened.sandbox;
      request.sandbox = opened.sandbox;
      request.ctx.actor = { id: env.ownerId, username: env.ownerUsername, isAdmin: false, orgId: env.orgId, orgRole: 'member', via: 'token', credentialId: `sandbox:${env.id}`, scope: 'exec' };
      const user = sandboxUser(request.headers.authorization, (request.query as { username?: string } | undefined)?.username);
      if (user === null) throw new EnvdError('unauthenticated', `Berth sandboxes have the users ${SANDBOX_USERS.join(' and ')}`);
    });

    envd.addContentTypeParser('application/connect+json', { parseAs: 'buffer' }, (_request, body, done) => {
      try {
        done(null, unframe(body as Buffer));
      } catch (err) {
        done(new EnvdError('invalid_argument', (err as Error).message));
      }
    });
    envd.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: deps.maxFileBytes }, (_request, body, done) => done(null, body));
    // Keep the folders in a part's file name: with several files in one request, it is each one's destination.
    await envd.register(multipart, { preservePath: true, limits: { fileSize: deps.maxFileBytes, files: 1000, fields: 100 } });

    // Paths in the workspace as Berth's files API shows them (relative), others as they are.
    const announce: Announce = (request, action, event, data) =>
      deps.announce(request.ctx, request.sandbox.env.id, action, event, { ...Object.fromEntries(Object.entries(data).map(([k, v]) => [k, isInside(v) ? relative(v) : v])), via: 'e2b' });

    await envd.register(async (ports: App) => registerSandboxPortProxy(ports, deps));
    registerEnvdHttpRoutes(envd, deps, announce);
    registerEnvdProcessRoutes(envd, deps, createEnvdProcessService(deps));
    registerEnvdFilesystemRoutes(envd, deps, announce);
  });
}

/**
 * Requests for the sandbox's other ports, relayed as they are (body and answer streamed) to that port
 * inside it: the credentials they came with stay here, never reaching the server inside.
 */
function registerSandboxPortProxy(ports: App, deps: EnvdDeps): void {
  ports.removeAllContentTypeParsers();
  ports.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  const withheld = new Set(['x-access-token', 'e2b-traffic-access-token', 'authorization', 'cookie', SANDBOX_HEADER, PORT_HEADER]);
  ports.route({
    method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    url: '/*',
    schema: { hide: true },
    constraints: { e2bSandbox: 'port' },
    handler: async (request, reply) => {
      const port = Number(portOf(request));
      if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new EnvdError('invalid_argument', `${PORT_HEADER} must be a port number`);
      const { env } = request.sandbox;
      const endpoint = await deps.endpoint(env.id, port);
      deps.environments.noteActivity(env.id, 'e2b');
      // A sandbox answers as soon as it runs; the server in it (the code interpreter) may take a moment
      // more. Only a sandbox that started lately is waited for: later requests go straight through.
      const startingFor = env.startedAt ? deps.portWaitMs - (Date.now() - env.startedAt.getTime()) : deps.portWaitMs;
      if (startingFor > 0) await whenListening(endpoint.host, endpoint.port, startingFor);
      const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => !withheld.has(name) && !HOP_BY_HOP.has(name)));
      await proxyHttp(request, reply, { ...endpoint, headers }, {
        connectTimeoutMs: deps.connectTimeoutMs,
        // The SDK reads 502 as "the sandbox timed out"; nothing listening is the sandbox's own business.
        unreachable: (why) => new E2bApiError(503, `Nothing answers on port ${port} in the sandbox (${why})`),
        responseHeaders: (answer) => Object.fromEntries(Object.entries(answer).filter(([name]) => !HOP_BY_HOP.has(name) && name !== 'set-cookie')),
      });
      return reply;
    },
  });
}

function registerEnvdHttpRoutes(envd: App, deps: EnvdDeps, announce: Announce): void {
  const schema = { hide: true };
  envd.get('/health', { schema, constraints: envdConstraint }, async (_request, reply) => reply.code(204).send());

  envd.get('/files', { schema: { ...schema, querystring: FilesQuerySchema }, constraints: envdConstraint }, async (request, reply) => {
    if (!request.query.path) throw new EnvdError('invalid_argument', 'the path query parameter is required');
    const content = await deps.files.read(request.sandbox.env.id, request.query.path);
    deps.environments.noteActivity(request.sandbox.env.id, 'e2b');
    return reply.type('application/octet-stream').send(content);
  });

  // A gzip-encoded body is inflated as it arrives, and the body limit counts the inflated bytes.
  const preParsing = async (request: FastifyRequest, _reply: unknown, payload: Readable) =>
    request.headers['content-encoding'] === 'gzip' && !request.isMultipart() ? gunzipBody(payload) : payload;
  envd.post('/files', { schema: { ...schema, querystring: FilesQuerySchema }, constraints: envdConstraint, bodyLimit: deps.maxFileBytes, preParsing }, async (request) => {
    const written = (entry: { path: string }) => announce(request, 'file.write', 'file.changed', { path: entry.path });
    return deps.files.writeAll(request.sandbox.env.id, uploadedFiles(request, request.query.path), written);
  });
}

/** The files of an upload: each part of a multipart body (named by ?path= or its file name), or the whole body as one file. */
async function* uploadedFiles(request: FastifyRequest, path: string | undefined): AsyncIterable<UploadedFile> {
  if (request.isMultipart()) {
    for await (const part of request.files()) yield { path: path ?? part.filename, content: () => part.toBuffer() };
    return;
  }
  const body = request.body;
  if (!Buffer.isBuffer(body)) throw new EnvdError('invalid_argument', 'send the file as multipart/form-data or application/octet-stream');
  yield { path, content: async () => body };
}
