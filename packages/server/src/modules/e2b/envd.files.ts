import path from 'node:path/posix';
import type { ExecOutcome, RuntimeDriver } from '../../runtime/driver.js';
import { firstFileIn, singleFileTar } from '../files/files.archive.js';
import { WORKSPACE } from '../files/files.domain.js';
import { AppError } from '../../errors.js';
import { EnvdError } from './e2b.errors.js';

/**
 * The filesystem behind E2B's envd protocol (docs/e2b-protocol.md §3.5, §4.3)
 * for one environment. Unlike Berth's files API, a sandbox is the caller's
 * whole machine: any absolute path is allowed, relative ones start at the
 * sandbox user's home. Every step is a small POSIX sh script (bash or busybox
 * alike) whose user input arrives only as positional arguments.
 */

/** The sandbox user's home: where relative paths start (E2B's is /home/user, Berth's is the workspace). */
export const HOME = WORKSPACE;
/** At most this many entries per listing, so a deep listing of / cannot flood the server. */
export const LIST_MAX_ENTRIES = 10_000;

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

/*
 * The stat fields of an entry, '|'-separated. No field can hold a '|' or a
 * newline (types are words, names of users and groups have neither), so a
 * name, where one is printed, goes last and may contain anything but a newline.
 * Numeric ids come too: an owner without a passwd entry prints as UNKNOWN.
 */
const FIELDS = '%F|%s|%a|%A|%u|%g|%U|%G|%Y';

/** $1's fields on line one; for a link, its target (as written in the link) after "@" on the next. */
const STAT = `[ -e "$1" ] || [ -L "$1" ] || exit 4
stat -c '${FIELDS}' "$1" || exit 1
if [ -L "$1" ]; then printf '@%s\\n' "$(readlink "$1")"; fi`;

/**
 * Stats its arguments in one stat process, then names each link (">path") and
 * its target ("@target"): pairing by name keeps targets right even if an
 * entry vanishes mid-listing. A target holding a newline is left empty.
 */
const STAT_MANY = `stat -c '${FIELDS}|%n' "$@"
nl='
'
for f; do if [ -L "$f" ]; then t=$(readlink "$f"); case "$t" in *"$nl"*) t=;; esac; printf '>%s\\n@%s\\n' "$f" "$t"; fi; done`;

/**
 * Entries below folder $1 (links to folders followed for $1 only) down to
 * depth $2, at most $3 of them, paths relative as "./…". Names holding a
 * newline are skipped with everything below them: lines could not carry them.
 * find stops at once when head has enough.
 */
const LIST = `[ -e "$1" ] || exit 4
[ -d "$1" ] || exit 3
cd "$1" || exit 1
nl='
'
find . -mindepth 1 -maxdepth "$2" -path "*$nl*" -prune -o -print | head -n "$3" | tr '\\n' '\\0' | xargs -0 -r sh -c "$4" sh`;

/** Exit 5 if folder $1 exists (a link to one counts, as in envd), 3 if something else is there, 6 if it cannot be made. */
const MAKE_DIR = `if [ -d "$1" ]; then exit 5; fi
if [ -e "$1" ] || [ -L "$1" ]; then exit 3; fi
mkdir -p "$1" || exit 6`;

/**
 * rename(2)'s meaning, which plain mv lacks: mv puts a source *into* an
 * existing folder or into the folder a link points to. So a link at $2 is
 * replaced, and a folder at $2 only when it is empty and $1 is a folder too
 * (exit 5 otherwise). Then $2 is shifted to $1 so STAT can follow.
 */
const MOVE = `[ -e "$1" ] || [ -L "$1" ] || exit 4
mkdir -p "$(dirname "$2")" || exit 3
if [ -L "$2" ]; then rm -f "$2"
elif [ -d "$2" ]; then
  if [ ! -d "$1" ] || [ -L "$1" ]; then exit 5; fi
  rmdir "$2" 2>/dev/null || exit 5
fi
mv -f "$1" "$2" || exit 3
shift
${STAT}`;

/** Size and real path of file $1 (links followed, as envd's open does): exit 4 missing, 3 folder, 5 not a regular file. */
const READ_INFO = `[ -e "$1" ] || exit 4
if [ -d "$1" ]; then exit 3; fi
[ -f "$1" ] || exit 5
stat -L -c '%s' "$1" && readlink -f "$1"`;

