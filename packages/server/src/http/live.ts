import type { IncomingMessage } from 'node:http';
import { SOCKET_CLOSE_REVOKED, SOCKET_CLOSE_REVOKED_REASON } from '@berth/contracts';
import type { WebSocket } from 'ws';
import { principalOf, type LiveConnections, type Principal } from '../modules/auth/live-connections.js';
import type { App } from './types.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** `LiveConnections.epoch()` before the caller was authenticated. */
    liveSince: number;
    /**
     * On a WebSocket upgrade: registers it for `principal` (refused over the per-user cap, closed when
     * the principal is revoked). Done for Berth's signed-in callers; routes with their own credentials
     * (previews) call it themselves.
     */
    trackUpgrade: (principal: Principal) => void;
  }
}

/** A revoked client that does not answer the close frame is cut off after this long. */
const CLOSE_GRACE_MS = 1_000;

/** Closes a WebSocket as revoked: a close frame clients can branch on, then the connection itself. */
export function closeRevoked(socket: WebSocket): void {
  socket.close(SOCKET_CLOSE_REVOKED, SOCKET_CLOSE_REVOKED_REASON);
  setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
}

/**
 * Every WebSocket with a signed-in caller, whatever its route, is registered
 * with that caller before the upgrade: refused there (problem+json 429) over
 * the per-user cap, and closed with SOCKET_CLOSE_REVOKED when its user,
 * session or token is revoked. Register before the auth plugin, so the epoch
 * is taken before the caller is looked up.
 */
export function registerLiveSockets(app: App, { live }: { live: LiveConnections }): void {
  /** Upgrade requests that passed, until the WebSocket exists. */
  const upgrading = new WeakMap<IncomingMessage, (socket: WebSocket) => void>();

  app.decorateRequest('liveSince', 0);
  app.decorateRequest('trackUpgrade', null as never);
  app.addHook('onRequest', async (request) => {
    request.liveSince = live.epoch();
    request.trackUpgrade = (principal) => {
      const connection = request.raw.socket;
      if (!request.ws || connection.destroyed) return;
      let socket: WebSocket | undefined;
      // Revoked before the upgrade finished: there is no WebSocket to close yet, only the connection.
      const release = live.open(principal, 'socket', () => (socket ? closeRevoked(socket) : connection.destroy()), request.liveSince);
      // The upgraded WebSocket keeps this TCP connection: its end frees the slot, whatever ended it.
      connection.once('close', release);
      upgrading.set(request.raw, (ws) => (socket = ws));
    };
  });

  // After every route's own onRequest checks (authentication, requireCaller) and validation.
  app.addHook('preHandler', async (request) => {
    const actor = request.ctx.actor;
    if (actor) request.trackUpgrade(principalOf(actor));
  });

  app.websocketServer.on('connection', (socket: WebSocket, raw: IncomingMessage) => {
    upgrading.get(raw)?.(socket);
    upgrading.delete(raw);
  });
}
