import path from 'node:path/posix';
import { BerthError } from '../../errors.js';
import { WORKSPACE, type StatEntry } from '../files/files.domain.js';
import { TREE_MAX_ENTRIES, type MachineFiles } from '../files/files.machine.js';
import { EnvdError, type ConnectCode } from './e2b.errors.js';

/**
 * The filesystem behind E2B's envd protocol (docs/e2b-protocol.md §3.5, §4.3):
 * an adapter on the files service's whole-machine view, which does the work
 * (same scripts, runner and write lock as Berth's files API). Here are only
 * envd's ways: a sandbox is the caller's whole machine, so any absolute path
 * is allowed and relative ones start at the sandbox user's home; entries go
 * out as envd's EntryInfo; errors carry envd's Connect codes.
 */

/** The sandbox user's home: where relative paths start (E2B's is /home/user, Berth's is the workspace). */
export const HOME = WORKSPACE;
/** At most this many entries per listing, so a deep listing of / cannot flood the server. */
export const LIST_MAX_ENTRIES = TREE_MAX_ENTRIES;

export type EntryType = 'FILE_TYPE_FILE' | 'FILE_TYPE_DIRECTORY' | 'FILE_TYPE_SYMLINK' | 'FILE_TYPE_UNSPECIFIED';

/** envd's EntryInfo in its proto3-JSON wire shape. */
export interface EntryInfo {
  name: string;
  /** FILE_TYPE_UNSPECIFIED only for devices, fifos and sockets (as envd); list() leaves those out. */
  type: EntryType;
  path: string;
  /** int64 travels as a decimal string in proto3 JSON. */
  size: string;
  /** Permission bits only (420 for 0644). */
  mode: number;
  permissions: string;
  owner: string;
  group: string;
  modifiedTime: string;
  symlinkTarget?: string;
}

export interface WrittenFile {
  name: string;
  type: 'file';
  path: string;
}

/** One file of an upload: the path it was sent for (if any) and its bytes. */
export interface UploadedFile {
  path: string | undefined;
  content: () => Promise<Buffer>;
}

/**
 * A path as envd reads it, made absolute: "~" and relative paths start at the
 * home folder, "." and ".." are folded lexically (symlinks are the
 * environment's business), and a trailing slash is dropped.
 */
export function resolvePath(input: string): string {
  if (input.includes('\0')) throw new EnvdError('invalid_argument', 'path contains a NUL byte');
  let p = input;
  if (p === '~' || p.startsWith('~/')) p = HOME + p.slice(1);
  else if (p.startsWith('~')) throw new EnvdError('invalid_argument', `cannot expand user-specific home dir in "${input}"`);
  const absolute = p.startsWith('/') ? path.normalize(p) : path.join(HOME, p);
  return absolute === '/' ? absolute : absolute.replace(/\/+$/, '');
}

const ENTRY_TYPES: Record<StatEntry['type'], EntryType> = {
  file: 'FILE_TYPE_FILE',
  dir: 'FILE_TYPE_DIRECTORY',
  symlink: 'FILE_TYPE_SYMLINK',
  other: 'FILE_TYPE_UNSPECIFIED',
};

/** A stat of the file layer as envd's EntryInfo at `absolute`. */
export function entryInfo(entry: StatEntry, absolute: string, name = absolute === '/' ? '/' : path.basename(absolute)): EntryInfo {
  return {
    name,
    type: ENTRY_TYPES[entry.type],
    path: absolute,
    size: entry.size,
    mode: parseInt(entry.mode, 8) & 0o777,
    permissions: entry.permissions,
    owner: entry.owner,
    group: entry.group,
    modifiedTime: entry.mtime,
    ...(entry.symlinkTarget ? { symlinkTarget: entry.symlinkTarget } : {}),
  };
}

/**
 * The file layer's answers about a path, as envd names them. Others go out as
 * they are: file_too_large stays Berth's 413, and the runtime's own errors
 * (unavailable, not running) keep their status.
 */
const ENVD_CODES: Record<string, ConnectCode> = {
  not_found: 'not_found',
  validation_failed: 'invalid_argument',
  conflict: 'already_exists',
  internal_error: 'internal',
  timed_out: 'deadline_exceeded',
};

async function envd<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    const code = err instanceof BerthError && !(err instanceof EnvdError) ? ENVD_CODES[err.code] : undefined;
    throw code ? new EnvdError(code, err instanceof Error ? err.message : String(err)) : err;
  }
}

export function createEnvdFiles({ files }: { files: MachineFiles }) {
  async function stat(envId: string, input: string): Promise<EntryInfo> {
    const abs = resolvePath(input);
    return entryInfo(await envd(files.stat(envId, abs)), abs);
  }

  async function list(envId: string, input: string, depth: number): Promise<EntryInfo[]> {
    if (!Number.isInteger(depth) || depth < 1) throw new EnvdError('invalid_argument', `depth must be a whole number of at least 1, not ${depth}`);
    const dir = resolvePath(input);
    return (await envd(files.tree(envId, dir, depth))).map((entry) => entryInfo(entry, entry.path, entry.name));
  }

  async function makeDir(envId: string, input: string): Promise<EntryInfo> {
    const abs = resolvePath(input);
    return entryInfo(await envd(files.makeDir(envId, abs)), abs);
  }

  async function move(envId: string, source: string, destination: string): Promise<EntryInfo> {
    const [from, to] = [resolvePath(source), resolvePath(destination)];
    return entryInfo(await envd(files.rename(envId, from, to)), to);
  }

  async function remove(envId: string, input: string): Promise<void> {
    await envd(files.remove(envId, resolvePath(input)));
  }

  async function read(envId: string, input: string): Promise<Buffer> {
    return envd(files.read(envId, resolvePath(input)));
  }

  async function write(envId: string, input: string, data: Buffer): Promise<WrittenFile> {
    const abs = resolvePath(input);
    await envd(files.write(envId, abs, data));
    return { name: path.basename(abs), type: 'file', path: abs };
  }

  /**
   * envd's upload: each file in turn (a multipart request may carry many, each
   * named by its part's file name), `written` told of each as it lands.
   */
  async function writeAll(envId: string, uploaded: AsyncIterable<UploadedFile>, written: (file: WrittenFile) => Promise<void>): Promise<WrittenFile[]> {
    const done: WrittenFile[] = [];
    for await (const file of uploaded) {
      const content = await file.content();
      if (!file.path) throw new EnvdError('invalid_argument', "name the file with the path query parameter or the part's file name");
      const entry = await write(envId, file.path, content);
      await written(entry);
      done.push(entry);
    }
    if (done.length === 0) throw new EnvdError('invalid_argument', 'no file in the request');
    return done;
  }

  return { stat, list, makeDir, move, remove, read, write, writeAll };
}

export type EnvdFiles = ReturnType<typeof createEnvdFiles>;
