import type { EnvironmentStatus } from '@berth/contracts';
import { useEffect, useRef } from 'react';
import { useEnvironmentEvents } from './environment-events.js';

type Props = {
  environmentId: string;
  onStatus: (status: EnvironmentStatus) => void;
};

/** The environment's events from the first one, streaming as they come. */
export function ProvisioningLog({ environmentId, onStatus }: Props) {
  const { events, subscribe } = useEnvironmentEvents(environmentId);
  const list = useRef<HTMLOListElement>(null);
  const statusRef = useRef(onStatus);
  useEffect(() => {
    statusRef.current = onStatus;
  }, [onStatus]);

  useEffect(() => subscribe((event) => event.status && statusRef.current(event.status)), [subscribe]);

  useEffect(() => {
    const el = list.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [events]);

  return (
    <ol ref={list} className="event-log" role="log" aria-label="Provisioning log" aria-live="polite" tabIndex={0} data-testid="provision-log">
      {events.length === 0 && <li className="muted">Waiting for the first events…</li>}
      {events.map((event) => (
        <li key={event.seq} className={`event event-${event.type}`}>
          <time dateTime={event.createdAt}>{new Date(event.createdAt).toLocaleTimeString()}</time>
          <span className="event-type">{event.type}</span>
          <span className="event-message">{event.status && event.message !== event.status ? `${event.status}: ${event.message}` : event.message}</span>
        </li>
      ))}
    </ol>
  );
}
