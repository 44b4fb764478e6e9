import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, readlink, realpath, symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { CliError } from './context.js';

/** Packs the contents of a local folder (not the folder itself) as tar.gz, in memory: uploads are bounded by the server anyway. */
export async function packFolder(root: string): Promise<{ archive: Buffer; entries: number }> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const ended = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  let entries = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const full = path.join(dir, name);
      const rel = path.relative(root, full).split(path.sep).join('/');
      const info = await lstat(full);
      const header = { name: rel, mode: info.mode & 0o7777, mtime: info.mtime };
      entries++;
      if (info.isDirectory()) {
        pack.entry({ ...header, type: 'directory' });
        await walk(full);
      } else if (info.isSymbolicLink()) {
        pack.entry({ ...header, type: 'symlink', linkname: await readlink(full) });
      } else if (info.isFile()) {
        pack.entry({ ...header, type: 'file' }, await readFile(full));
      } else {
        entries--; // sockets, fifos and devices do not travel
      }
    }
  };
  await walk(root);
  pack.finalize();
  await ended;
  return { archive: gzipSync(Buffer.concat(chunks)), entries };
}

/** Symlinks followed while resolving one path before it counts as a loop (as Linux's MAXSYMLINKS). */
const MAX_LINK_HOPS = 40;

const within = (root: string, p: string) => p === root || p.startsWith(root.endsWith(path.sep) ? root : `${root}${path.sep}`);

/**
 * Where `p` really leads on this disk: every symlink on the way is followed
 * (and `..` taken after it, as the kernel does); from the first part that does
 * not exist the rest is read as written. Null for a loop.
 */
async function realTarget(p: string): Promise<string | null> {
  const pending = p.split(/[\\/]+/).filter(Boolean);
  const top = path.parse(p).root;
  let current = top;
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      current = path.dirname(current);
      continue;
    }
    const next = path.join(current, part);
    const info = await lstat(next).catch(() => undefined);
    if (!info) return path.resolve(next, ...pending);
    if (!info.isSymbolicLink()) {
      current = next;
      continue;
    }
    if (++hops > MAX_LINK_HOPS) return null;
    const link = await readlink(next);
    pending.unshift(...link.split(/[\\/]+/).filter(Boolean));
    if (path.isAbsolute(link)) current = path.parse(link).root || top;
  }
  return current;
}

/**
 * Unpacks a folder download into `dest`; the server's archive holds the folder
 * under its own name, so the first path component is dropped. An environment
 * decides what is in the archive, so nothing may land outside `dest`:
 * - an absolute name, or one that climbs with `..`, refuses the copy;
 * - nothing is written through a symlink, whether the archive made it or it was
 *   on disk before (a copy into the same folder again): every folder an entry
 *   lands in must be a real folder, and a file never replaces a link;
 * - symlinks are made last, so no entry can pass through one, and only those
 *   that lead inside `dest`; any other is skipped with a `warn`ing.
 */
export async function unpackFolder(archive: Buffer, dest: string, warn: (message: string) => void): Promise<number> {
  await mkdir(dest, { recursive: true });
  // Real, so a destination reached through a link of the user's own (macOS's /tmp) is not mistaken for one planted.
  const root = await realpath(dest);
  const links: { target: string; linkname: string; name: string }[] = [];
  const extract = tar.extract();
  let count = 0;
  const refuse = (name: string, why: string) => new CliError(`refusing archive entry "${name}": ${why}`, `nothing was written outside ${dest}`);

  async function checkPlace(name: string, target: string): Promise<void> {
    if (links.some((l) => within(l.target, target) && l.target !== target)) throw refuse(name, 'it lies under a symlink the archive makes');
    const parent = path.dirname(target);
    if (parent !== root && (await realTarget(parent)) !== parent) throw refuse(name, `it would be written through a symlink in ${dest}`);
    if (target !== root && (await lstat(target).catch(() => undefined))?.isSymbolicLink()) throw refuse(name, `${path.relative(root, target)} is a symlink in ${dest}`);
  }

  async function place(header: tar.Header, stream: AsyncIterable<unknown>): Promise<void> {
    const parts = header.name.split('/');
    if (path.isAbsolute(header.name) || /^[A-Za-z]:/.test(header.name) || parts.includes('..')) throw refuse(header.name, 'an absolute name or one with ".."');
    const rel = parts.slice(1).join('/');
    const target = path.resolve(root, rel);
    if (!within(root, target)) throw refuse(header.name, `it would land outside ${dest}`);
    if (header.type === 'symlink' && header.linkname) {
      links.push({ target, linkname: header.linkname, name: rel });
      return;
    }
    if (header.type !== 'directory' && header.type !== 'file') return; // hard links, devices and fifos do not travel
    await checkPlace(header.name, target);
    await mkdir(header.type === 'directory' ? target : path.dirname(target), { recursive: true });
    if (header.type === 'file') {
      // O_NOFOLLOW: a link put here meanwhile fails the write instead of redirecting it.
      const file = await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (constants.O_NOFOLLOW ?? 0), (header.mode ?? 0o644) & 0o777);
      try {
        for await (const chunk of stream) await file.write(chunk as Buffer);
      } finally {
        await file.close();
      }
    }
    if (rel) count++;
  }

  extract.on('entry', (header, stream, next) => {
    place(header, stream).then(
      () => {
        stream.resume();
        next();
      },
      (err: unknown) => {
        stream.resume();
        extract.destroy(err as Error);
      },
    );
  });
  await pipeline(Readable.from(archive), createGunzip(), extract);
  count += await makeLinks(root, links, warn);
  return count;
}

/** Makes the archive's symlinks that lead inside `root`; then drops any that a later one made lead outside. */
async function makeLinks(root: string, links: { target: string; linkname: string; name: string }[], warn: (message: string) => void): Promise<number> {
  const made: typeof links = [];
  for (const link of links) {
    const lexical = path.resolve(path.dirname(link.target), link.linkname);
    if (path.isAbsolute(link.linkname) || !within(root, lexical)) {
      warn(`skipped symlink ${link.name} -> ${link.linkname}: it leads outside the copy`);
      continue;
    }
    const parent = path.dirname(link.target);
    if ((await realTarget(parent)) !== parent) {
      warn(`skipped symlink ${link.name}: its folder is a symlink`);
      continue;
    }
    await mkdir(parent, { recursive: true });
    try {
      await symlink(link.linkname, link.target);
      made.push(link);
    } catch (err) {
      warn(`skipped symlink ${link.name}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  // Links through links ("a -> .", then "b -> a/../x") can lead out although each alone stays in.
  for (let changed = true; changed; ) {
    changed = false;
    for (const link of [...made]) {
      const real = await realTarget(link.target);
      if (real !== null && within(root, real)) continue;
      await unlink(link.target);
      made.splice(made.indexOf(link), 1);
      warn(`skipped symlink ${link.name} -> ${link.linkname}: through other links it leads outside the copy`);
      changed = true;
    }
  }
  return made.length;
}
