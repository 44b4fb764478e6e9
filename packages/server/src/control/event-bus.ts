import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { Database, Db } from '../db/client.js';
import type { Unlisten } from '../db/listen.js';

/** The PostgreSQL channel wake-ups travel on between Berth processes. */
export const EVENTS_CHANNEL = 'berth_events';
/** A notification's payload is at most 8000 bytes: ids are sent in groups that fit. */
const IDS_PER_NOTIFY = 150;

interface Deps {
  db: Db;
  database: Pick<Database, 'listen'>;
  log: FastifyBaseLogger;
}

/**
 * Wake-ups: "environment X has new events". Listeners then read the events from the database, so a
 * lost or duplicated signal costs nothing. A wake-up reaches this process's listeners at once and
 * every other Berth process on the same database through NOTIFY on EVENTS_CHANNEL (the ids of a
 * tick in one notification, tagged with this process, whose own echo is ignored). When the LISTEN
 * connection is lost and back, every listener reads again: what was notified in between is read then.
 */
export function createEventBus(deps: Deps) {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  const origin = randomBytes(6).toString('hex');
  const pending = new Set<string>();
  let flushing = false;
  let unlisten: Unlisten | undefined;

  /** Sends what this tick published to the other processes. */
  function flush(): void {
    const ids = [...pending];
    pending.clear();
    flushing = false;
    for (let i = 0; i < ids.length; i += IDS_PER_NOTIFY) {
      const payload = `${origin}:${ids.slice(i, i + IDS_PER_NOTIFY).join(',')}`;
      deps.db.execute(sql`select pg_notify(${EVENTS_CHANNEL}, ${payload})`).catch((err: unknown) => deps.log.warn({ err }, 'could not tell the other Berth processes about new events'));
    }
  }

  function received(payload: string): void {
    const [from, ids] = payload.split(':', 2);
    if (from === origin || !ids) return;
    for (const id of ids.split(',')) emitter.emit(id);
  }

  function wakeAll(): void {
    for (const name of emitter.eventNames()) emitter.emit(name);
  }

  return {
    publish(environmentId: string): void {
      emitter.emit(environmentId);
      pending.add(environmentId);
      if (!flushing) {
        flushing = true;
        setImmediate(flush);
      }
    },
    subscribe(environmentId: string, listener: () => void): () => void {
      emitter.on(environmentId, listener);
      return () => emitter.off(environmentId, listener);
    },
    /** Starts hearing the other processes (fails if it cannot: a process deaf to them must not serve). */
    async start(): Promise<void> {
      unlisten = await deps.database.listen(EVENTS_CHANNEL, received, {
        onLost: (err) => deps.log.warn({ err }, 'lost the connection listening for events; reconnecting'),
        onRestored: () => {
          deps.log.info('listening for events again; every follower reads what it may have missed');
          wakeAll();
        },
      });
    },
    async stop(): Promise<void> {
      await unlisten?.();
      unlisten = undefined;
    },
  };
}

export type EventBus = ReturnType<typeof createEventBus>;