/**
 * Where file $1 really is, its parents created: "mode" then the real path on
 * the next line. An existing file (or a link to one, or a dangling link, which
 * envd writes through too) keeps its mode; a new one gets 644.
 */
const PREPARE_WRITE = `if [ -d "$1" ]; then exit 3; fi
if [ -e "$1" ] && [ ! -f "$1" ]; then exit 5; fi
mkdir -p "$(dirname "$1")" || exit 6
if [ -e "$1" ] || [ -L "$1" ]; then r=$(readlink -f "$1") || exit 6; mkdir -p "$(dirname "$r")" || exit 6
else r="$(readlink -f "$(dirname "$1")")/\${1##*/}"; fi
[ -f "$1" ] && m=$(stat -L -c '%a' "$1") || m=644
printf '%s\\n%s' "$m" "$r"`;

const REMOVE = `rm -rf "$1"`;

const TYPES: Record<string, EntryType> = {
  'regular file': 'FILE_TYPE_FILE',
  'regular empty file': 'FILE_TYPE_FILE',
  directory: 'FILE_TYPE_DIRECTORY',
  'symbolic link': 'FILE_TYPE_SYMLINK',
};
const FIELDS_LINE = /^([a-z ]+)\|(\d+)\|([0-7]+)\|(\S+)\|(\d+)\|(\d+)\|([^|]*)\|([^|]*)\|(-?\d+)(?:\|(.*))?$/;

/** One stat line as an entry at `absolute`, and the name it printed (list only); null if it does not parse. */
function parseFields(line: string, absolute: string): { entry: EntryInfo; printed?: string } | null {
  const m = FIELDS_LINE.exec(line);
  if (!m) return null;
  const [, kind = '', size, octal = '0', permissions = '', uid, gid, user, group, mtime, printed] = m;
  const entry: EntryInfo = {
    name: absolute === '/' ? '/' : path.basename(absolute),
    type: TYPES[kind] ?? 'FILE_TYPE_UNSPECIFIED',
    path: absolute,
    size: size ?? '0',
    mode: parseInt(octal, 8) & 0o777,
    permissions,
    owner: !user || user === 'UNKNOWN' ? (uid ?? '') : user,
    group: !group || group === 'UNKNOWN' ? (gid ?? '') : group,
    modifiedTime: new Date(Number(mtime) * 1000).toISOString(),
  };
  return { entry, ...(printed === undefined ? {} : { printed }) };
}

/** A whole STAT answer (fields, then "@target" for a link) as the entry at `absolute`. */
function parseStat(stdout: string, absolute: string): EntryInfo {
  const [first, rest] = splitOnce(stdout) ?? [stdout, ''];
  const parsed = parseFields(first, absolute);
  if (!parsed) throw new EnvdError('internal', `unexpected stat output for "${absolute}"`);
  if (parsed.entry.type === 'FILE_TYPE_SYMLINK' && rest.startsWith('@')) parsed.entry.symlinkTarget = rest.slice(1).replace(/\n$/, '');
  return parsed.entry;
}

/** A LIST answer as entries under `dir` in envd's walk order (each folder's names sorted, parents first). */
function parseList(stdout: string, dir: string): EntryInfo[] {
  const lines = stdout.split('\n');
  const targets = new Map<string, string>();
  lines.forEach((line, i) => {
    const next = lines[i + 1];
    if (line.startsWith('>') && next?.startsWith('@')) targets.set(line.slice(1), next.slice(1));
  });
  const entries: EntryInfo[] = [];
  for (const line of lines) {
    const parsed = line.startsWith('>') || line.startsWith('@') ? null : parseFields(line, '');
    const printed = parsed?.printed;
    // Devices, fifos and sockets are left out, as the SDK drops them anyway.
    if (!parsed || !printed?.startsWith('./') || parsed.entry.type === 'FILE_TYPE_UNSPECIFIED') continue;
    const rel = printed.slice(2);
    const target = parsed.entry.type === 'FILE_TYPE_SYMLINK' ? targets.get(printed) : undefined;
    entries.push({ ...parsed.entry, name: path.basename(rel), path: path.join(dir, rel), ...(target ? { symlinkTarget: target } : {}) });
  }
  return entries.sort(byWalkOrder(dir));
}

