import { SOCKET_CLOSE_NOT_FOUND, type EnvironmentEvent } from '@berth/contracts';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { wsUrl } from '../../api/client.js';
import { environmentsKey } from './environments.queries.js';

type Handlers = {
  onEvent: (event: EnvironmentEvent) => void;
  /** The server closed with 4404: the environment is gone or not ours. */
  onGone?: () => void;
};

const MAX_BACKOFF_MS = 30_000;
const NOT_FOUND = SOCKET_CLOSE_NOT_FOUND;

/**
 * Follows an environment's events over WebSocket: the server replays what
 * came after `since`, then streams live. A dropped connection reconnects with
 * backoff from the last event seen, so nothing is missed or repeated.
 * Returns a function that stops following.
 */
export function followEnvironmentEvents(id: string, since: number, handlers: Handlers): () => void {
  let last = since;
  let stopped = false;
  let failures = 0;
  let socket: WebSocket | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const connect = () => {
    const ws = new WebSocket(wsUrl(`/environments/${encodeURIComponent(id)}/events/ws?since=${last}`));
    socket = ws;
    ws.onopen = () => {
      failures = 0;
    };
    ws.onmessage = (message: MessageEvent<string>) => {
      const event = JSON.parse(message.data) as EnvironmentEvent;
      if (event.seq <= last) return;
      last = event.seq;
      handlers.onEvent(event);
    };
    ws.onclose = (close) => {
      if (stopped) return;
      if (close.code === NOT_FOUND) {
        handlers.onGone?.();
        return;
      }
      timer = setTimeout(connect, Math.min(MAX_BACKOFF_MS, 1000 * 2 ** failures++));
    };
  };
  connect();

  return () => {
    stopped = true;
    clearTimeout(timer);
    const ws = socket;
    if (!ws) return;
    // Closing a socket that is still connecting makes the browser log an error; close it once it opens.
    if (ws.readyState === WebSocket.CONNECTING) ws.onopen = () => ws.close();
    else ws.close();
  };
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
        void client.invalidateQueries({ queryKey: environmentsKey });
        void client.invalidateQueries({ queryKey: ['me'] });
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
        onGone: refresh,
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
