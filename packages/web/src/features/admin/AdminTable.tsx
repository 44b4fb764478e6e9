import type { ReactNode } from 'react';
import { TableHead } from '../../components/ActionTable.js';

type Props = {
  /** Names the table for screen readers. */
  caption: string;
  columns: readonly string[];
  /** Shown in a single row when there are no others. */
  empty?: string;
  /** A stale page stays on screen, dimmed, while the next one loads. */
  stale?: boolean;
  className?: string;
  children: ReactNode[];
};

/** A table of the admin console: headers by column, one card per row on narrow screens (admin.css). */
export function AdminTable({ caption, columns, empty, stale, className, children }: Props) {
  return (
    <div className="admin-table-wrap" aria-busy={stale || undefined}>
      <table className={['admin-table', className, stale ? 'admin-stale' : ''].filter(Boolean).join(' ')}>
        <caption className="admin-sr-only">{caption}</caption>
        <TableHead columns={columns} />
        <tbody>
          {children.length === 0 && empty && (
            <tr>
              <td colSpan={columns.length} className="muted">
                {empty}
              </td>
            </tr>
          )}
          {children}
        </tbody>
      </table>
    </div>
  );
}

/** The row under a table row that holds its open panel (an editor, a quota). */
export function DetailRow({ id, columns, children }: { id: string; columns: number; children: ReactNode }) {
  return (
    <tr className="admin-detail-row" id={id}>
      <td colSpan={columns}>{children}</td>
    </tr>
  );
}
