import path from 'node:path/posix';

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
