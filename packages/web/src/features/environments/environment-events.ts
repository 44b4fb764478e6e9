import type { Environment, EnvironmentEvent } from '@berth/contracts';
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { urlPath } from '../../api/client.js';
import { queryKeys } from '../../api/query-keys.js';
import { openReconnectingSocket } from '../../api/reconnecting-socket.js';

type Handlers = {
  onEvent: (event: EnvironmentEvent) => void;
  onOpen?: () => void;
  onDrop?: () => void;
  /** The stream closed for good: the environment is gone or not ours, or the credentials were revoked. */
  onEnd?: () => void;
};

/**
 * Follows an environment's events: the server replays what came after `since`,
 * then streams live. A dropped connection resumes from the last event seen, so
 * nothing is missed or repeated. Returns a function that stops following.
 */
export function followEnvironmentEvents(id: string, since: number, handlers: Handlers): () => void {
  let last = since;
  const socket = openReconnectingSocket({
    path: () => `${urlPath`/environments/${id}/events/ws`}?since=${last}`,
    onOpen: () => handlers.onOpen?.(),
    onMessage: (data) => {
      if (typeof data !== 'string') return;
      const event = JSON.parse(data) as EnvironmentEvent;
      if (event.seq <= last) return;
      last = event.seq;
      handlers.onEvent(event);
    },
    onDrop: () => handlers.onDrop?.(),
    onEnd: () => handlers.onEnd?.(),
  });
  return socket.stop;
}

const KEEP = 1000;

export type Listener = (event: EnvironmentEvent) => void;
export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'gone';

/**
 * One environment's events from the first, as the IDE and the provisioning log
 * show them (the last thousand). Status events update the cached environment at
 * once; `subscribe` hands every new event to a listener too.
 */
export function useEnvironmentEvents(id: string) {
  const client = useQueryClient();
  const [events, setEvents] = useState<EnvironmentEvent[]>([]);
  const [state, setState] = useState<StreamState>('connecting');
  const listeners = useRef(new Set<Listener>());

  useEffect(() => {
    setEvents([]);
    setState('connecting');
    return followEnvironmentEvents(id, 0, {
      onOpen: () => setState('live'),
      onDrop: () => setState('reconnecting'),
      onEnd: () => setState('gone'),
      onEvent: (event) => {
        setEvents((list) => (list.length >= KEEP ? [...list.slice(-KEEP + 1), event] : [...list, event]));
        if (event.type === 'status' && event.status) {
          const status = event.status;
          client.setQueryData<Environment>(queryKeys.environment(id), (env) => (env ? { ...env, status } : env));
          void client.invalidateQueries({ queryKey: queryKeys.environment(id), exact: true });
        }
        for (const listener of listeners.current) listener(event);
      },
    });
  }, [id, client]);

  const subscribe = useCallback((listener: Listener) => {
    listeners.current.add(listener);
    return () => void listeners.current.delete(listener);
  }, []);

  return { events, state, subscribe };
}

/** Events that change what the environment list shows (file edits and build output do not). */
const listChanging = (event: EnvironmentEvent) => event.status !== null || ['intent', 'retry', 'error', 'exited', 'auto_stop'].includes(event.type);

/** Last event seen per environment, so coming back to the dashboard does not replay whole histories. */
const lastSeen = new Map<string, number>();

/**
 * Keeps the cached environment list live: one event stream per environment,
 * and a burst of events (a replay, a fast transition) becomes one refetch of
 * the list and of the caller's credits.
 */
export function useLiveEnvironments(ids: readonly string[]) {
  const client = useQueryClient();
  const followers = useRef(new Map<string, () => void>());
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const key = [...ids].sort().join(',');

  useEffect(() => {
    const refresh = () => {
      clearTimeout(timer.current);
      timer.current = setTimeout(() => {
        void client.invalidateQueries({ queryKey: queryKeys.environments });
        void client.invalidateQueries({ queryKey: queryKeys.me });
      }, 120);
    };
    const wanted = new Set(key ? key.split(',') : []);
    const current = followers.current;
    for (const [id, stop] of current) {
      if (wanted.has(id)) continue;
      stop();
      current.delete(id);
    }
    for (const id of wanted) {
      if (current.has(id)) continue;
      const stop = followEnvironmentEvents(id, lastSeen.get(id) ?? 0, {
        onEvent: (event) => {
          lastSeen.set(id, event.seq);
          if (listChanging(event)) refresh();
        },
        onEnd: refresh,
      });
      current.set(id, stop);
    }
  }, [client, key]);

  useEffect(() => {
    const current = followers.current;
    return () => {
      clearTimeout(timer.current);
      for (const stop of current.values()) stop();
      current.clear();
    };
  }, []);
}
