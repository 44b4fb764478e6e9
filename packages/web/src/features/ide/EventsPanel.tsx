import type { EnvironmentEvent } from '@berth/contracts';
import { useEffect, useRef } from 'react';
import type { StreamState } from '../environments/environment-events.js';

const STREAM_LABEL: Record<StreamState, string> = { connecting: 'connecting', live: 'live', reconnecting: 'reconnecting…', gone: 'closed' };
const time = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });

/** The environment's event stream, folded into a bar until opened. */
export function EventsPanel({ events, stream, open, onToggle }: { events: EnvironmentEvent[]; stream: StreamState; open: boolean; onToggle: () => void }) {
  const log = useRef<HTMLOListElement>(null);
  useEffect(() => {
    const el = log.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [events.length, open]);
  const last = events[events.length - 1];
  return (
    <section className="ide-events" data-open={open ? '' : undefined} aria-label="Events">
      <button type="button" className="ide-events-toggle" aria-expanded={open} aria-controls="ide-events-log" onClick={onToggle}>
        <span className="ide-caret" aria-hidden="true">
          {open ? '▾' : '▸'}
        </span>
        Events <span className="muted">({events.length})</span>
        <span className={`ide-stream ide-stream-${stream}`}>{STREAM_LABEL[stream]}</span>
        {!open && last && <span className="ide-events-last muted">{last.message}</span>}
      </button>
      {open && (
        <ol id="ide-events-log" className="ide-events-log" ref={log} role="log" aria-label="Event log" tabIndex={0}>
          {events.length === 0 && <li className="muted">No events yet.</li>}
          {events.map((e) => (
            <li key={e.seq} data-type={e.type}>
              <time dateTime={e.createdAt}>{time(e.createdAt)}</time>
              <span className="ide-event-type">{e.type}</span>
              <span className="ide-event-message">{e.message}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
