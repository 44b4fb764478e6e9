import type { App } from '@berth/contracts';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { ApiError } from '../../api/client.js';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { ActionError } from '../../components/Field.js';
import { ActivityPanel } from './ActivityPanel.js';
import { useApp, useDeleteApp, useDeployApp } from './apps.queries.js';
import { AppLink } from './AppLink.js';
import { AppStatus } from './AppStatus.js';
import { ConfigSection } from './ConfigSection.js';
import { DatabaseSection } from './DatabaseSection.js';
import { LogsPanel } from './LogsPanel.js';
import { ReleasesSection } from './ReleasesSection.js';
import { TrafficSection } from './TrafficSection.js';
import { WebhookSection } from './WebhookSection.js';

/** One app: where it answers, its releases, its traffic and what is happening to it, its logs, config, database and webhook. */
export function AppDetail() {
  const id = useParams<{ id: string }>().id!;
  const app = useApp(id);

  if (app.isPending) return <p className="page muted">Loading the app…</p>;
  if (app.error) {
    const gone = app.error instanceof ApiError && app.error.status === 404;
    return (
      <section className="page">
        <p role="alert" className="error">
          {gone ? 'There is no such app in this organization.' : `Could not load the app: ${app.error.message}`}
        </p>
        <Link to="/apps">Back to apps</Link>
      </section>
    );
  }
  return <AppView app={app.data} />;
}

function AppView({ app }: { app: App }) {
  return (
    <section className="page apps apps-detail" aria-labelledby="app-title">
      <Link to="/apps" className="apps-back">
        ← Apps
      </Link>
      <AppHeader app={app} />
      <ReleasesSection app={app} />
      <TrafficSection app={app} />
      <div className="apps-columns">
        <ActivityPanel appId={app.id} />
        <LogsPanel app={app} />
      </div>
      <div className="apps-columns">
        <ConfigSection appId={app.id} />
        <div className="apps-stack">
          <DatabaseSection app={app} />
          <WebhookSection appId={app.id} />
        </div>
      </div>
    </section>
  );
}

function AppHeader({ app }: { app: App }) {
  const deploy = useDeployApp(app.id);
  const source = app.source.kind === 'git' ? `${app.source.url} (${app.source.branch})` : `${app.source.path} of an environment`;
  return (
    <header className="apps-head">
      <div className="apps-head-main">
        <div className="row">
          <h1 id="app-title" className="mono">
            {app.name}
          </h1>
          <AppStatus status={app.status} />
        </div>
        <p className="apps-facts">
          <AppLink app={app} />
          <span className="muted">
            from <span className="mono">{source}</span>, port {app.port}
            {app.healthPath && <>, health {app.healthPath}</>}
          </span>
        </p>
        {app.lastError && <p className="error">Last error: {app.lastError}</p>}
      </div>
      <div className="apps-head-actions">
        <div className="row">
          <button type="button" className="primary" disabled={deploy.isPending || app.status === 'deleting'} onClick={() => deploy.mutate()}>
            {deploy.isPending ? 'Deploying…' : 'Deploy'}
          </button>
          <DeleteAppButton app={app} />
        </div>
        <ActionError message={deploy.error?.message} />
      </div>
    </header>
  );
}

function DeleteAppButton({ app }: { app: App }) {
  const remove = useDeleteApp(app.id);
  const navigate = useNavigate();
  const [asking, setAsking] = useState(false);
  const close = () => {
    remove.reset();
    setAsking(false);
  };
  return (
    <>
      <button type="button" className="danger" disabled={app.status === 'deleting'} onClick={() => setAsking(true)}>
        Delete app
      </button>
      <ConfirmDialog
        open={asking}
        title={`Delete ${app.name}?`}
        confirmLabel="Delete app"
        pending={remove.isPending}
        error={remove.error?.message}
        onCancel={close}
        onConfirm={() => remove.mutate(undefined, { onSuccess: () => navigate('/apps') })}
      >
        <p>
          Its replicas stop and its address stops answering. Its releases, images, config and its database (with the data) go too. This cannot be undone.
        </p>
      </ConfirmDialog>
    </>
  );
}
