import path from 'node:path/posix';
import { AppError, TimedOutError } from '../../errors.js';
import type { ExecOutcome, RuntimeDriver } from '../../runtime/driver.js';
import { firstFileIn, singleFileTar } from './files.archive.js';
import { parseStat, parseTree, type StatEntry, type TreeEntry } from './files.domain.js';
import { SCRIPT_TIMEOUT_MS, type FilesRunner } from './files.runner.js';
import * as sh from './files.shell.js';

/** At most this many entries per tree listing, so a deep listing of / cannot flood the server. */
export const TREE_MAX_ENTRIES = 10_000;
/** A tree of TREE_MAX_ENTRIES entries with long paths prints far more than one folder does. */
const TREE_OUTPUT_MAX_BYTES = 16 * 1024 * 1024;
/** Moving and removing whole trees takes longer than looking at them. */
const TREE_CHANGE_TIMEOUT_MS = 120_000;
const TREE_LIST_TIMEOUT_MS = 60_000;

interface Deps {
  runtime: Pick<RuntimeDriver, 'readArchive' | 'writeArchive'>;
  runner: FilesRunner;
  /** The largest file read() returns or write() accepts (whole files are held in memory). */
  maxFileBytes: number;
}

/**
 * The file layer's whole-machine view, for APIs that treat an environment as
 * the caller's own machine (E2B's envd): any absolute path, no confinement to
 * /workspace, no running check (the caller has made both decisions). Same
 * scripts, stat parser, runner and write lock as Berth's files API. Paths
 * arrive absolute and normalised; errors are the hierarchy's, with messages
 * in envd's words because that is the only caller today.
 */