/** "first line" and "the rest" of a script's answer (the rest may hold anything but must exist). */
function splitOnce(stdout: string): [string, string] | null {
  const newline = stdout.indexOf('\n');
  return newline < 0 ? null : [stdout.slice(0, newline), stdout.slice(newline + 1)];
}

/** Compares paths name by name, so "a/b" comes right after "a" and before "a-c", as a walk visits them. */
function byWalkOrder(dir: string) {
  const parts = (p: string) => path.relative(dir, p).split('/');
  return (a: EntryInfo, b: EntryInfo): number => {
    const [x, y] = [parts(a.path), parts(b.path)];
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
    return x.length - y.length;
  };
}

interface Deps {
  runtime: Pick<RuntimeDriver, 'exec' | 'readArchive' | 'writeArchive'>;
  /** The largest file read() returns or write() accepts (whole files are held in memory). */
  maxFileBytes: number;
}

export function createEnvdFiles(deps: Deps) {
  const { runtime } = deps;

  async function run(envId: string, script: string, args: string[], timeoutMs = 30_000): Promise<ExecOutcome> {
    const outcome = await runtime.exec(envId, { argv: ['/bin/sh', '-c', script, 'sh', ...args], timeoutMs, maxOutputBytes: 16 * 1024 * 1024 });
    if (outcome.timedOut) throw new EnvdError('deadline_exceeded', `the filesystem operation took longer than ${timeoutMs} ms`);
    return outcome;
  }

  /** Any exit the caller did not expect, with what the tools said (a permission problem, usually). */
  const failed = (what: string, outcome: ExecOutcome) => new EnvdError('internal', `${what} failed: ${outcome.stderr.trim() || `exit code ${outcome.exitCode}`}`);

  async function stat(envId: string, input: string): Promise<EntryInfo> {
    const abs = resolvePath(input);
    const outcome = await run(envId, STAT, [abs]);
    if (outcome.exitCode === 4) throw new EnvdError('not_found', `path not found: ${abs}`);
    if (outcome.exitCode !== 0) throw failed(`stat ${abs}`, outcome);
    return parseStat(outcome.stdout, abs);
  }

  async function list(envId: string, input: string, depth: number): Promise<EntryInfo[]> {
    if (!Number.isInteger(depth) || depth < 1) throw new EnvdError('invalid_argument', `depth must be a whole number of at least 1, not ${depth}`);
    const dir = resolvePath(input);
    const outcome = await run(envId, LIST, [dir, String(depth), String(LIST_MAX_ENTRIES), STAT_MANY], 60_000);
    if (outcome.exitCode === 4) throw new EnvdError('not_found', `directory not found: ${dir}`);
    if (outcome.exitCode === 3) throw new EnvdError('invalid_argument', `path is not a directory: ${dir}`);
    if (outcome.exitCode !== 0 && !outcome.stdout) throw failed(`list ${dir}`, outcome);
    // A non-zero exit with output means some entries vanished or were unreadable mid-walk: list the rest, as a snapshot.
    // Output cut at the byte limit may end in half a line, whose name would be wrong: it goes.
    const whole = outcome.truncated ? outcome.stdout.slice(0, outcome.stdout.lastIndexOf('\n') + 1) : outcome.stdout;
    return parseList(whole, dir);
  }

  async function makeDir(envId: string, input: string): Promise<EntryInfo> {
    const abs = resolvePath(input);
    const outcome = await run(envId, `${MAKE_DIR}\n${STAT}`, [abs]);
    if (outcome.exitCode === 5) throw new EnvdError('already_exists', `directory already exists: ${abs}`);
    if (outcome.exitCode === 3) throw new EnvdError('invalid_argument', `path already exists but it is not a directory: ${abs}`);
    if (outcome.exitCode === 6) throw new EnvdError('invalid_argument', `cannot create ${abs}: ${outcome.stderr.trim()}`);
    if (outcome.exitCode !== 0) throw failed(`mkdir ${abs}`, outcome);
    return parseStat(outcome.stdout, abs);
  }

  async function move(envId: string, source: string, destination: string): Promise<EntryInfo> {
    const [from, to] = [resolvePath(source), resolvePath(destination)];
    // rename(2) onto itself is a no-op; mv would call it an error.
    if (from === to) return stat(envId, to);
    const outcome = await run(envId, MOVE, [from, to], 120_000);
    if (outcome.exitCode === 4) throw new EnvdError('not_found', `source file not found: ${from}`);
    if (outcome.exitCode === 5) throw new EnvdError('already_exists', `destination is a directory that cannot be replaced: ${to}`);
    if (outcome.exitCode === 3) throw new EnvdError('invalid_argument', `cannot move ${from} to ${to}: ${outcome.stderr.trim()}`);
    if (outcome.exitCode !== 0) throw failed(`move ${from}`, outcome);
    return parseStat(outcome.stdout, to);
  }

  async function remove(envId: string, input: string): Promise<void> {
    const abs = resolvePath(input);
    // envd would try; wiping the whole environment is never what an SDK call means.
    if (abs === '/') throw new EnvdError('invalid_argument', 'refusing to remove /');
    const outcome = await run(envId, REMOVE, [abs], 120_000);
    if (outcome.exitCode !== 0) throw failed(`remove ${abs}`, outcome);
  }

  async function read(envId: string, input: string): Promise<Buffer> {
    const abs = resolvePath(input);
    const outcome = await run(envId, READ_INFO, [abs]);
    if (outcome.exitCode === 4) throw new EnvdError('not_found', `file not found: ${abs}`);
    if (outcome.exitCode === 3) throw new EnvdError('invalid_argument', 'path is a directory');
    if (outcome.exitCode === 5) throw new EnvdError('invalid_argument', `path is not a regular file: ${abs}`);
    if (outcome.exitCode !== 0) throw failed(`read ${abs}`, outcome);
    const answer = splitOnce(outcome.stdout);
    if (!answer) throw failed(`read ${abs}`, outcome);
    // The size comes from stat inside the sandbox, which may say anything: it only refuses early.
    // What bounds the read is the bytes that really arrive from the engine.
    const size = Number(answer[0]);
    const tooLarge = () => new AppError('file_too_large', `${abs} is larger than ${deps.maxFileBytes} bytes, the most that can be read`);
    if (size > deps.maxFileBytes) throw tooLarge();
    // The engine hands out a link as a link: read its real path so the content comes back.
    const real = answer[1].replace(/\n$/, '');
    const content = await firstFileIn(await runtime.readArchive(envId, real), deps.maxFileBytes, tooLarge);
    if (!content) throw new EnvdError('invalid_argument', `path is not a regular file: ${abs}`);
    return content;
  }

  async function write(envId: string, input: string, data: Buffer): Promise<WrittenFile> {
    const abs = resolvePath(input);
    if (data.length > deps.maxFileBytes) throw new EnvdError('invalid_argument', `file is ${data.length} bytes; files up to ${deps.maxFileBytes} bytes can be written`);
    const outcome = await run(envId, PREPARE_WRITE, [abs]);
    if (outcome.exitCode === 3) throw new EnvdError('invalid_argument', 'path is a directory');
    if (outcome.exitCode === 5) throw new EnvdError('invalid_argument', `path is not a regular file: ${abs}`);
    if (outcome.exitCode === 6) throw new EnvdError('invalid_argument', `cannot create ${abs}: ${outcome.stderr.trim()}`);
    if (outcome.exitCode !== 0) throw failed(`write ${abs}`, outcome);
    const answer = splitOnce(outcome.stdout);
    if (!answer) throw failed(`write ${abs}`, outcome);
    const mode = parseInt(answer[0], 8);
    const real = path.normalize(answer[1]);
    // The tar entry says uid 0, so the file ends up owned by root, as with Berth's own files API (Berth images run as root).
    await runtime.writeArchive(envId, path.dirname(real), singleFileTar(path.basename(real), data, mode));
    return { name: path.basename(abs), type: 'file', path: abs };
  }

  return { stat, list, makeDir, move, remove, read, write };
}

export type EnvdFiles = ReturnType<typeof createEnvdFiles>;
