import { EventEmitter } from 'node:events';

/**
 * In-process wake-ups: "environment X has new events". Listeners then read the
 * events from the database, so a lost or duplicated signal costs nothing. With
 * several processes, followers also poll (see environments.routes).
 */
export function createEventBus() {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    publish(environmentId: string): void {
      emitter.emit(environmentId);
    },
    subscribe(environmentId: string, listener: () => void): () => void {
      emitter.on(environmentId, listener);
      return () => emitter.off(environmentId, listener);
    },
  };
}

export type EventBus = ReturnType<typeof createEventBus>;
