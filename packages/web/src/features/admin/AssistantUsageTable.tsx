import type { AssistantUsageRow } from '@berth/contracts';
import { AdminTable } from './AdminTable.js';

const COLUMNS = ['Day (UTC)', 'User', 'Requests', 'Tokens in', 'Tokens out', 'Cost (USD)'];
const count = new Intl.NumberFormat('en-US');
const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 4 });

/** AI assistant usage, one row per user and UTC day, newest first, with the period's totals. */
export function AssistantUsageTable({ caption, rows }: { caption: string; rows: AssistantUsageRow[] }) {
  const sorted = [...rows].sort((a, b) => b.day.localeCompare(a.day) || a.username.localeCompare(b.username));
  const total = rows.reduce((sum, r) => ({ requests: sum.requests + r.requests, in: sum.in + r.promptTokens, out: sum.out + r.completionTokens, cost: sum.cost + r.costUsd }), { requests: 0, in: 0, out: 0, cost: 0 });
  return (
    <>
      <p className="muted admin-lead" data-testid="assistant-usage-total">
        {count.format(total.requests)} requests, {count.format(total.in)} tokens in, {count.format(total.out)} tokens out, {usd.format(total.cost)}
      </p>
      <AdminTable caption={caption} columns={COLUMNS} empty="No assistant requests in this period.">
        {sorted.map((r) => (
          <tr key={`${r.day} ${r.userId}`} data-user={r.username} data-day={r.day}>
            <th scope="row">{r.day}</th>
            <td data-label="User">{r.username}</td>
            <td data-label="Requests">{count.format(r.requests)}</td>
            <td data-label="Tokens in">{count.format(r.promptTokens)}</td>
            <td data-label="Tokens out">{count.format(r.completionTokens)}</td>
            <td data-label="Cost (USD)">{usd.format(r.costUsd)}</td>
          </tr>
        ))}
      </AdminTable>
    </>
  );
}
