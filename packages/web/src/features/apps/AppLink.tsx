import type { App } from '@berth/contracts';

/** Where the app answers, opened in a new tab (its origin is its own, never Berth's). */
export function AppLink({ app }: { app: App }) {
  return (
    <a href={app.url} target="_blank" rel="noopener noreferrer" className="mono apps-url">
      {app.url.replace(/^https?:\/\//, '')}
      <span className="visually-hidden"> (opens in a new tab)</span>
    </a>
  );
}
