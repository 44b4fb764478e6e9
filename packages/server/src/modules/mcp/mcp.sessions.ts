import { randomUUID } from 'node:crypto';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyBaseLogger } from 'fastify';
import type { Actor } from '../../context.js';
import { AppError, NotFoundError } from '../../errors.js';
import { mcpSdk } from './mcp.sdk.js';
import { principalOf, type LiveConnections, type Principal } from '../auth/live-connections.js';

interface Deps {
  live: Pick<LiveConnections, 'open'>;
  /** A server with every tool registered: one per session, as the SDK pairs them. */
  newServer: () => Promise<McpServer>;
  maxPerUser: number;
  idleMs: number;
  log: FastifyBaseLogger;
}

export interface McpSession {
  id: string;
  principal: Principal;
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  /** Requests (POSTs answering, GET event streams) still open: the session is idle only without any. */
  inFlight: number;
  idle?: NodeJS.Timeout;
  release: () => void;
  closed: boolean;
}

/**
 * The MCP sessions of this process (stateful Streamable HTTP, `mcp-session-id`).
 * A session belongs to the token that opened it: any other credential naming
 * it is told it does not exist. Each counts as a live connection of that
 * token, so revoking the token (or its user) ends it at once; each user may hold
 * `maxPerUser`, and one without a request for `idleMs` is closed.
 */
export function createMcpSessions({ live, newServer, maxPerUser, idleMs, log }: Deps) {
  const sessions = new Map<string, McpSession>();

  const countOf = (userId: string) => [...sessions.values()].filter((s) => s.principal.userId === userId).length;

  async function close(session: McpSession): Promise<void> {
    if (session.closed) return;
    session.closed = true;
    clearTimeout(session.idle);
    sessions.delete(session.id);
    session.release();
    // Ends its event streams and the server's side of the protocol; the transport's onclose lands here again, closed.
    await session.server.close().catch((err: unknown) => log.warn({ err, session: session.id }, 'closing an MCP session failed'));
  }

  /** A new session for the caller (its first request, `initialize`, is the caller's to hand over). */
  async function open(actor: Actor, since: number): Promise<McpSession> {
    if (countOf(actor.id) >= maxPerUser) {
      throw new AppError('socket_limit', `A user may have ${maxPerUser} MCP sessions open; end one (DELETE /mcp) or let an idle one expire`);
    }
    const id = randomUUID();
    const { StreamableHTTPServerTransport } = await mcpSdk();
    const session: McpSession = {
      id,
      principal: principalOf(actor),
      transport: new StreamableHTTPServerTransport({ sessionIdGenerator: () => id, onsessionclosed: () => close(session) }),
      server: await newServer(),
      inFlight: 0,
      release: () => undefined,
      closed: false,
    };
    // Refused here if the token was revoked since the request was authenticated.
    session.release = live.open(session.principal, 'stream', () => void close(session), since);
    sessions.set(id, session);
    session.transport.onclose = () => void close(session);
    try {
      await session.server.connect(session.transport);
    } catch (err) {
      await close(session);
      throw err;
    }
    return session;
  }

  /** The caller's session `id`; another credential's, or none, is not found (as any MCP server answers an unknown session). */
  function find(id: string, actor: Actor): McpSession {
    const session = sessions.get(id);
    if (!session || session.principal.userId !== actor.id || session.principal.credentialId !== actor.credentialId) throw new NotFoundError('MCP session');
    return session;
  }

  /** Marks a request of the session open until `done` is called; the idle clock runs only between requests. */
  function begin(session: McpSession): () => void {
    session.inFlight += 1;
    clearTimeout(session.idle);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      session.inFlight -= 1;
      if (session.inFlight > 0 || session.closed) return;
      session.idle = setTimeout(() => void close(session), idleMs);
      session.idle.unref();
    };
  }

  return {
    open,
    find,
    begin,
    close,
    /** On shutdown: every session ends, so app.close() does not wait on open event streams. */
    closeAll: () => Promise.all([...sessions.values()].map(close)).then(() => undefined),
    count: countOf,
  };
}

export type McpSessions = ReturnType<typeof createMcpSessions>;
