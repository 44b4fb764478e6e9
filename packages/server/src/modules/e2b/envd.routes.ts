import type { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { gunzipBody } from '../../streams.js';
import type { App } from '../../http/types.js';
import type { EnvironmentsService } from '../environments/environments.service.js';
import type { FilesService } from '../files/files.service.js';
import { isInside, relative } from '../files/files.domain.js';
import type { AuditService } from '../audit/audit.service.js';
import type { LiveConnections } from '../auth/live-connections.js';
import { unframe } from './connect.js';
import { FilesQuerySchema } from './e2b.contracts.js';
import { SANDBOX_USERS, sandboxUser } from './e2b.domain.js';
import { connectCodeOf, E2bApiError, e2bStatusOf, EnvdError } from './e2b.errors.js';
import type { Sandbox } from './e2b.repo.js';
import type { E2bService } from './e2b.service.js';
import { registerEnvdFilesystemRoutes } from './envd.filesystem.routes.js';
import type { EnvdFiles } from './envd.files.js';
import { registerEnvdProcessRoutes } from './envd.process.routes.js';
import type { EnvdProcesses } from './envd.processes.js';

export interface EnvdDeps {
  e2b: Pick<E2bService, 'openedBy'>;
  processes: EnvdProcesses;
  /** The sandbox's filesystem (envd's view: any path in the container). */
  files: EnvdFiles;
  announce: FilesService['announce'];
  audit: Pick<AuditService, 'record'>;
  environments: Pick<EnvironmentsService, 'noteActivity'>;
  /** Process streams are registered here, so they end when the sandbox's owner is deactivated. */
  live: Pick<LiveConnections, 'open'>;
  maxFileBytes: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** On in-sandbox (envd) routes: the sandbox the access token opened. */
    sandbox: Sandbox;
  }
}

/**
 * Requests for a sandbox's own API (E2B's envd) name their sandbox in this
 * header; only they reach these routes, so /files and /health stay free for
 * the web app and everything else.
 */
const SANDBOX_HEADER = 'e2b-sandbox-id';
export const envdConstraint = { e2bSandbox: 'yes' };
type Strategy = Parameters<App['addConstraintStrategy']>[0];
type Handler = NonNullable<ReturnType<ReturnType<Strategy['storage']>['get']>>;
const sandboxHeaderStrategy: Strategy = {
  name: 'e2bSandbox',
  storage() {
    const handlers = new Map<unknown, Handler>();
    return { get: (value) => handlers.get(value) ?? null, set: (value, handler) => void handlers.set(value, handler) };
  },
  deriveConstraint: (req) => (req.headers[SANDBOX_HEADER] ? 'yes' : 'no'),
  mustMatchWhenDerived: false,
};

const isRpc = (url: string) => url.startsWith('/process.') || url.startsWith('/filesystem.');

/** A change made through the sandbox's API, announced like one made through Berth's files API. */
export type Announce = (request: FastifyRequest, action: string, event: 'file.changed' | 'file.deleted' | 'file.moved', data: Record<string, string>) => Promise<void>;

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
    envd.setErrorHandler((error, request, reply) => {
      const { status, message, internal } = e2bStatusOf(error);
      if (internal) request.log.error({ err: error }, 'unhandled error on the envd API');
      const text = internal ? `Internal error; quote request id ${String(request.id)}` : message;
      // Refused before its body was read in full (a gzip bomb, say): the rest is not worth receiving.
      if (!request.raw.complete) void reply.header('connection', 'close');
      // RPCs read a Connect error (a code name); /files and /health read E2B's {code: status}.
      const body = isRpc(request.url) ? { code: connectCodeOf(error, status), message: text } : { code: status, message: text };
      return reply.code(status).type('application/json').send(body);
    });

    envd.addHook('onRequest', async (request) => {
      const token = request.headers['x-access-token'];
      const opened = await deps.e2b.openedBy(String(request.headers[SANDBOX_HEADER]), typeof token === 'string' ? token : undefined);
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

    registerEnvdHttpRoutes(envd, deps, announce);
    registerEnvdProcessRoutes(envd, deps);
    registerEnvdFilesystemRoutes(envd, deps, announce);
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
    const written: { name: string; type: 'file'; path: string }[] = [];
    const save = async (given: string | undefined, data: Buffer) => {
      if (!given) throw new EnvdError('invalid_argument', 'name the file with the path query parameter or the part\'s file name');
      const entry = await deps.files.write(request.sandbox.env.id, given, data);
      await announce(request, 'file.write', 'file.changed', { path: entry.path });
      written.push(entry);
    };
    if (request.isMultipart()) {
      for await (const part of request.files()) await save(request.query.path ?? part.filename, await part.toBuffer());
    } else {
      const body = request.body;
      if (!Buffer.isBuffer(body)) throw new EnvdError('invalid_argument', 'send the file as multipart/form-data or application/octet-stream');
      await save(request.query.path, body);
    }
    if (written.length === 0) throw new EnvdError('invalid_argument', 'no file in the request');
    return written;
  });
}
