import type { IncomingMessage } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import type { Actor } from '../../context.js';
import { UnauthorizedError, ValidationError } from '../../errors.js';
import type { App } from '../../http/types.js';
import { VERSION } from '../../version.js';
import type { AuditService } from '../audit/audit.service.js';
import { authorize } from '../auth/authorize.js';
import type { LiveConnections } from '../auth/live-connections.js';
import type { EnvdProcesses } from '../e2b/envd.processes.js';
import { createMcpProcesses } from './mcp.processes.js';
import { registerRunCode } from './mcp.run-code.js';
import { mcpSdk } from './mcp.sdk.js';
import { createMcpSessions, type McpSession } from './mcp.sessions.js';
import { CONTEXT_KEY } from './mcp.tool.js';
import { registerMcpTools, type McpToolDeps } from './mcp.tools.js';

export const MCP_PATH = '/mcp';
const SESSION_HEADER = 'mcp-session-id';

interface Deps extends Omit<McpToolDeps, 'processes' | 'log' | 'readyTimeoutMs' | 'environments'> {
  environments: McpToolDeps['environments'] & Parameters<typeof createMcpProcesses>[0]['environments'];
  envdProcesses: Pick<EnvdProcesses, 'start' | 'kill'>;
  audit: Pick<AuditService, 'record'>;
  live: Pick<LiveConnections, 'open'>;
  limits: Config['mcp'];
  /** Output a background process keeps per stream. */
  maxOutputBytes: number;
}

const INSTRUCTIONS =
  'Berth runs development environments: Linux containers with a persistent /workspace. ' +
  'Typical flow: list_machine_types, create_environment, write_files, exec (background: true for servers, then process_status), ' +
  'get_preview_url for a web app, stop_environment or delete_environment when done. run_code runs a snippet in a throwaway environment. ' +
  'Refusals start with a stable code (token_scope, not_found, insufficient_credits, environment_not_running, ...).';

/**
 * The MCP endpoint: Streamable HTTP (the official SDK's transport) at /mcp,
 * POST for messages, GET for the server's event stream, DELETE to end a
 * session. Only an API token is accepted (never the session cookie, so no other
 * site can drive it with a signed-in browser); each request is authenticated
 * anew, and its context is what the tools act with (mcp.tool.ts).
 */
export function registerMcpRoutes(app: App, deps: Deps): void {
  const log = app.log;
  const processes = createMcpProcesses({ processes: deps.envdProcesses, environments: deps.environments, audit: deps.audit, maxOutputBytes: deps.maxOutputBytes });
  const toolDeps: McpToolDeps = { ...deps, processes, log, readyTimeoutMs: deps.limits.readyTimeoutMs };
  const sessions = createMcpSessions({
    live: deps.live,
    maxPerUser: deps.limits.maxSessionsPerUser,
    idleMs: deps.limits.sessionIdleMs,
    log,
    newServer: async () => {
      const { McpServer } = await mcpSdk();
      const server = new McpServer({ name: 'berth', version: VERSION }, { instructions: INSTRUCTIONS });
      registerMcpTools(server, toolDeps);
      registerRunCode(server, toolDeps);
      return server;
    },
  });
  app.addHook('preClose', () => sessions.closeAll());

  /** A Berth API token, of any scope (each tool checks the one it needs). */
  const tokenCaller = async (request: FastifyRequest) => {
    const actor = request.ctx.actor;
    if (actor?.via !== 'token') throw new UnauthorizedError('The MCP endpoint takes a Berth API token: Authorization: Bearer <token>');
    authorize(actor, 'scope.read');
  };
  const sessionIdOf = (request: FastifyRequest) => {
    const value = request.headers[SESSION_HEADER];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const noSession = () => new ValidationError([{ field: `headers.${SESSION_HEADER}`, message: 'Required: open a session with an initialize request first' }]);

  /** Hands the request to the session's transport, which answers it (JSON, or an event stream). */
  async function serve(session: McpSession, request: FastifyRequest, reply: FastifyReply, body?: unknown): Promise<void> {
    const actor = request.ctx.actor as Actor;
    const raw = request.raw as IncomingMessage & { auth?: AuthInfo };
    // The tools act as this request's caller: their scope, organization and audit rows are this request's.
    raw.auth = { token: '', clientId: actor.credentialId, scopes: [actor.scope], extra: { [CONTEXT_KEY]: request.ctx } };
    const done = sessions.begin(session);
    reply.raw.once('close', done);
    // A client that gave up before this request was served (its event stream aborted at once) has closed already: no event will come.
    if (reply.raw.destroyed || request.raw.socket.destroyed) done();
    reply.hijack();
    try {
      await session.transport.handleRequest(raw, reply.raw, body);
    } catch (err) {
      log.error({ err, session: session.id }, 'MCP request failed');
      if (!reply.raw.headersSent) reply.raw.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: null }));
      else reply.raw.end();
    }
  }

  const schema = { hide: true };
  app.route({
    method: 'POST',
    url: MCP_PATH,
    schema,
    onRequest: tokenCaller,
    handler: async (request, reply) => {
      const id = sessionIdOf(request);
      if (id !== undefined) return serve(sessions.find(id, request.ctx.actor!), request, reply, request.body);
      if (!(await mcpSdk()).isInitializeRequest(request.body)) throw noSession();
      const session = await sessions.open(request.ctx.actor!, request.liveSince);
      await serve(session, request, reply, request.body);
      // An initialize the transport refused opened nothing.
      if (session.transport.sessionId === undefined) await sessions.close(session);
    },
  });
  app.route({
    method: ['GET', 'DELETE'],
    url: MCP_PATH,
    schema,
    onRequest: tokenCaller,
    handler: async (request, reply) => {
      const id = sessionIdOf(request);
      if (id === undefined) throw noSession();
      return serve(sessions.find(id, request.ctx.actor!), request, reply);
    },
  });
}
