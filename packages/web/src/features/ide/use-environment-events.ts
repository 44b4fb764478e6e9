import { SOCKET_CLOSE_NOT_FOUND, type Environment, type EnvironmentEvent } from '@berth/contracts';
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { wsUrl } from '../../api/client.js';

const KEEP = 1000;
const MAX_BACKOFF_MS = 10_000;

export type Listener = (event: EnvironmentEvent) => void;
export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'gone';

/**
 * The environment's event stream over WebSocket: replays from seq 0, then
 * follows. After a drop it reconnects with since=<last seq seen>, so nothing is
 * missed or repeated. Status events update the cached environment at once.
 */
export function useEnvironmentEvents(id: string) {
  const client = useQueryClient();
  const [events, setEvents] = useState<EnvironmentEvent[]>([]);
  const [state, setState] = useState<StreamState>('connecting');
  const listeners = useRef(new Set<Listener>());

  useEffect(() => {
    let lastSeq = 0;
    let socket: WebSocket | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let attempts = 0;
    let closed = false;
    setEvents([]);
    setState('connecting');

    const onEvent = (event: EnvironmentEvent) => {
      if (event.seq <= lastSeq) return;
      lastSeq = event.seq;
      setEvents((list) => (list.length >= KEEP ? [...list.slice(-KEEP + 1), event] : [...list, event]));
      if (event.type === 'status' && event.status) {
        const status = event.status;
        client.setQueryData<Environment>(['environment', id], (env) => (env ? { ...env, status } : env));
        void client.invalidateQueries({ queryKey: ['environment', id], exact: true });
      }
      for (const listener of listeners.current) listener(event);
    };

    const connect = () => {
      const ws = new WebSocket(wsUrl(`/environments/${id}/events/ws?since=${lastSeq}`));
      socket = ws;
      ws.onopen = () => {
        attempts = 0;
        setState('live');
      };
      ws.onmessage = (message) => {
        if (typeof message.data === 'string') onEvent(JSON.parse(message.data) as EnvironmentEvent);
      };
      ws.onclose = (close) => {
        if (closed) return;
        if (close.code === SOCKET_CLOSE_NOT_FOUND) return setState('gone');
        setState('reconnecting');
        retry = setTimeout(connect, Math.min(MAX_BACKOFF_MS, 500 * 2 ** attempts++));
      };
    };
    // Deferred so React's development double-mount does not open and abort a socket.
    retry = setTimeout(connect, 0);
    return () => {
      closed = true;
      clearTimeout(retry);
      socket?.close();
    };
  }, [id, client]);

  const subscribe = useCallback((listener: Listener) => {
    listeners.current.add(listener);
    return () => void listeners.current.delete(listener);
  }, []);

  return { events, state, subscribe };
}
