import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '../../errors.js';
import type { RuntimeDriver } from '../../runtime/driver.js';
import { packTar, readTar, type Entry } from '../files/files.archive.js';
import { DETECT_FILES, type BuildPlan, type SourceTree } from './apps.detect.js';
import { gitProtocols } from './apps.domain.js';

const run = promisify(execFile);

/** An app's source as it is now: its files (paths relative to its root) and the commit they are, for git. */
export interface FetchedSource {
  entries: Entry[];
  sourceRef: string | null;
}

/** The build failed for a reason its author can read and fix (a branch that does not exist, no way to build it). */
export class SourceError extends Error {}

/**
 * Clones one branch of a repository, shallow, with git itself (never a shell): only the transports
 * allowed, never a prompt for credentials, within `timeoutMs`. The clone lives in a folder of its
 * own that goes once its files are read.
 */
/** How git signs in to a private repository (opened from its sealed form only for the clone). */
export type GitCredentials = { username: string; password: string } | { sshKey: string };

/**
 * What git is given to sign in: an Authorization header through git's own config variables
 * (GIT_CONFIG_*: never on a command line another process could read), or a key file only the
 * clone's folder holds, with ssh never prompting and keeping its host keys there too.
 */
async function credentialEnv(dir: string, credentials: GitCredentials | undefined): Promise<Record<string, string>> {
  if (!credentials) return {};
  if ('password' in credentials) {
    const basic = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
    return { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}` };
  }
  const key = path.join(dir, 'key');
  await fs.writeFile(key, credentials.sshKey.endsWith('\n') ? credentials.sshKey : `${credentials.sshKey}\n`, { mode: 0o600 });
  const known = path.join(dir, 'known_hosts');
  return { GIT_SSH_COMMAND: `ssh -i ${key} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=${known}` };
}

export async function fetchGit(url: string, branch: string, opts: { allowLocal: boolean; timeoutMs: number; maxBytes: number; credentials?: GitCredentials }): Promise<FetchedSource> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-app-'));
  // Nothing of Berth's own environment (its database URL, its secret) reaches git or what git runs.
  const env = {
    // eslint-disable-next-line no-restricted-properties -- the search path spawn uses, not configuration
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    GIT_TERMINAL_PROMPT: '0',
    GIT_ALLOW_PROTOCOL: gitProtocols(opts.allowLocal),
    GIT_CONFIG_NOSYSTEM: '1',
    ...(await credentialEnv(dir, opts.credentials)),
  };
  try {
    try {
      await run('git', ['clone', '--quiet', '--depth', '1', '--single-branch', '--branch', branch, '--', url, path.join(dir, 'src')], { env, timeout: opts.timeoutMs });
    } catch (err) {
      const stderr = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
      throw new SourceError(`git could not clone branch ${branch} of ${url}: ${stderr.split('\n').slice(-3).join(' ').slice(0, 500)}`);
    }
    const { stdout } = await run('git', ['-C', path.join(dir, 'src'), 'rev-parse', 'HEAD'], { env });
    return { entries: await readFolder(path.join(dir, 'src'), opts.maxBytes), sourceRef: stdout.trim() };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Every file, folder and link under `root` but .git, as tar entries; more than `maxBytes` of files is refused. */
async function readFolder(root: string, maxBytes: number): Promise<Entry[]> {
  const entries: Entry[] = [];
  let total = 0;
  async function walk(rel: string): Promise<void> {
    for (const dirent of await fs.readdir(path.join(root, rel), { withFileTypes: true })) {
      const name = rel ? `${rel}/${dirent.name}` : dirent.name;
      if (name === '.git') continue;
      const full = path.join(root, name);
      const stat = await fs.lstat(full);
      if (dirent.isSymbolicLink()) entries.push({ name, type: 'symlink', linkname: await fs.readlink(full), mode: 0o777 });
      else if (dirent.isDirectory()) {
        entries.push({ name: `${name}/`, type: 'directory', mode: stat.mode & 0o7777 });
        await walk(name);
      } else if (dirent.isFile()) {
        total += stat.size;
        if (total > maxBytes) throw new SourceError(`the source holds more than ${maxBytes} bytes`);
        entries.push({ name, type: 'file', mode: stat.mode & 0o7777, data: await fs.readFile(full) });
      }
    }
  }
  await walk('');
  return entries;
}

/** A folder of an environment as it is now, read through the runtime as files are (bounded), re-rooted at the folder. */
export async function fetchWorkspace(runtime: Pick<RuntimeDriver, 'readArchive'>, environmentId: string, folder: string, maxBytes: number): Promise<FetchedSource> {
  const tooLarge = () => new SourceError(`${folder} holds more than ${maxBytes} bytes`);
  const entries = await readTar(await runtime.readArchive(environmentId, folder), maxBytes, tooLarge).catch((err: unknown) => {
    if (err instanceof SourceError || err instanceof AppError) throw err;
    throw new SourceError(`could not read ${folder} in the environment: ${(err as Error).message}`);
  });
  // The archive names the folder itself first ("app/…"): its contents are the source's root.
  const rerooted = entries
    .map((e) => ({ ...e, name: e.name.split('/').slice(1).join('/') }))
    .filter((e) => e.name !== '' && e.name !== '/' && (e.type === 'file' || e.type === 'directory' || e.type === 'symlink'));
  return { entries: rerooted, sourceRef: null };
}

/** What the detector reads: the root's names, and the few files it asks for. */
export function sourceTree(entries: readonly Entry[]): SourceTree {
  const root = entries.filter((e) => !e.name.replace(/\/$/, '').includes('/'));
  const files = new Set(root.map((e) => e.name.replace(/\/$/, '')));
  const contents = new Map(root.filter((e) => e.type === 'file' && DETECT_FILES.includes(e.name)).map((e) => [e.name, e.data?.toString('utf8') ?? '']));
  return { files, read: (name) => contents.get(name) };
}

/** The build context: the source, with the generated Dockerfile (when there is one) at its root. */
export function buildContext(entries: readonly Entry[], plan: BuildPlan): Promise<Buffer> {
  const files = plan.dockerfile === null ? [...entries] : [...entries.filter((e) => e.name !== 'Dockerfile'), { name: 'Dockerfile', type: 'file', mode: 0o644, data: Buffer.from(plan.dockerfile) }];
  // The generated Dockerfile copies everything; node_modules and .git brought along would only be in the way.
  if (plan.dockerfile !== null) files.push({ name: '.dockerignore', type: 'file', mode: 0o644, data: Buffer.from('.git\nnode_modules\n.venv\n') });
  return packTar(files);
}
