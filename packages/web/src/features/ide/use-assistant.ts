import type { AssistantClientMessage, AssistantServerEvent } from '@berth/contracts';
import { useCallback, useEffect, useReducer, useRef } from 'react';
import { urlPath } from '../../api/client.js';
import { openReconnectingSocket, type ReconnectingSocket } from '../../api/reconnecting-socket.js';
import { assistantReducer, initialAssistantState } from './assistant-state.js';

/**
 * The environment's assistant socket and what it has said: the greeting, the
 * conversations, and the current one as it streams. Reconnects after a drop
 * (the server greets again with where things stand).
 */
export function useAssistant(envId: string) {
  const [state, dispatch] = useReducer(assistantReducer, initialAssistantState);
  const socket = useRef<ReconnectingSocket | null>(null);

  useEffect(() => {
    const s = openReconnectingSocket({
      path: () => urlPath`/environments/${envId}/assistant`,
      onOpen: () => dispatch({ type: 'link', link: 'live' }),
      onMessage: (data) => {
        if (typeof data !== 'string') return;
        dispatch({ type: 'event', event: JSON.parse(data) as AssistantServerEvent });
      },
      onDrop: () => dispatch({ type: 'link', link: 'reconnecting' }),
      onEnd: () => dispatch({ type: 'link', link: 'gone' }),
    });
    socket.current = s;
    return () => {
      s.stop();
      socket.current = null;
    };
  }, [envId]);

  const send = useCallback((message: AssistantClientMessage) => socket.current?.send(JSON.stringify(message)), []);

  return {
    state,
    ask: (text: string) => {
      send({ text });
      dispatch({ type: 'sent', text });
    },
    stop: () => send({ action: 'stop' }),
    newConversation: () => send({ action: 'new' }),
    switchTo: (conversationId: string) => send({ action: 'switch', conversationId }),
    remove: (conversationId: string) => send({ action: 'delete', conversationId }),
    clear: () => send({ action: 'clear' }),
  };
}
