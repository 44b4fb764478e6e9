import type { App, Release } from '@berth/contracts';
import { useState, type FormEvent } from 'react';
import { ActionTable } from '../../components/ActionTable.js';
import { ActionError, Field } from '../../components/Field.js';
import { formatDateTime, formatRelative } from '../environments/format.js';
import { useReleases, useRollbackApp } from './apps.queries.js';
import { AppStatus } from './AppStatus.js';

const COLUMNS = ['Release', 'Kind', 'Status', 'Commit', 'Created', 'Error'];
/** A commit is shown by its first characters, as git does; the whole is in the tooltip. */
const SHORT_COMMIT = 12;

/** The app's releases, newest first, and going back to one that went live. */
export function ReleasesSection({ app }: { app: App }) {
  const releases = useReleases(app.id);
  return (
    <section className="card apps-section" aria-labelledby="app-releases-title">
      <h2 id="app-releases-title">Releases</h2>
      {releases.isPending && <p className="muted">Loading releases…</p>}
      {releases.error && (
        <p role="alert" className="error">
          Could not load releases: {releases.error.message}
        </p>
      )}
      {releases.data && (
        <>
          <RollbackForm app={app} releases={releases.data} />
          {releases.data.length === 0 ? (
            <p className="muted">No releases yet.</p>
          ) : (
            <ActionTable caption="Releases" columns={COLUMNS} actions={false} className="apps-table">
              {releases.data.map((release) => (
                <ReleaseRow key={release.number} release={release} current={release.number === app.currentRelease} />
              ))}
            </ActionTable>
          )}
        </>
      )}
    </section>
  );
}

function ReleaseRow({ release, current }: { release: Release; current: boolean }) {
  return (
    <tr data-release={release.number}>
      <th scope="row">
        {release.number}
        {current && <span className="visually-hidden"> (serving)</span>}
      </th>
      <td>
        {release.kind === 'rollback' && release.rollbackOf !== null ? `rollback to ${release.rollbackOf}` : release.kind}
        {release.buildSummary && <div className="muted apps-small">{release.buildSummary}</div>}
      </td>
      <td>
        <AppStatus status={release.status} />
      </td>
      <td className="mono" title={release.sourceRef ?? undefined}>
        {release.sourceRef ? release.sourceRef.slice(0, SHORT_COMMIT) : <span className="muted">—</span>}
      </td>
      <td className="apps-nowrap" title={formatDateTime(release.createdAt)}>
        {formatRelative(release.createdAt)}
      </td>
      <td className="apps-error-cell">{release.error ? <span className="error">{release.error}</span> : null}</td>
    </tr>
  );
}

/** Only a release that went live has an image and config known to work; the serving one is not a way back. */
function RollbackForm({ app, releases }: { app: App; releases: Release[] }) {
  const rollback = useRollbackApp(app.id);
  const targets = releases.filter((r) => r.liveAt !== null && r.number !== app.currentRelease);
  const [chosen, setChosen] = useState('');
  const target = targets.find((r) => String(r.number) === chosen) ?? targets[0];
  const [done, setDone] = useState('');

  if (targets.length === 0) return <p className="muted apps-small">No earlier release went live yet: there is nothing to roll back to.</p>;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!target) return;
    setDone('');
    rollback.mutate(target.number, { onSuccess: (made) => setDone(`Release ${made.number} goes back to release ${target.number}.`) });
  };

  return (
    <form className="apps-rollback" aria-label="Roll back" onSubmit={submit}>
      <Field label="Roll back to">
        {(control) => (
          <select {...control} name="release" value={target ? String(target.number) : ''} onChange={(e) => setChosen(e.target.value)}>
            {targets.map((r) => (
              <option key={r.number} value={r.number}>
                {`Release ${r.number} (${r.kind}${r.sourceRef ? `, ${r.sourceRef.slice(0, SHORT_COMMIT)}` : ''})`}
              </option>
            ))}
          </select>
        )}
      </Field>
      <button type="submit" disabled={rollback.isPending || app.status === 'deleting'}>
        {rollback.isPending ? 'Rolling back…' : 'Roll back'}
      </button>
      <span role="status" className="apps-ok">
        {done}
      </span>
      <ActionError message={rollback.error?.message} />
    </form>
  );
}
