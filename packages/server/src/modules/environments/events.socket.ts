import { SOCKET_CLOSE_NOT_FOUND } from '@berth/contracts';
import type { WebSocket } from 'ws';
import type { FastifyRequest } from 'fastify';
import type { EventBus } from '../../control/event-bus.js';
import type { EnvironmentsService } from './environments.service.js';

/** Events read from the database at a time. */
const BATCH = 500;

export interface FollowDeps {
  environments: EnvironmentsService;
  bus: EventBus;
  /** pingMs: keepalive. */
  timing: { pingMs: number };
}

/**
 * Replays events after `since`, then follows: every wake-up (from this Berth
 * process or another, see control/event-bus.ts) reads what is new from the
 * database, so the stream has no gaps and no duplicates however the wake-ups arrive.
 */
export function followEvents(socket: WebSocket, request: FastifyRequest, deps: FollowDeps): void {
  const { id } = request.params as { id: string };
  let last = (request.query as { since: number }).since;
  let reading: Promise<void> | undefined;
  let again = false;

  const pump = async () => {
    do {
      again = false;
      const items = await deps.environments.events(request.ctx, id, last, BATCH);
      for (const item of items) {
        if (socket.readyState !== socket.OPEN) return;
        socket.send(JSON.stringify(item));
        last = item.seq;
      }
      if (items.length === BATCH) again = true;
    } while (again);
  };
  const read = () => {
    if (reading) {
      again = true;
      return;
    }
    reading = pump()
      .catch((err: unknown) => {
        request.log.warn({ err }, 'event stream closed on error');
        socket.close(1011, 'internal error');
      })
      .finally(() => {
        reading = undefined;
        if (again) read();
      });
  };

  const unsubscribe = deps.bus.subscribe(id, read);
  const ping = setInterval(() => socket.ping(), deps.timing.pingMs);
  socket.on('close', () => {
    unsubscribe();
    clearInterval(ping);
  });
  // Authorization happened in the first read: someone else's environment closes the socket as not found.
  deps.environments
    .visible(request.ctx.actor, id)
    .then(read)
    .catch(() => socket.close(SOCKET_CLOSE_NOT_FOUND, 'not found'));
}
