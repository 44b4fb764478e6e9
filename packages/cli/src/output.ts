import type { Writable } from 'node:stream';

export interface Styles {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

const ansi = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
const plain = (s: string) => s;

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function stylesFor(stream: Writable & { isTTY?: boolean }, env: Record<string, string | undefined>): Styles {
  const on = Boolean(stream.isTTY) && !env.NO_COLOR;
  if (!on) return { bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain };
  return { bold: ansi(1, 22), dim: ansi(2, 22), red: ansi(31, 39), green: ansi(32, 39), yellow: ansi(33, 39), cyan: ansi(36, 39) };
}

// eslint-disable-next-line no-control-regex
const visibleLength = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '').length;

/** A left-aligned table with a bold header; an empty listing says so instead. */
export function table(styles: Styles, headers: string[], rows: string[][], empty = 'Nothing here yet.'): string {
  if (rows.length === 0) return `${styles.dim(empty)}\n`;
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - visibleLength(c))))
      .join('  ')
      .trimEnd();
  return `${[styles.bold(line(headers)), ...rows.map(line)].join('\n')}\n`;
}

export function statusColour(styles: Styles, status: string): string {
  if (status === 'running') return styles.green(status);
  if (status === 'error') return styles.red(status);
  if (status === 'stopped' || status === 'deleted') return styles.dim(status);
  return styles.yellow(status);
}

/** "3m ago", "2d ago": listings want a glance, not a timestamp. */
export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return '-';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}

export const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
