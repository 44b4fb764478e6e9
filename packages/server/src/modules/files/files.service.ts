import { createHash } from 'node:crypto';
import path from 'node:path/posix';
import { pipeline, Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { FILE_MAX_BYTES, type FileEntry, type SearchMatch } from '@berth/contracts';
import type { RequestContext } from '../../context.js';
import { AppError, ConflictError, NotFoundError } from '../../errors.js';
import type { RuntimeDriver } from '../../runtime/driver.js';
import type { AuditService } from '../audit/audit.service.js';
import type { EnvironmentEventsRepo, NewEvent } from '../environments/environment-events.repo.js';
import type { EnvironmentsService } from '../environments/environments.service.js';
import { withAdvisoryLock } from '../../db/advisory-lock.js';
import type { Db } from '../../db/client.js';
import { confine, isInside, parseStat, parseStatLine, relative, WORKSPACE } from './files.domain.js';
import { firstFileIn, isZip, sanitiseArchive, singleFileTar, tarToZip } from './files.archive.js';
import { createMachineFiles } from './files.machine.js';
import { createFilesRunner } from './files.runner.js';
import * as sh from './files.shell.js';

interface Deps {
  db: Db;
  runtime: Pick<RuntimeDriver, 'exec' | 'readArchive' | 'writeArchive'>;
  environments: Pick<EnvironmentsService, 'running' | 'touch'>;
  eventsRepo: Pick<EnvironmentEventsRepo, 'append'>;
  audit: AuditService;
  published: (environmentId: string) => void;
  /** The largest archive uploaded or downloaded, and the largest file the whole-machine view reads or writes. */
  maxArchiveBytes: number;
}

const outside = (input: string) => new AppError('path_outside_workspace', `"${input}" is outside /workspace`);
const etagOf = (hash: string) => `"${hash}"`;

/**
 * Files inside a running environment, always confined to /workspace: paths are
 * checked lexically, then again after resolving symlinks inside the environment.
 * A stopped environment answers 409 environment_not_running.
 */
export function createFilesService(deps: Deps) {
  const { runtime } = deps;
  const runner = createFilesRunner(runtime, withAdvisoryLock(deps.db));
  const run = (id: string, script: string, args: string[], timeoutMs?: number) => runner.run(id, script, args, { timeoutMs });

  /** Real absolute paths of absolute paths, resolved inside the environment (null when unresolvable). */
  async function realPaths(id: string, paths: string[]): Promise<(string | null)[]> {
    const lines = (await run(id, sh.RESOLVE, paths)).stdout.split('\n');
    return paths.map((_, i) => (lines[i]?.startsWith('/') ? path.normalize(lines[i]!) : null));
  }

  /** The real absolute path of an API path, or 400 path_outside_workspace. */
  async function resolve(id: string, input: string): Promise<string> {
    const lexical = confine(input);
    if (!lexical) throw outside(input);
    const [real] = await realPaths(id, [lexical]);
    if (!real || !isInside(real)) throw outside(input);
    return real;
  }

  /**
   * For operations on an entry itself (delete, move): its folder resolved, its
   * own name kept, so a symlink is removed or moved, not what it points to.
   */
  async function resolveEntry(id: string, input: string): Promise<string> {
    const lexical = confine(input);
    if (!lexical) throw outside(input);
    if (lexical === WORKSPACE) return WORKSPACE;
    return path.join(await resolve(id, path.dirname(lexical)), path.basename(lexical));
  }

  async function stat(id: string, abs: string): Promise<{ type: FileEntry['type']; size: number } | null> {
    const result = await run(id, sh.STAT, [abs]);
    if (result.exitCode === sh.EXIT.missing) return null;
    const entry = parseStat(result.stdout);
    return entry ? { type: entry.type, size: Number(entry.size) } : { type: 'other', size: 0 };
  }

  /** A change made through the API: an audit row, an event for other open editors, and activity. */
  async function announce(ctx: RequestContext, id: string, action: string, type: string, data: Record<string, unknown>) {
    await recordChange(ctx, id, action, data, { type, message: `${type.slice(5)} ${String(data.path ?? data.to ?? '')}`, data: { ...data, by: ctx.actor?.username } });
  }

  /**
   * A change made inside an environment through the API (files, templates): its
   * audit row and its event commit together, then followers and idle tracking hear of it.
   */
  async function recordChange(ctx: RequestContext, id: string, action: string, metadata: Record<string, unknown>, event: NewEvent) {
    await deps.db.transaction(async (tx) => {
      await deps.audit.record(ctx, action, { targetType: 'environment', targetId: id, metadata }, true, tx);
      await deps.eventsRepo.append(tx, id, event);
    });
    deps.published(id);
    await deps.environments.touch(id);
  }

  async function list(ctx: RequestContext, id: string, input: string): Promise<{ path: string; items: FileEntry[] }> {
    await deps.environments.running(ctx, id);
    const dir = await resolve(id, input);
    const result = await run(id, sh.LIST, [dir]);
    if (result.exitCode === sh.EXIT.missing) throw new NotFoundError(`Folder "${input}"`);
    const items = result.stdout
      .split('\n')
      .map(parseStatLine)
      .filter((line) => line?.printed !== undefined)
      .map((line) => {
        const { entry, printed: file = '' } = line!;
        return { name: file, path: relative(path.join(dir, file)), type: entry.type, size: Number(entry.size), mode: entry.mode, mtime: entry.mtime };
      })
      .sort((a, b) => (a.type === 'dir') !== (b.type === 'dir') ? (a.type === 'dir' ? -1 : 1) : a.name.localeCompare(b.name));
    return { path: relative(dir), items };
  }

  async function read(ctx: RequestContext, id: string, input: string): Promise<{ content: Buffer; etag: string }> {
    await deps.environments.running(ctx, id);
    const abs = await resolve(id, input);
    const info = await stat(id, abs);
    if (!info) throw new NotFoundError(`File "${input}"`);
    if (info.type !== 'file') throw new ConflictError(`"${input}" is a ${info.type === 'dir' ? 'folder' : info.type}, not a file`);
    // The size stat reports comes from inside the environment: it may say anything. It only refuses
    // early; what bounds the read is the bytes that really arrive.
    const tooLarge = () => new AppError('file_too_large', `"${input}" is larger than ${FILE_MAX_BYTES} bytes, the most the API reads`);
    if (info.size > FILE_MAX_BYTES) throw tooLarge();
    const content = await firstFileIn(await runtime.readArchive(id, abs), FILE_MAX_BYTES, tooLarge);
    if (!content) throw new ConflictError(`"${input}" is not a file`);
    return { content, etag: etagOf(createHash('sha256').update(content).digest('hex')) };
  }

  async function write(ctx: RequestContext, id: string, input: string, content: Buffer, ifMatch?: string): Promise<{ etag: string; created: boolean }> {
    await deps.environments.running(ctx, id);
    const abs = await resolve(id, input);
    if (abs === WORKSPACE) throw new ConflictError('/workspace is a folder');
    // Writers of one file go one at a time, across every Berth process (the runner's lock).
    const created = await runner.exclusive(id, abs, async () => {
      const [hash = '', mode = '644'] = (await run(id, sh.HASH, [abs])).stdout.trim().split(' ');
      // If-Match names a revision that must exist now (RFC 9110): "*" means "any", never "none".
      if (ifMatch !== undefined && (!hash || (ifMatch !== '*' && ifMatch !== etagOf(hash)))) {
        throw new AppError('revision_conflict', `"${input}" ${hash ? `changed since revision ${ifMatch}` : 'does not exist'}; reload it or write without If-Match`);
      }
      const info = hash ? null : await stat(id, abs);
      if (info && info.type !== 'file') throw new ConflictError(`"${input}" is a ${info.type === 'dir' ? 'folder' : info.type}`);
      await run(id, sh.MKDIR, [path.dirname(abs)]);
      // A replaced file keeps its permissions.
      await runtime.writeArchive(id, path.dirname(abs), singleFileTar(path.basename(abs), content, parseInt(mode, 8)));
      return !hash;
    });
    const etag = etagOf(createHash('sha256').update(content).digest('hex'));
    await announce(ctx, id, 'file.write', 'file.changed', { path: relative(abs), size: content.length, etag });
    return { etag, created };
  }

  async function mkdir(ctx: RequestContext, id: string, input: string): Promise<void> {
    await deps.environments.running(ctx, id);
    const abs = await resolve(id, input);
    const result = await run(id, sh.MKDIR, [abs]);
    if (result.exitCode !== 0) throw new ConflictError(`Could not create "${input}": ${result.stderr.trim()}`);
    await announce(ctx, id, 'file.mkdir', 'file.changed', { path: relative(abs), type: 'dir' });
  }

  async function move(ctx: RequestContext, id: string, from: string, to: string, overwrite: boolean): Promise<void> {
    await deps.environments.running(ctx, id);
    const [src, dst] = [await resolveEntry(id, from), await resolveEntry(id, to)];
    if (src === WORKSPACE || dst === WORKSPACE) throw new ConflictError('/workspace itself cannot be moved or replaced');
    const result = await run(id, sh.MOVE, [src, dst, overwrite ? '1' : '0']);
    if (result.exitCode === sh.EXIT.missing) throw new NotFoundError(`"${from}"`);
    if (result.exitCode === sh.EXIT.exists) throw new ConflictError(`"${to}" exists; pass overwrite: true to replace it`);
    if (result.exitCode !== 0) throw new ConflictError(`Could not move "${from}": ${result.stderr.trim()}`);
    await announce(ctx, id, 'file.move', 'file.moved', { from: relative(src), to: relative(dst) });
  }

  async function remove(ctx: RequestContext, id: string, input: string, recursive: boolean): Promise<void> {
    await deps.environments.running(ctx, id);
    const abs = await resolveEntry(id, input);
    if (abs === WORKSPACE) throw new ConflictError('/workspace itself cannot be deleted');
    const result = await run(id, sh.REMOVE, [abs, recursive ? '1' : '0']);
    if (result.exitCode === sh.EXIT.missing) throw new NotFoundError(`"${input}"`);
    if (result.exitCode === sh.EXIT.notEmpty) throw new ConflictError(`"${input}" is a folder that is not empty; pass recursive=true`);
    await announce(ctx, id, 'file.delete', 'file.deleted', { path: relative(abs) });
  }

  async function download(ctx: RequestContext, id: string, input: string, format: 'tar.gz' | 'zip'): Promise<{ body: Readable | Buffer; name: string }> {
    await deps.environments.running(ctx, id);
    const abs = await resolve(id, input);
    if (!(await stat(id, abs))) throw new NotFoundError(`"${input}"`);
    const tarStream = await runtime.readArchive(id, abs);
    const base = abs === WORKSPACE ? 'workspace' : path.basename(abs);
    if (format === 'zip') return { body: await tarToZip(tarStream, deps.maxArchiveBytes), name: `${base}.zip` };
    // pipeline, not pipe: the engine's stream failing fails the gzip (and so the response, which is
    // cut short rather than left open), and a client that goes away destroys the gzip and so the
    // engine's stream, which would otherwise hold the container's lock.
    const gzip = createGzip();
    pipeline(tarStream, gzip, () => undefined);
    return { body: gzip, name: `${base}.tar.gz` };
  }

  /** Unpacks an uploaded tar.gz or zip into a folder, refusing the whole archive if any entry would escape. */
  async function upload(ctx: RequestContext, id: string, input: string, archive: Buffer): Promise<{ entries: number }> {
    await deps.environments.running(ctx, id);
    const dir = await resolve(id, input);
    const { tarball, entries, folders } = await sanitiseArchive(archive, isZip(archive) ? 'zip' : 'tar.gz', dir, input, deps.maxArchiveBytes);
    // Folders that already exist may be symlinks: every folder an entry lands in must really be inside.
    const real = await realPaths(id, folders);
    const escaping = folders.find((_, i) => !real[i] || !(real[i] === dir || real[i]!.startsWith(`${dir}/`)));
    if (escaping) throw new AppError('path_outside_workspace', `Archive entries under "${relative(escaping)}" would land outside "${input}" through a symlink`);
    await run(id, sh.MKDIR, [dir]);
    await runtime.writeArchive(id, dir, Readable.from(tarball));
    await announce(ctx, id, 'file.upload', 'file.changed', { path: relative(dir), type: 'dir', entries });
    return { entries };
  }

  async function search(ctx: RequestContext, id: string, q: string, input: string, limit: number): Promise<{ items: SearchMatch[]; truncated: boolean }> {
    await deps.environments.running(ctx, id);
    const dir = await resolve(id, input);
    const result = await run(id, sh.SEARCH, [q, dir, String(limit + 1)], 10_000);
    const items = result.stdout
      .split('\n')
      .map((line) => /^(.*?):(\d+):(.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null && !m[3]!.includes('\uFFFD') && !m[3]!.includes('\0'))
      .map((m) => ({ path: relative(m[1]!), line: Number(m[2]), text: m[3]!.slice(0, 500) }));
    return { items: items.slice(0, limit), truncated: items.length > limit || result.timedOut };
  }

  /** The whole-machine view (E2B's envd), on the same runner and write lock. */
  const machine = createMachineFiles({ runtime, runner, maxFileBytes: deps.maxArchiveBytes });

  return { resolve, recordChange, announce, list, read, write, mkdir, move, remove, download, upload, search, machine };
}

export type FilesService = ReturnType<typeof createFilesService>;

