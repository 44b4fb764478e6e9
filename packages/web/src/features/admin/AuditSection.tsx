import type { AuditEntry } from '@berth/contracts';
import { useId, useState, type FormEvent } from 'react';
import { INSTANCE_AUDIT, useAuditPage, type AuditFilters, type AuditSource } from './admin.queries.js';
import { ActionError, ChoiceField, TextField } from '../../components/Field.js';
import { AdminTable } from './AdminTable.js';
import { describeError } from '../../api/describe-error.js';
import { formatTime } from '../environments/format.js';

const NO_FILTERS: AuditFilters = { actor: '', action: '', targetType: '', targetId: '' };
const FILTER_FIELDS = [
  { name: 'actor', label: 'Actor id', placeholder: 'user id (UUID)' },
  { name: 'action', label: 'Action', placeholder: 'e.g. user.create' },
  { name: 'targetType', label: 'Target type', placeholder: 'e.g. user' },
  { name: 'targetId', label: 'Target id', placeholder: '' },
] as const;
const PAGE_SIZES = [25, 50, 100] as const;

/**
 * An audit log, newest first, a page at a time: the instance's in the admin
 * console, or (given its source, without the filters it does not take) one
 * organization's on its settings page.
 */
export function AuditSection({ source = INSTANCE_AUDIT, filterable = true, className }: { source?: AuditSource; filterable?: boolean; className?: string }) {
  const id = useId();
  const [draft, setDraft] = useState<AuditFilters>(NO_FILTERS);
  const [filters, setFilters] = useState<AuditFilters>(NO_FILTERS);
  const [limit, setLimit] = useState<number>(50);
  // Cursors of the pages shown so far: the last one is the current page's `before`.
  const [cursors, setCursors] = useState<string[]>([]);
  const before = cursors.at(-1);
  const page = useAuditPage(source, filters, before, limit);
  const nextCursor = page.isPlaceholderData ? null : page.data?.nextCursor;
  const problem = describeError(page.error, [...FILTER_FIELDS.map((f) => f.name), 'limit', 'before']);

  function apply(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setFilters(draft);
    setCursors([]);
  }

  const pageSize = (
    <ChoiceField
      label="Per page"
      choices={PAGE_SIZES}
      value={limit}
      onChange={(size) => {
        setLimit(size);
        setCursors([]);
      }}
    />
  );

  return (
    <section aria-labelledby={`${id}-title`} className={className}>
      <div className="admin-section-head">
        <h2 id={`${id}-title`}>Audit log</h2>
      </div>
      {filterable ? (
        <form role="search" aria-label="Filter the audit log" className="card admin-form" onSubmit={apply} noValidate>
          <div className="admin-grid">
            {FILTER_FIELDS.map((f) => (
              <TextField
                key={f.name}
                label={f.label}
                name={f.name}
                autoComplete="off"
                placeholder={f.placeholder}
                value={draft[f.name]}
                onChange={(e) => setDraft((d) => ({ ...d, [f.name]: e.target.value }))}
                error={problem.fields[f.name]}
              />
            ))}
            {pageSize}
          </div>
          <div className="row">
            <button type="submit" className="primary">
              Apply filters
            </button>
            <button
              type="button"
              onClick={() => {
                setDraft(NO_FILTERS);
                setFilters(NO_FILTERS);
                setCursors([]);
              }}
            >
              Clear filters
            </button>
          </div>
          <ActionError message={page.error && Object.keys(problem.fields).length === 0 ? problem.message : null} />
        </form>
      ) : (
        <div className="admin-form">
          <div className="admin-grid">{pageSize}</div>
          <ActionError message={problem.message} />
        </div>
      )}

      <nav className="row admin-pager" aria-label="Audit log pages">
        <button type="button" disabled={cursors.length === 0} onClick={() => setCursors([])}>
          Newest
        </button>
        <button type="button" disabled={!nextCursor} onClick={() => nextCursor && setCursors((c) => [...c, nextCursor])}>
          Older
        </button>
        <span className="muted" aria-live="polite">
          Page {cursors.length + 1}
          {page.isFetching ? ' · loading…' : ''}
        </span>
      </nav>

      {!page.data ? (
        !page.error && <p className="muted">Loading the audit log…</p>
      ) : (
        <AuditTable entries={page.data.items} stale={page.isPlaceholderData} />
      )}
    </section>
  );
}

const COLUMNS = ['Time', 'Actor', 'Action', 'Target', 'Result', 'IP', 'Message', 'Metadata'];

function AuditTable({ entries, stale }: { entries: AuditEntry[]; stale: boolean }) {
  return (
    <AdminTable caption="Audit log entries, newest first" columns={COLUMNS} empty="No entries match." stale={stale} className="admin-audit">
      {entries.map((entry) => (
        <AuditRow key={entry.id} entry={entry} />
      ))}
    </AdminTable>
  );
}

function AuditRow({ entry }: { entry: AuditEntry }) {
  const metadataKeys = Object.keys(entry.metadata).length;
  return (
    <tr data-audit-id={entry.id}>
      <td data-label="Time" className="admin-nowrap">
        <time dateTime={entry.createdAt}>{formatTime(entry.createdAt)}</time>
      </td>
      <td data-label="Actor" title={entry.actorId ?? undefined}>{entry.actorUsername ?? entry.actorId ?? <span className="muted">system</span>}</td>
      <td data-label="Action" className="mono">{entry.action}</td>
      <td data-label="Target" className="mono">
        {entry.targetType ? (
          <div>
            {entry.targetType}
            {entry.targetId && <div className="admin-id">{entry.targetId}</div>}
          </div>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td data-label="Result">{entry.success ? <span className="badge admin-badge-ok">Success</span> : <span className="badge admin-badge-off">Failed</span>}</td>
      <td data-label="IP" className="mono">{entry.ip ?? <span className="muted">—</span>}</td>
      <td data-label="Message" className="admin-break">{entry.message || <span className="muted">—</span>}</td>
      <td data-label="Metadata">
        {metadataKeys === 0 ? (
          <span className="muted">—</span>
        ) : (
          <details className="admin-metadata">
            <summary>Details ({metadataKeys})</summary>
            <pre>{JSON.stringify(entry.metadata, null, 2)}</pre>
          </details>
        )}
      </td>
    </tr>
  );
}
