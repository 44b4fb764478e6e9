import type { ReactNode } from 'react';

type Props = {
  /** Names the table for screen readers. */
  caption: string;
  columns: readonly string[];
  /** Whether the rows end in an action cell (RowAction), under a header named only for screen readers. */
  actions?: boolean;
  className?: string;
  children: ReactNode;
};

/** A table whose rows may end in an action (revoke, remove); it scrolls sideways on narrow screens. */
export function ActionTable({ caption, columns, actions = true, className, children }: Props) {
  return (
    <div className="table-scroll">
      <table className={className}>
        <caption className="visually-hidden">{caption}</caption>
        <TableHead columns={columns} actions={actions} />
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** A table's header row: a column header by name, and with `actions` one more named only for screen readers. */
export function TableHead({ columns, actions = false }: { columns: readonly string[]; actions?: boolean }) {
  return (
    <thead>
      <tr>
        {columns.map((c) => (
          <th key={c} scope="col">
            {c}
          </th>
        ))}
        {actions && (
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        )}
      </tr>
    </thead>
  );
}

/** The last cell of an ActionTable row: one destructive button, `name` saying what it acts on. */
export function RowAction({ label, name, disabled, onClick }: { label: string; name?: string; disabled?: boolean; onClick: () => void }) {
  return (
    <td className="cell-actions">
      <button type="button" className="danger" aria-label={name} disabled={disabled} onClick={onClick}>
        {label}
      </button>
    </td>
  );
}
