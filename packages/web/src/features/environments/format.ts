/** Display helpers shared by the environment, template and account views. */

export function formatMemory(mb: number): string {
  return mb >= 1024 && mb % 1024 === 0 ? `${mb / 1024} GiB` : mb >= 1024 ? `${(mb / 1024).toFixed(1)} GiB` : `${mb} MiB`;
}

export function formatCredits(n: number): string {
  return `${n} credit${n === 1 ? '' : 's'}`;
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 30],
  ['month', 12],
  ['year', Infinity],
];

/** "3 minutes ago", "in 2 days"; `fallback` when there is no time. */
export function formatRelative(iso: string | null, fallback = 'never'): string {
  if (!iso) return fallback;
  let value = (new Date(iso).getTime() - Date.now()) / 1000;
  for (const [unit, size] of STEPS) {
    if (Math.abs(value) < size) return relative.format(Math.round(value), unit);
    value /= size;
  }
  return fallback;
}

/** Full local date and time, for tooltips and tables. */
export function formatDateTime(iso: string | null, fallback = '—'): string {
  return iso ? new Date(iso).toLocaleString() : fallback;
}

/** Date and time to the second, for logs and admin tables. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}
