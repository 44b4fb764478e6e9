import path from 'node:path/posix';
import type { FileEntry } from '@berth/contracts';

export const WORKSPACE = '/workspace';

/**
 * A path from the API, made absolute inside the workspace. Relative paths are
 * relative to /workspace; absolute ones must already be inside it. Returns
 * null when the path leaves the workspace (lexically: symlinks are checked
 * against the real file system separately) or is not a clean string.
 */
export function confine(input: string): string | null {
  if (input.includes('\0') || input.length > 4096) return null;
  const absolute = input.startsWith('/') ? path.normalize(input) : path.normalize(path.join(WORKSPACE, input));
  return isInside(absolute) ? absolute.replace(/\/+$/, '') || '/' : null;
}

/** Whether an absolute, normalised path is the workspace or below it. */
export function isInside(absolute: string): boolean {
  const clean = absolute.replace(/\/+$/, '');
  return clean === WORKSPACE || clean.startsWith(`${WORKSPACE}/`);
}

/** The path as the API shows it: relative to the workspace ("" is the workspace itself). */
export function relative(absolute: string): string {
  return path.relative(WORKSPACE, absolute);
}

/**
 * Whether an archive entry may be unpacked at `dir`: its name and, for links,
 * its target must stay inside the workspace.
 */
export function safeArchiveEntry(dir: string, entry: { name: string; type: string; linkname?: string }): boolean {
  if (entry.name.includes('\0') || entry.name.startsWith('/')) return false;
  const within = (p: string) => p === dir || p.startsWith(`${dir}/`);
  const target = path.normalize(path.join(dir, entry.name));
  if (!within(target) || !isInside(target)) return false;
  if (entry.type === 'symlink' || entry.type === 'link') {
    if (!entry.linkname || entry.linkname.startsWith('/')) return false;
    const base = entry.type === 'symlink' ? path.dirname(target) : dir;
    return within(path.normalize(path.join(base, entry.linkname)));
  }
  return ['file', 'directory'].includes(entry.type);
}

/*
 * The stat fields of an entry, '|'-separated, as every script prints them.
 * No field can hold a '|' or a newline (types are words, names of users and
 * groups have neither), so a name, where one is printed, goes last and may
 * contain anything but a newline. Numeric ids come too: an owner without a
 * passwd entry prints as UNKNOWN.
 */
export const STAT_FIELDS = '%F|%s|%a|%A|%u|%g|%U|%G|%Y';
const FIELDS_LINE = /^([a-z ]+)\|(\d+)\|([0-7]+)\|(\S+)\|(\d+)\|(\d+)\|([^|]*)\|([^|]*)\|(-?\d+)(?:\|(.*))?$/;

/** What stat says about an entry (a link's own, not its target's). */
export interface StatEntry {
  type: FileEntry['type'];
  /** Bytes, as stat printed them (a decimal string: sizes may pass 2^53). */
  size: string;
  /** Permission bits in octal, as stat printed them ("644", "4755"). */
  mode: string;
  /** ls-style, "-rw-r--r--". */
  permissions: string;
  owner: string;
  group: string;
  /** ISO 8601. */
  mtime: string;
  /** For a link: its target as written in it (only where the script prints it). */
  symlinkTarget?: string;
}

/** stat's %F, the type's name, as one of four types. */
export function typeOf(kind: string): FileEntry['type'] {
  if (kind === 'directory') return 'dir';
  if (kind === 'symbolic link') return 'symlink';
  return kind.startsWith('regular') ? 'file' : 'other';
}

/** One stat line, and the name printed after the fields (listings only); null if it does not parse. */
export function parseStatLine(line: string): { entry: StatEntry; printed?: string } | null {
  const m = FIELDS_LINE.exec(line);
  if (!m) return null;
  const [, kind = '', size = '0', mode = '0', permissions = '', uid, gid, user, group, mtime, printed] = m;
  const entry: StatEntry = {
    type: typeOf(kind),
    size,
    mode,
    permissions,
    owner: !user || user === 'UNKNOWN' ? (uid ?? '') : user,
    group: !group || group === 'UNKNOWN' ? (gid ?? '') : group,
    mtime: new Date(Number(mtime) * 1000).toISOString(),
  };
  return { entry, ...(printed === undefined ? {} : { printed }) };
}

/** The STAT script's answer (fields, then "@target" for a link); null if it does not parse. */
export function parseStat(stdout: string): StatEntry | null {
  const newline = stdout.indexOf('\n');
  const [first, rest] = newline < 0 ? [stdout, ''] : [stdout.slice(0, newline), stdout.slice(newline + 1)];
  const parsed = parseStatLine(first);
  if (!parsed) return null;
  if (parsed.entry.type === 'symlink' && rest.startsWith('@')) parsed.entry.symlinkTarget = rest.slice(1).replace(/\n$/, '');
  return parsed.entry;
}

export type TreeEntry = StatEntry & { name: string; path: string };

/**
 * The TREE script's answer as entries under `dir` in a walk's order (each
 * folder's names sorted, parents first). Devices, fifos and sockets are left out.
 */
export function parseTree(stdout: string, dir: string): TreeEntry[] {
  const lines = stdout.split('\n');
  const targets = new Map<string, string>();
  lines.forEach((line, i) => {
    const next = lines[i + 1];
    if (line.startsWith('>') && next?.startsWith('@')) targets.set(line.slice(1), next.slice(1));
  });
  const entries: TreeEntry[] = [];
  for (const line of lines) {
    const parsed = line.startsWith('>') || line.startsWith('@') ? null : parseStatLine(line);
    const printed = parsed?.printed;
    if (!parsed || !printed?.startsWith('./') || parsed.entry.type === 'other') continue;
    const rel = printed.slice(2);
    const target = parsed.entry.type === 'symlink' ? targets.get(printed) : undefined;
    entries.push({ ...parsed.entry, name: path.basename(rel), path: path.join(dir, rel), ...(target ? { symlinkTarget: target } : {}) });
  }
  return entries.sort(byWalkOrder(dir));
}

/** Compares paths name by name, so "a/b" comes right after "a" and before "a-c", as a walk visits them. */
function byWalkOrder(dir: string) {
  const parts = (p: string) => path.relative(dir, p).split('/');
  return (a: TreeEntry, b: TreeEntry): number => {
    const [x, y] = [parts(a.path), parts(b.path)];
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
    return x.length - y.length;
  };
}
