import type { App } from '@berth/contracts';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { ActionTable } from '../../components/ActionTable.js';
import { useFocusReturn } from '../../components/use-focus-return.js';
import { useApps } from './apps.queries.js';
import { AppLink } from './AppLink.js';
import { AppStatus } from './AppStatus.js';
import { NewAppForm } from './NewAppForm.js';

const COLUMNS = ['Name', 'Status', 'Live release', 'URL', 'Last error'];

/** The acting organization's apps, polled while one deploys, and the form that makes another. */
export function AppsList() {
  const apps = useApps();
  const [creating, setCreating] = useState(false);
  const focus = useFocusReturn();
  const navigate = useNavigate();
  const close = () => {
    focus.request('new');
    setCreating(false);
  };

  return (
    <section className="page apps" aria-labelledby="apps-title">
      <header className="page-head">
        <div>
          <h1 id="apps-title">Apps</h1>
          <p className="muted">Long-running services built from a git branch or a folder of an environment, each at an address of its own.</p>
        </div>
        <button type="button" className="primary" aria-expanded={creating} aria-controls="apps-new" ref={focus.target('new')} onClick={() => (creating ? close() : setCreating(true))}>
          New app
        </button>
      </header>
      <div id="apps-new">{creating && <NewAppForm onCancel={close} onCreated={(app) => navigate(`/apps/${app.id}`)} />}</div>
      {apps.isPending && <p className="muted">Loading apps…</p>}
      {apps.error && (
        <p role="alert" className="error">
          Could not load apps: {apps.error.message}
        </p>
      )}
      {apps.data && apps.data.length === 0 && <p className="card muted">No apps yet.</p>}
      {apps.data && apps.data.length > 0 && (
        <div className="card apps-table-card">
          <ActionTable caption="Apps" columns={COLUMNS} actions={false} className="apps-table">
            {apps.data.map((app) => (
              <AppRow key={app.id} app={app} />
            ))}
          </ActionTable>
        </div>
      )}
    </section>
  );
}

function AppRow({ app }: { app: App }) {
  return (
    <tr data-app={app.id}>
      <th scope="row">
        <Link to={`/apps/${app.id}`} className="mono">
          {app.name}
        </Link>
      </th>
      <td>
        <AppStatus status={app.status} />
      </td>
      <td>{app.currentRelease === null ? <span className="muted">none</span> : `release ${app.currentRelease}`}</td>
      <td>
        <AppLink app={app} />
      </td>
      <td className="apps-error-cell">{app.lastError ? <span className="error">{app.lastError}</span> : <span className="muted">none</span>}</td>
    </tr>
  );
}
