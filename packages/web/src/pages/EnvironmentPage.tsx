import { useMemo } from 'react';
import { Link, useParams } from 'react-router-dom';
import { ApiError } from '../api/client.js';
import { EventsPanel } from '../features/ide/EventsPanel.js';
import { filesApi } from '../features/ide/files-api.js';
import { IdeHeader } from '../features/ide/IdeHeader.js';
import { IdeWorkspace } from '../features/ide/IdeWorkspace.js';
import { NotRunning } from '../features/ide/NotRunning.js';
import { useDarkTheme } from '../features/ide/use-document-theme.js';
import { useEditorTabs } from '../features/ide/use-editor-tabs.js';
import { useEnvironment } from '../features/environments/environments.queries.js';
import { useEnvironmentEvents } from '../features/environments/environment-events.js';
import { useLayout } from '../features/ide/use-layout.js';
import { ViewOnly } from '../features/ide/ViewOnly.js';
import '../features/environments/environments.css';
import '../features/ide/ide.css';

/** The IDE of one environment: files, editor, terminals, ports and its live events. */
export default function EnvironmentPage() {
  const { id = '' } = useParams();
  // A fresh IDE per environment: nothing carries over when the route switches to another.
  return <EnvironmentIde key={id} id={id} />;
}

function EnvironmentIde({ id }: { id: string }) {
  const env = useEnvironment(id);
  const { events, state, subscribe } = useEnvironmentEvents(id);
  const [layout, setLayout] = useLayout();
  const dark = useDarkTheme();
  const files = useMemo(() => filesApi(id), [id]);
  // Held here, above the running-only workspace, so open files and unsaved edits survive a stop or restart.
  const editor = useEditorTabs(files, dark);

  if (env.isPending) return <div className="loading">Loading environment…</div>;
  if (env.isError) {
    const missing = env.error instanceof ApiError && env.error.status === 404;
    return (
      <section className="page">
        <h1>{missing ? 'Environment not found' : 'Could not load the environment'}</h1>
        <p className="error" role="alert">
          {env.error.message}
        </p>
        <Link to="/">Back to environments</Link>
      </section>
    );
  }

  return (
    <div className="ide">
      <IdeHeader env={env.data} assistant={env.data.access === 'view' ? undefined : { open: layout.assistant, toggle: () => setLayout({ assistant: !layout.assistant }) }} />
      {env.data.access === 'view' ? (
        <ViewOnly env={env.data} />
      ) : env.data.status === 'running' ? (
        <IdeWorkspace
          envId={id}
          maySharePorts={env.data.access === 'manage'}
          files={files}
          editor={editor}
          dark={dark}
          subscribe={subscribe}
          layout={layout}
          setLayout={setLayout}
        />
      ) : (
        <NotRunning env={env.data} events={events} />
      )}
      <EventsPanel events={events} stream={state} open={layout.events} onToggle={() => setLayout({ events: !layout.events })} />
    </div>
  );
}
