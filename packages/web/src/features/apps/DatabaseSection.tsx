import type { App, AppDatabase } from '@berth/contracts';
import { useState } from 'react';
import { ActionError } from '../../components/Field.js';
import { formatDateTime } from '../environments/format.js';
import { useAddDatabase, useAppDatabase, useRemoveDatabase } from './apps.queries.js';
import { AppStatus } from './AppStatus.js';
import { NameConfirmDialog } from './NameConfirmDialog.js';

/** The app's managed PostgreSQL: attached with a button, deleted (with its data) only once the app's name is typed. */
export function DatabaseSection({ app }: { app: App }) {
  const database = useAppDatabase(app.id);
  const add = useAddDatabase(app.id);
  return (
    <section className="card apps-section" aria-labelledby="app-database-title">
      <h2 id="app-database-title">Database</h2>
      {database.isPending ? (
        <p className="muted">Loading…</p>
      ) : database.error ? (
        <p role="alert" className="error">
          Could not load the database: {database.error.message}
        </p>
      ) : database.data ? (
        <AttachedDatabase app={app} database={database.data} />
      ) : (
        <>
          <p className="muted apps-small">
            A PostgreSQL of the app&apos;s own, in its own container and volume. Its URL is set as the secret <span className="mono">DATABASE_URL</span>, which makes a new
            release.
          </p>
          <div className="row">
            <button type="button" disabled={add.isPending || app.status === 'deleting'} onClick={() => add.mutate()}>
              {add.isPending ? 'Attaching…' : 'Attach database'}
            </button>
          </div>
          <ActionError message={add.error?.message} />
        </>
      )}
    </section>
  );
}

function AttachedDatabase({ app, database }: { app: App; database: AppDatabase }) {
  const remove = useRemoveDatabase(app.id);
  const [asking, setAsking] = useState(false);
  const close = () => {
    remove.reset();
    setAsking(false);
  };
  return (
    <>
      <dl className="apps-facts-list">
        <dt>Status</dt>
        <dd>
          <AppStatus status={database.status} />
        </dd>
        <dt>Engine</dt>
        <dd>
          PostgreSQL {database.version}
        </dd>
        <dt>Database</dt>
        <dd className="mono">{database.name}</dd>
        <dt>User</dt>
        <dd className="mono">{database.username}</dd>
        <dt>Created</dt>
        <dd>{formatDateTime(database.createdAt)}</dd>
      </dl>
      {database.status !== 'deleting' && (
        <div className="row">
          <button type="button" className="danger" onClick={() => setAsking(true)}>
            Delete database
          </button>
        </div>
      )}
      <NameConfirmDialog
        open={asking}
        title="Delete the database?"
        name={app.name}
        confirmLabel="Delete database"
        pending={remove.isPending}
        error={remove.error?.message}
        onCancel={close}
        onConfirm={(typed) => remove.mutate(typed, { onSuccess: close })}
      >
        <p>
          The database <span className="mono">{database.name}</span> and every row in it are deleted, and <span className="mono">DATABASE_URL</span> goes from the
          config. Take a backup first if you need the data. This cannot be undone.
        </p>
      </NameConfirmDialog>
    </>
  );
}
