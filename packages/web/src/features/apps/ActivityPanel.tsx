import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { queryKeys } from '../../api/query-keys.js';
import { useAppEvents } from './apps.queries.js';

/** Within this many pixels of the bottom, the log counts as followed and scrolls with new lines. */
const FOLLOW_SLACK_PX = 24;

/**
 * What happens to the app as it happens: build output, release steps, switches and rollbacks.
 * New lines are appended and the log scrolls to them unless the reader has scrolled up to read.
 * A new line usually means a release or the app changed: those are asked for again at once.
 */
export function ActivityPanel({ appId }: { appId: string }) {
  const events = useAppEvents(appId);
  const client = useQueryClient();
  const list = useRef<HTMLOListElement>(null);
  const following = useRef(true);
  const items = events.data ?? [];
  const lastSeq = items.at(-1)?.seq ?? 0;

  // The first answer is history, fetched with the app; only what comes after it is news.
  const seenSeq = useRef<number | null>(null);
  const loaded = events.data !== undefined;
  useEffect(() => {
    if (!loaded) return;
    const before = seenSeq.current;
    seenSeq.current = lastSeq;
    if (before === null || before === lastSeq) return;
    void client.invalidateQueries({ queryKey: queryKeys.app.self(appId) });
    void client.invalidateQueries({ queryKey: queryKeys.app.releases(appId) });
  }, [client, appId, lastSeq, loaded]);

  useEffect(() => {
    const el = list.current;
    if (el && following.current) el.scrollTop = el.scrollHeight;
  }, [lastSeq]);

  const onScroll = () => {
    const el = list.current;
    if (el) following.current = el.scrollHeight - el.scrollTop - el.clientHeight < FOLLOW_SLACK_PX;
  };

  return (
    <section className="card apps-section" aria-labelledby="app-activity-title">
      <h2 id="app-activity-title">Activity</h2>
      {events.error && (
        <p role="alert" className="error">
          Could not load the activity: {events.error.message}
        </p>
      )}
      <ol ref={list} className="event-log apps-activity" role="log" aria-label="Activity log" aria-live="polite" tabIndex={0} onScroll={onScroll}>
        {items.length === 0 && <li className="muted">{events.isPending ? 'Loading…' : 'Nothing has happened yet.'}</li>}
        {items.map((event) => (
          <li key={event.seq} className={`event apps-event apps-event-${event.type}`}>
            <time dateTime={event.createdAt}>{new Date(event.createdAt).toLocaleTimeString()}</time>
            <span className="event-type">{event.release === null ? event.type : `${event.type} #${event.release}`}</span>
            <span className="event-message">{event.message}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
