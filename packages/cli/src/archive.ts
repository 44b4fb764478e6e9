import { lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
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

/**
 * Unpacks a folder download into `dest`. The server's archive holds the folder
 * under its own name, so the first path component is dropped. Every entry must
 * land inside `dest`, and never through a link the archive itself made.
 */
export async function unpackFolder(archive: Buffer, dest: string): Promise<number> {
  const root = path.resolve(dest);
  await mkdir(root, { recursive: true });
  const links: string[] = [];
  const extract = tar.extract();
  let count = 0;
  extract.on('entry', (header, stream, next) => {
    const done = (err?: unknown) => (err ? extract.destroy(err as Error) : next());
    const rel = header.name.split('/').slice(1).join('/');
    const target = path.resolve(root, rel);
    const inside = target === root || target.startsWith(`${root}${path.sep}`);
    if (!inside || links.some((l) => target.startsWith(`${l}${path.sep}`))) {
      stream.resume();
      return done(new CliError(`refusing archive entry "${header.name}": it would land outside ${dest}`));
    }
    const write = async () => {
      if (header.type === 'directory') {
        await mkdir(target, { recursive: true });
        stream.resume();
      } else if (header.type === 'symlink' && header.linkname) {
        stream.resume();
        await mkdir(path.dirname(target), { recursive: true });
        await symlink(header.linkname, target);
        links.push(target);
      } else if (header.type === 'file') {
        await mkdir(path.dirname(target), { recursive: true });
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(chunk as Buffer);
        await writeFile(target, Buffer.concat(chunks), { mode: (header.mode ?? 0o644) & 0o777 });
      } else {
        stream.resume();
        return;
      }
      if (rel) count++;
    };
    write().then(() => done(), done);
  });
  await pipeline(Readable.from(archive), createGunzip(), extract);
  return count;
}
