import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { unzip, zip, type Zippable } from 'fflate';
import path from 'node:path/posix';
import tar from 'tar-stream';
import { AppError } from '../../errors.js';
import { byteCap } from '../../streams.js';
import { safeArchiveEntry } from './files.domain.js';

/** One entry of a tar, read into memory. */
export interface Entry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'link' | string;
  mode?: number;
  linkname?: string;
  mtime?: Date;
  data?: Buffer;
}

const notAnArchive = (kind: string) => new AppError('validation_failed', `The body is not a ${kind} archive`);
const archiveTooLarge = (maxBytes: number) => () => new AppError('payload_too_large', `The archive holds more than ${maxBytes} bytes`);

/** What a tar adds around its files' bytes (headers, long-name records, padding), allowed on top of a byte limit on the files. */
const TAR_HEADROOM_BYTES = 1024 * 1024;

/**
 * tar-stream's extract and its entries are streamx streams: when pipeline
 * destroys the extract with an error (a cap passed, the engine gone), the entry
 * being read emits that error too, where nobody listens. The pipeline reports
 * it; the echoes are dropped.
 */
function quietExtract(): ReturnType<typeof tar.extract> {
  const extract = tar.extract();
  extract.on('error', () => undefined);
  extract.on('entry', (_header, body) => body.on('error', () => undefined));
  return extract;
}

export const isZip = (b: Buffer) => b.length >= 4 && b.readUInt32LE(0) === 0x04034b50;

/**
 * Reads every entry of a tar stream into memory. The cap counts the tar's own
 * bytes as they arrive (headers included), so neither a size claimed by the
 * environment nor a header can make it read more; past it the source is destroyed.
 * pipeline, not pipe: a source that fails fails the read instead of leaving it waiting.
 */
export async function readTar(source: NodeJS.ReadableStream, maxBytes: number, tooLarge: () => Error, gzipped = false): Promise<Entry[]> {
  const extract = quietExtract();
  const entries: Entry[] = [];
  extract.on('entry', (header, body, next) => {
    const chunks: Buffer[] = [];
    body.on('data', (c: unknown) => chunks.push(c as Buffer));
    body.on('end', () => {
      entries.push({ name: header.name, type: header.type ?? 'file', mode: header.mode, linkname: header.linkname ?? undefined, mtime: header.mtime, data: Buffer.concat(chunks) });
      next();
    });
  });
  const cap = byteCap(maxBytes + TAR_HEADROOM_BYTES, tooLarge);
  // Inflated on zlib's thread pool in chunks, never in one call on the request thread.
  if (gzipped) await pipeline(source, createGunzip(), cap, extract);
  else await pipeline(source, cap, extract);
  return entries;
}

export function packTar(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const out: Buffer[] = [];
  pack.on('data', (c: unknown) => out.push(c as Buffer));
  const done = new Promise<Buffer>((resolve) => pack.on('end', () => resolve(Buffer.concat(out))));
  for (const e of entries) {
    const header = { name: e.name, type: e.type as 'file', mode: e.mode, linkname: e.linkname, mtime: e.mtime };
    if (e.type === 'file') pack.entry(header, e.data ?? Buffer.alloc(0));
    else pack.entry(header);
  }
  pack.finalize();
  return done;
}

function readZip(archive: Buffer, maxBytes: number): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    let total = 0;
    unzip(new Uint8Array(archive), { filter: (f) => (total += f.originalSize) <= maxBytes }, (err, files) => {
      if (err) return reject(notAnArchive('zip'));
      if (total > maxBytes) return reject(new AppError('payload_too_large', `The archive unpacks to more than ${maxBytes} bytes`));
      resolve(
        Object.entries(files).map(([name, data]) =>
          name.endsWith('/') ? { name, type: 'directory', mode: 0o755 } : { name, type: 'file', mode: 0o644, data: Buffer.from(data) },
        ),
      );
    });
  });
}