export function createMachineFiles({ runtime, runner, maxFileBytes }: Deps) {
  async function run(id: string, script: string, args: string[], timeoutMs = SCRIPT_TIMEOUT_MS, maxOutputBytes?: number): Promise<ExecOutcome> {
    const outcome = await runner.run(id, script, args, { timeoutMs, maxOutputBytes });
    if (outcome.timedOut) throw new TimedOutError(`the filesystem operation took longer than ${timeoutMs} ms`);
    return outcome;
  }

  /** Any exit the caller did not expect, with what the tools said (a permission problem, usually). */
  const failed = (what: string, outcome: ExecOutcome) => new AppError('internal_error', `${what} failed: ${outcome.stderr.trim() || `exit code ${outcome.exitCode}`}`);
  const invalid = (detail: string) => new AppError('validation_failed', detail);

  function parsed(stdout: string, abs: string): StatEntry {
    const entry = parseStat(stdout);
    if (!entry) throw new AppError('internal_error', `unexpected stat output for "${abs}"`);
    return entry;
  }

  async function stat(id: string, abs: string): Promise<StatEntry> {
    const outcome = await run(id, sh.STAT, [abs]);
    if (outcome.exitCode === sh.EXIT.missing) throw new AppError('not_found', `path not found: ${abs}`);
    if (outcome.exitCode !== 0) throw failed(`stat ${abs}`, outcome);
    return parsed(outcome.stdout, abs);
  }

  /** Everything below folder `dir` down to `depth` levels, in a walk's order; a snapshot if entries change meanwhile. */
  async function tree(id: string, dir: string, depth: number): Promise<TreeEntry[]> {
    const outcome = await run(id, sh.TREE, [dir, String(depth), String(TREE_MAX_ENTRIES), sh.STAT_MANY], TREE_LIST_TIMEOUT_MS, TREE_OUTPUT_MAX_BYTES);
    if (outcome.exitCode === sh.EXIT.missing) throw new AppError('not_found', `directory not found: ${dir}`);
    if (outcome.exitCode === sh.EXIT.notADirectory) throw invalid(`path is not a directory: ${dir}`);
    if (outcome.exitCode !== 0 && !outcome.stdout) throw failed(`list ${dir}`, outcome);
    // A non-zero exit with output means some entries vanished or were unreadable mid-walk: list the rest, as a snapshot.
    // Output cut at the byte limit may end in half a line, whose name would be wrong: it goes.
    const whole = outcome.truncated ? outcome.stdout.slice(0, outcome.stdout.lastIndexOf('\n') + 1) : outcome.stdout;
    return parseTree(whole, dir);
  }

  /** A new folder (and its parents); one that exists already is a conflict. */
  async function makeDir(id: string, abs: string): Promise<StatEntry> {
    const outcome = await run(id, sh.MAKE_NEW_DIR, [abs]);
    if (outcome.exitCode === sh.EXIT.exists) throw new AppError('conflict', `directory already exists: ${abs}`);
    if (outcome.exitCode === sh.EXIT.notADirectory) throw invalid(`path already exists but it is not a directory: ${abs}`);
    if (outcome.exitCode === sh.EXIT.cannotCreate) throw invalid(`cannot create ${abs}: ${outcome.stderr.trim()}`);
    if (outcome.exitCode !== 0) throw failed(`mkdir ${abs}`, outcome);
    return parsed(outcome.stdout, abs);
  }

  /** rename(2): a link or an empty folder at `to` is replaced, anything else there refuses. */
  async function rename(id: string, from: string, to: string): Promise<StatEntry> {
    // rename(2) onto itself is a no-op; mv would call it an error.
    if (from === to) return stat(id, to);
    const outcome = await run(id, sh.RENAME, [from, to], TREE_CHANGE_TIMEOUT_MS);
    if (outcome.exitCode === sh.EXIT.missing) throw new AppError('not_found', `source file not found: ${from}`);
    if (outcome.exitCode === sh.EXIT.notEmpty) throw new AppError('conflict', `destination is a directory that cannot be replaced: ${to}`);
    if (outcome.exitCode === sh.EXIT.cannotCreate) throw invalid(`cannot move ${from} to ${to}: ${outcome.stderr.trim()}`);
    if (outcome.exitCode !== 0) throw failed(`move ${from}`, outcome);
    return parsed(outcome.stdout, to);
  }

  /** Removes whatever is at `abs`, folders with their content; nothing there is fine. */
  async function remove(id: string, abs: string): Promise<void> {
    // Wiping the whole environment is never what a call means.
    if (abs === '/') throw invalid('refusing to remove /');
    const outcome = await run(id, sh.REMOVE_ANY, [abs], TREE_CHANGE_TIMEOUT_MS);
    if (outcome.exitCode !== 0) throw failed(`remove ${abs}`, outcome);
  }

  /** A regular file's bytes, links followed. */
  async function read(id: string, abs: string): Promise<Buffer> {
    const outcome = await run(id, sh.READ_INFO, [abs]);
    if (outcome.exitCode === sh.EXIT.missing) throw new AppError('not_found', `file not found: ${abs}`);
    if (outcome.exitCode === sh.EXIT.isADirectory) throw invalid('path is a directory');
    if (outcome.exitCode === sh.EXIT.notARegularFile) throw invalid(`path is not a regular file: ${abs}`);
    if (outcome.exitCode !== 0) throw failed(`read ${abs}`, outcome);
    const newline = outcome.stdout.indexOf('\n');
    if (newline < 0) throw failed(`read ${abs}`, outcome);
    // The size comes from stat inside the environment, which may say anything: it only refuses early.
    // What bounds the read is the bytes that really arrive from the engine.
    const size = Number(outcome.stdout.slice(0, newline));
    const tooLarge = () => new AppError('file_too_large', `${abs} is larger than ${maxFileBytes} bytes, the most that can be read`);
    if (size > maxFileBytes) throw tooLarge();
    // The engine hands out a link as a link: read its real path so the content comes back.
    const real = outcome.stdout.slice(newline + 1).replace(/\n$/, '');
    const content = await firstFileIn(await runtime.readArchive(id, real), maxFileBytes, tooLarge);
    if (!content) throw invalid(`path is not a regular file: ${abs}`);
    return content;
  }

  /** Writes a file through links (dangling ones too), parents created; a replaced file keeps its mode. */
  async function write(id: string, abs: string, data: Buffer): Promise<void> {
    if (data.length > maxFileBytes) throw invalid(`file is ${data.length} bytes; files up to ${maxFileBytes} bytes can be written`);
    const outcome = await run(id, sh.PREPARE_WRITE, [abs]);
    if (outcome.exitCode === sh.EXIT.isADirectory) throw invalid('path is a directory');
    if (outcome.exitCode === sh.EXIT.notARegularFile) throw invalid(`path is not a regular file: ${abs}`);
    if (outcome.exitCode === sh.EXIT.cannotCreate) throw invalid(`cannot create ${abs}: ${outcome.stderr.trim()}`);
    if (outcome.exitCode !== 0) throw failed(`write ${abs}`, outcome);
    const newline = outcome.stdout.indexOf('\n');
    if (newline < 0) throw failed(`write ${abs}`, outcome);
    const mode = parseInt(outcome.stdout.slice(0, newline), 8);
    const real = path.normalize(outcome.stdout.slice(newline + 1));
    // The tar entry says uid 0, so the file ends up owned by root, as with Berth's own files API (Berth images run as root).
    // Under the same lock as Berth's writes, so neither lands between the other's revision check and write.
    await runner.exclusive(id, real, () => runtime.writeArchive(id, path.dirname(real), singleFileTar(path.basename(real), data, mode)));
  }

  return { stat, tree, makeDir, rename, remove, read, write };
}

export type MachineFiles = ReturnType<typeof createMachineFiles>;
