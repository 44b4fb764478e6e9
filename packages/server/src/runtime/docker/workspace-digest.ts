import { createHash } from 'node:crypto';
import tar from 'tar-stream';

export interface WorkspaceDigest {
  /** Over every entry's path, type, mode, owner, link target and content, in path order. */
  digest: string;
  files: number;
  bytes: number;
}

/**
 * What a workspace holds, read from a tar stream of it (the engine's archive of /workspace):
 * two copies with the same digest hold the same files with the same contents, modes and owners.
 * Modification times are left out: they are the copy's, not the files'.
 */
export function digestArchive(archive: NodeJS.ReadableStream): Promise<WorkspaceDigest> {
  return new Promise((resolve, reject) => {
    const entries: string[] = [];
    let bytes = 0;
    const extract = tar.extract();
    extract.on('entry', (header, stream, next) => {
      const hash = createHash('sha256');
      stream.on('data', (chunk: unknown) => {
        if (!(chunk instanceof Buffer)) return;
        hash.update(chunk);
        bytes += chunk.length;
      });
      stream.once('end', () => {
        entries.push(JSON.stringify([header.name.replace(/\/$/, ''), header.type, header.mode, header.uid, header.gid, header.linkname ?? null, hash.digest('hex')]));
        next();
      });
      stream.once('error', reject);
    });
    extract.once('finish', () => {
      entries.sort();
      const digest = createHash('sha256').update(entries.join('\n')).digest('hex');
      resolve({ digest, files: entries.length, bytes });
    });
    extract.once('error', reject);
    archive.once('error', reject);
    archive.pipe(extract);
  });
}
