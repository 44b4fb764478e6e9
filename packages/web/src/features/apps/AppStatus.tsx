import type { App, AppDatabase, Release } from '@berth/contracts';

type Status = App['status'] | Release['status'] | AppDatabase['status'];

/** A status as a badge, coloured by how it is going (apps.css): settled well, on its way, or failed. */
export function AppStatus({ status }: { status: Status }) {
  return <span className={`badge apps-status apps-status-${status}`}>{status}</span>;
}