/**
 * Checks every entry of an uploaded archive against the folder it unpacks into
 * and re-packs it as a plain tar for the runtime: nothing is written unless
 * every entry stays inside.
 */
export async function sanitiseArchive(
  archive: Buffer,
  kind: 'tar.gz' | 'zip',
  dir: string,
  input: string,
  maxBytes: number,
): Promise<{ tarball: Buffer; entries: number; folders: string[] }> {
  let entries: Entry[];
  if (kind === 'zip') entries = await readZip(archive, maxBytes);
  else {
    // A bomb costs the cap, not what it claims or holds: inflating stops there.
    const tooLarge = () => new AppError('payload_too_large', `The archive unpacks to more than ${maxBytes} bytes`);
    entries = await readTar(Readable.from([archive]), maxBytes, tooLarge, true).catch((err: unknown) => {
      throw err instanceof AppError ? err : notAnArchive('tar.gz');
    });
  }
  // No entry may pass through a link the same archive creates (a link to "..", then a file under it).
  const links = entries.filter((e) => e.type === 'symlink' || e.type === 'link').map((e) => path.normalize(e.name).replace(/\/+$/, ''));
  const bad = entries.find((e) => !safeArchiveEntry(dir, e) || links.some((l) => path.normalize(e.name).startsWith(`${l}/`)));
  if (bad) throw new AppError('path_outside_workspace', `Archive entry "${bad.name}" would land outside "${input}" or is not a file, folder or link`);
  const folders = [...new Set(entries.map((e) => path.dirname(path.join(dir, e.name))))];
  return { tarball: await packTar(entries), entries: entries.length, folders };
}

/** A folder read from the runtime as tar, as a zip (links become nothing: zip has no portable form for them). */
export async function tarToZip(source: NodeJS.ReadableStream, maxBytes: number): Promise<Buffer> {
  const files: Zippable = {};
  for (const e of await readTar(source, maxBytes, archiveTooLarge(maxBytes))) {
    if (e.type === 'directory') files[e.name.endsWith('/') ? e.name : `${e.name}/`] = new Uint8Array(0);
    else if (e.type === 'file') files[e.name] = new Uint8Array(e.data ?? Buffer.alloc(0));
  }
  return new Promise((resolve, reject) => zip(files, (err, data) => (err ? reject(err) : resolve(Buffer.from(data)))));
}

export function singleFileTar(name: string, content: Buffer, mode = 0o644): Readable {
  const pack = tar.pack();
  pack.entry({ name, mode, size: content.length }, content);
  pack.finalize();
  return pack as unknown as Readable;
}

/**
 * The content of the file a tar stream starts with (the Engine API wraps a
 * single file in one), or null when it starts with something else (a folder
 * put where a file was). Bounded by the bytes that really arrive, never by a
 * size the environment reported: past `maxBytes` of content it fails with
 * `tooLarge()` and destroys the source, so the engine stops sending.
 */
export async function firstFileIn(source: NodeJS.ReadableStream, maxBytes: number, tooLarge: () => Error): Promise<Buffer | null> {
  const extract = quietExtract();
  let first: Buffer | null | undefined;
  const done = new Error('first entry read');
  extract.on('entry', (header, body) => {
    const chunks: Buffer[] = [];
    body.on('data', (c: unknown) => chunks.push(c as Buffer));
    // The rest of the archive is never needed: ending here stops the engine's stream too.
    body.on('end', () => {
      first = header.type === 'file' ? Buffer.concat(chunks) : null;
      extract.destroy(done);
    });
    if (header.type !== 'file') body.resume();
  });
  try {
    await pipeline(source, byteCap(maxBytes + TAR_HEADROOM_BYTES, tooLarge), extract);
  } catch (err) {
    if (err !== done) throw err;
  }
  if (first === undefined) throw new Error('the engine sent an archive without entries');
  if (first && first.length > maxBytes) throw tooLarge();
  return first;
}
