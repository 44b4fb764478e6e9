import { beforeAll, describe, expect, it } from 'vitest';
import { EnvdError, type ConnectCode } from '../packages/server/src/modules/e2b/e2b.errors.js';
import { createEnvdFiles, LIST_MAX_ENTRIES, type EntryInfo, type EnvdFiles } from '../packages/server/src/modules/e2b/envd.files.js';
import { AppError } from '../packages/server/src/errors.js';
import { createMachineFiles } from '../packages/server/src/modules/files/files.machine.js';
import { createFilesRunner } from '../packages/server/src/modules/files/files.runner.js';
import { installLyingStat, removeLyingStat } from './support/lies.js';
import { useTestServer } from './support/test-server.js';
import { rss } from './support/stalled.js';
import { runningEnvironment } from './support/wait.js';

// One running busybox environment serves the whole file; every test works in a folder of its own.

const MAX_FILE_BYTES = 64 * 1024;
/** How far the server's memory may grow while refusing a 2 GiB file (it holds at most the limit, then lets go). */
const RSS_BOUND = 32 * 1024 * 1024;
/** Every byte value, up and then down, so both order and value survive the trip. */
const ALL_BYTES = Buffer.from([...Array.from({ length: 256 }, (_, i) => i), ...Array.from({ length: 256 }, (_, i) => 255 - i)]);
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const { server, users: { 'envd-owner': owner } } = useTestServer({ users: ['envd-owner'] });
let envId: string;
let files: EnvdFiles;

beforeAll(async () => {
  envId = (await runningEnvironment(owner)).id;
  const { runtime } = server.services;
  // The files service's whole-machine view with a small limit of its own; production shares the service's runner and write lock.
  files = createEnvdFiles({ files: createMachineFiles({ runtime, runner: createFilesRunner(runtime), maxFileBytes: MAX_FILE_BYTES }) });
});

/** Runs a script in the environment (arguments as $1, $2, …) and insists it succeeds. */
async function sh(script: string, ...args: string[]): Promise<string> {
  const result = await server.services.runtime.exec(envId, { argv: ['/bin/sh', '-c', script, 'sh', ...args], timeoutMs: 30_000, maxOutputBytes: 1024 * 1024 });
  expect(result.exitCode, `${script}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

/** Whether something (a file, folder or link, dangling or not) is at an absolute path. */
const exists = async (path: string) => (await sh('if [ -e "$1" ] || [ -L "$1" ]; then echo yes; else echo no; fi', path)).trim() === 'yes';

/** Insists the call fails with an EnvdError of this Connect code, and returns it. */
async function expectEnvdError(call: Promise<unknown>, code: ConnectCode): Promise<EnvdError> {
  const error = await call.then(
    () => expect.fail(`expected ${code}, but the call succeeded`),
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(EnvdError);
  expect((error as EnvdError).code, (error as Error).message).toBe(code);
  return error as EnvdError;
}

/** Insists the call fails with Berth's 413 file_too_large (E2B's /files answers it as 413). */
async function expectFileTooLarge(call: Promise<unknown>): Promise<AppError> {
  const error = await call.then(
    () => expect.fail('expected file_too_large, but the call succeeded'),
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code, (error as Error).message).toBe('file_too_large');
  return error as AppError;
}

const names = (entries: EntryInfo[]) => entries.map((e) => e.name);
const relPaths = (dir: string, entries: EntryInfo[]) => entries.map((e) => e.path.slice(dir.length + 1));

describe('write and read', () => {
  it('round-trips every byte value through an absolute path outside /workspace', async () => {
    expect(await files.write(envId, '/tmp/rw/all.bin', ALL_BYTES)).toEqual({ name: 'all.bin', type: 'file', path: '/tmp/rw/all.bin' });
    expect((await files.read(envId, '/tmp/rw/all.bin')).equals(ALL_BYTES)).toBe(true);
    expect((await sh('wc -c < "$1"', '/tmp/rw/all.bin')).trim()).toBe(String(ALL_BYTES.length));
  });

  it('round-trips an empty file', async () => {
    await files.write(envId, '/tmp/rw/empty', Buffer.alloc(0));
    expect((await files.read(envId, '/tmp/rw/empty')).length).toBe(0);
  });

  it('resolves relative paths against /workspace, the home folder', async () => {
    expect(await files.write(envId, 'rel/home.txt', Buffer.from('at home'))).toEqual({ name: 'home.txt', type: 'file', path: '/workspace/rel/home.txt' });
    expect(await sh('cat /workspace/rel/home.txt')).toBe('at home');
    expect((await files.read(envId, '~/rel/home.txt')).toString()).toBe('at home');
  });

  it('creates missing parent folders', async () => {
    await files.write(envId, '/tmp/a/b/c.txt', Buffer.from('deep'));
    expect(await sh('cat /tmp/a/b/c.txt')).toBe('deep');
    expect((await files.stat(envId, '/tmp/a/b')).type).toBe('FILE_TYPE_DIRECTORY');
  });

  it('overwrites an existing file and keeps its mode', async () => {
    await sh('mkdir -p /tmp/over && printf old-and-longer > /tmp/over/f && chmod 600 /tmp/over/f');
    await files.write(envId, '/tmp/over/f', Buffer.from('new'));
    expect((await files.read(envId, '/tmp/over/f')).toString()).toBe('new');
    expect(await files.stat(envId, '/tmp/over/f')).toMatchObject({ mode: 0o600, permissions: '-rw-------', size: '3' });
  });

  it('writes through a symlink into the file it points to, leaving the link a link', async () => {
    await sh('mkdir -p /tmp/wl && printf before > /tmp/wl/target && ln -s target /tmp/wl/link');
    await files.write(envId, '/tmp/wl/link', Buffer.from('after'));
    expect(await sh('cat /tmp/wl/target')).toBe('after');
    expect((await files.stat(envId, '/tmp/wl/link')).type).toBe('FILE_TYPE_SYMLINK');
  });

  it('refuses to write onto a folder with invalid_argument, and leaves it a folder', async () => {
    await sh('mkdir -p /tmp/wdir/sub');
    const error = await expectEnvdError(files.write(envId, '/tmp/wdir/sub', Buffer.from('x')), 'invalid_argument');
    expect(error.message).toBe('path is a directory');
    expect((await files.stat(envId, '/tmp/wdir/sub')).type).toBe('FILE_TYPE_DIRECTORY');
  });

  it('reads a file through a symlink', async () => {
    await sh('mkdir -p /tmp/rl && printf linked > /tmp/rl/real && ln -s /tmp/rl/real /tmp/rl/abs-link');
    expect((await files.read(envId, '/tmp/rl/abs-link')).toString()).toBe('linked');
  });

  it('answers not_found for a missing file and for a dangling link', async () => {
    await expectEnvdError(files.read(envId, '/tmp/no/such/file'), 'not_found');
    await sh('mkdir -p /tmp/dang && ln -sf /tmp/dang/nowhere /tmp/dang/link');
    await expectEnvdError(files.read(envId, '/tmp/dang/link'), 'not_found');
  });

  it('answers invalid_argument "path is a directory" for a folder', async () => {
    const error = await expectEnvdError(files.read(envId, '/tmp'), 'invalid_argument');
    expect(error.message).toBe('path is a directory');
  });

  it('refuses files larger than maxFileBytes both ways', async () => {
    await sh('mkdir -p /tmp/big && dd if=/dev/zero of=/tmp/big/f bs=1024 count=65 2>/dev/null');
    expect((await expectFileTooLarge(files.read(envId, '/tmp/big/f'))).message).toContain(String(MAX_FILE_BYTES));
    await expectEnvdError(files.write(envId, '/tmp/big/g', Buffer.alloc(MAX_FILE_BYTES + 1)), 'invalid_argument');
    expect(await exists('/tmp/big/g')).toBe(false);
    // Exactly the limit is fine.
    await files.write(envId, '/tmp/big/h', Buffer.alloc(MAX_FILE_BYTES, 7));
    expect((await files.read(envId, '/tmp/big/h')).length).toBe(MAX_FILE_BYTES);
  });

  it('refuses a 2 GiB file with file_too_large when stat in the sandbox says it is 10 bytes, holding no more than the limit', async () => {
    await sh(`mkdir -p /tmp/huge && dd if=/dev/zero of=/tmp/huge/f bs=1 count=0 seek=${2 * 1024 ** 3} 2>/dev/null`);
    await installLyingStat(server.services.runtime, envId);
    try {
      expect(await sh('stat -L -c \'%s\' "$1" && readlink -f "$1"', '/tmp/huge/f')).toBe('10\n/tmp/huge/f\n');
      const before = rss();
      await expectFileTooLarge(files.read(envId, '/tmp/huge/f'));
      expect(rss() - before).toBeLessThan(RSS_BOUND);
    } finally {
      await removeLyingStat(server.services.runtime, envId);
    }
  });

  it('treats shell syntax in a path as a name, never as a command', async () => {
    const path = "/tmp/inj/$(touch /tmp/inj-pwned)`touch /tmp/inj-pwned`;touch /tmp/inj-pwned'\"";
    await files.write(envId, path, Buffer.from('safe'));
    expect((await files.read(envId, path)).toString()).toBe('safe');
    expect(await exists('/tmp/inj-pwned')).toBe(false);
  });
});

describe('stat', () => {
  it('describes a file: name, absolute path, size as a string, mode bits, permissions, owner, group and mtime', async () => {
    await sh('mkdir -p /tmp/st && printf hello > /tmp/st/f.txt && chmod 644 /tmp/st/f.txt && touch -d "2020-01-02 03:04:05" /tmp/st/f.txt');
    expect(await files.stat(envId, '/tmp/st/f.txt')).toEqual({
      name: 'f.txt',
      type: 'FILE_TYPE_FILE',
      path: '/tmp/st/f.txt',
      size: '5',
      mode: 420,
      permissions: '-rw-r--r--',
      owner: 'root',
      group: 'root',
      modifiedTime: '2020-01-02T03:04:05.000Z',
    });
  });

  it('describes a folder, with the permission bits only (no sticky bit in mode)', async () => {
    await sh('mkdir -p /tmp/st/dir /tmp/st/sticky && chmod 750 /tmp/st/dir && chmod 1777 /tmp/st/sticky');
    expect(await files.stat(envId, '/tmp/st/dir')).toMatchObject({ name: 'dir', type: 'FILE_TYPE_DIRECTORY', path: '/tmp/st/dir', mode: 0o750, permissions: 'drwxr-x---' });
    expect(await files.stat(envId, '/tmp/st/sticky')).toMatchObject({ mode: 0o777, permissions: 'drwxrwxrwt' });
  });

  it('describes a symlink itself, with its target as written in the link', async () => {
    await sh('mkdir -p /tmp/st && ln -sf f.txt /tmp/st/rel-link && ln -sf /tmp/st/dir /tmp/st/abs-link && ln -sf /nowhere /tmp/st/dangling');
    expect(await files.stat(envId, '/tmp/st/rel-link')).toMatchObject({ name: 'rel-link', type: 'FILE_TYPE_SYMLINK', path: '/tmp/st/rel-link', symlinkTarget: 'f.txt', permissions: 'lrwxrwxrwx' });
    expect(await files.stat(envId, '/tmp/st/abs-link')).toMatchObject({ type: 'FILE_TYPE_SYMLINK', symlinkTarget: '/tmp/st/dir' });
    expect(await files.stat(envId, '/tmp/st/dangling')).toMatchObject({ type: 'FILE_TYPE_SYMLINK', symlinkTarget: '/nowhere' });
  });

  it('names the root folder "/" and reports owners without a passwd entry by number', async () => {
    expect(await files.stat(envId, '/')).toMatchObject({ name: '/', path: '/', type: 'FILE_TYPE_DIRECTORY' });
    await sh('printf x > /tmp/st/nobody && chown 4242:4343 /tmp/st/nobody');
    expect(await files.stat(envId, '/tmp/st/nobody')).toMatchObject({ owner: '4242', group: '4343' });
  });

  it('answers not_found for a missing path', async () => {
    await expectEnvdError(files.stat(envId, '/tmp/st/missing'), 'not_found');
  });
});

describe('list', () => {
  const dir = '/tmp/ls';
  beforeAll(async () => {
    await sh(`mkdir -p ${dir}/sub/deeper && cd ${dir} && printf 12345 > a.txt && printf b > sub/b.txt && printf c > sub/deeper/c.txt \
      && printf p > 'x|y z.txt' && ln -s a.txt link && mkfifo pipe && touch "$(printf 'new\\nline')"`);
  });

  it('lists the direct children at depth 1, without the folder itself or names it cannot carry', async () => {
    const entries = await files.list(envId, dir, 1);
    expect(names(entries)).toEqual(['a.txt', 'link', 'sub', 'x|y z.txt']);
    expect(entries.find((e) => e.name === 'a.txt')).toMatchObject({ type: 'FILE_TYPE_FILE', path: `${dir}/a.txt`, size: '5', mode: 420, permissions: '-rw-r--r--', owner: 'root', group: 'root' });
    expect(entries.find((e) => e.name === 'link')).toMatchObject({ type: 'FILE_TYPE_SYMLINK', symlinkTarget: 'a.txt' });
    expect(entries.find((e) => e.name === 'sub')).toMatchObject({ type: 'FILE_TYPE_DIRECTORY', path: `${dir}/sub` });
    expect(entries.find((e) => e.name === 'x|y z.txt')).toMatchObject({ type: 'FILE_TYPE_FILE', path: `${dir}/x|y z.txt`, size: '1' });
    for (const e of entries) expect(e.modifiedTime).toMatch(ISO);
    expect(entries.find((e) => e.name === 'a.txt')?.symlinkTarget).toBeUndefined();
  });

  it('goes one level further at depth 2, in walk order', async () => {
    const entries = await files.list(envId, dir, 2);
    expect(relPaths(dir, entries)).toEqual(['a.txt', 'link', 'sub', 'sub/b.txt', 'sub/deeper', 'x|y z.txt']);
    expect(entries.find((e) => e.name === 'b.txt')).toMatchObject({ path: `${dir}/sub/b.txt`, type: 'FILE_TYPE_FILE' });
    expect(relPaths(dir, await files.list(envId, dir, 3))).toContain('sub/deeper/c.txt');
  });

  it('lists a folder through a link to it, with paths under the requested path', async () => {
    await sh(`ln -sfn ${dir}/sub /tmp/ls-link`);
    const entries = await files.list(envId, '/tmp/ls-link', 1);
    expect(entries.map((e) => e.path)).toEqual(['/tmp/ls-link/b.txt', '/tmp/ls-link/deeper']);
  });

  it('answers not_found for a missing folder and invalid_argument for a file or a depth below 1', async () => {
    await expectEnvdError(files.list(envId, '/tmp/ls/missing', 1), 'not_found');
    await expectEnvdError(files.list(envId, `${dir}/a.txt`, 1), 'invalid_argument');
    await expectEnvdError(files.list(envId, dir, 0), 'invalid_argument');
  });

  it('returns an empty list for an empty folder', async () => {
    await sh('mkdir -p /tmp/ls-empty');
    expect(await files.list(envId, '/tmp/ls-empty', 3)).toEqual([]);
  });

  it(`stops at ${LIST_MAX_ENTRIES} entries`, async () => {
    await sh(`mkdir -p /tmp/ls-many && cd /tmp/ls-many && seq 1 ${LIST_MAX_ENTRIES + 5} | xargs touch`);
    const entries = await files.list(envId, '/tmp/ls-many', 1);
    expect(entries).toHaveLength(LIST_MAX_ENTRIES);
    expect(entries.every((e) => e.type === 'FILE_TYPE_FILE' && e.path === `/tmp/ls-many/${e.name}`)).toBe(true);
  });
});

describe('makeDir', () => {
  it('creates a folder and its parents and returns its entry', async () => {
    expect(await files.makeDir(envId, '/tmp/mk/a/b/c')).toMatchObject({ name: 'c', type: 'FILE_TYPE_DIRECTORY', path: '/tmp/mk/a/b/c' });
    expect((await files.stat(envId, '/tmp/mk/a')).type).toBe('FILE_TYPE_DIRECTORY');
  });

  it('answers already_exists for an existing folder', async () => {
    await sh('mkdir -p /tmp/mk/there');
    await expectEnvdError(files.makeDir(envId, '/tmp/mk/there'), 'already_exists');
  });

  it('answers invalid_argument for an existing file, or a file where a parent should be', async () => {
    await sh('mkdir -p /tmp/mk && printf x > /tmp/mk/file');
    await expectEnvdError(files.makeDir(envId, '/tmp/mk/file'), 'invalid_argument');
    await expectEnvdError(files.makeDir(envId, '/tmp/mk/file/below'), 'invalid_argument');
    expect(await sh('cat /tmp/mk/file')).toBe('x');
  });
});

describe('move', () => {
  it('renames a file into new parent folders and returns the entry at its new path', async () => {
    await sh('mkdir -p /tmp/mv && printf moved > "/tmp/mv/a b|c.txt"');
    expect(await files.move(envId, '/tmp/mv/a b|c.txt', '/tmp/mv/new/dir/d e|f.txt')).toMatchObject({ name: 'd e|f.txt', type: 'FILE_TYPE_FILE', path: '/tmp/mv/new/dir/d e|f.txt', size: '5' });
    expect(await exists('/tmp/mv/a b|c.txt')).toBe(false);
    expect((await files.read(envId, '/tmp/mv/new/dir/d e|f.txt')).toString()).toBe('moved');
  });

  it('moves a folder with its content', async () => {
    await sh('mkdir -p /tmp/mv/tree/sub && printf t > /tmp/mv/tree/sub/t');
    expect((await files.move(envId, '/tmp/mv/tree', '/tmp/mv/tree2')).type).toBe('FILE_TYPE_DIRECTORY');
    expect(await sh('cat /tmp/mv/tree2/sub/t')).toBe('t');
    expect(await exists('/tmp/mv/tree')).toBe(false);
  });

  it('replaces an existing file at the destination, as rename does', async () => {
    await sh('mkdir -p /tmp/mv && printf src > /tmp/mv/s && printf dst > /tmp/mv/d');
    await files.move(envId, '/tmp/mv/s', '/tmp/mv/d');
    expect(await sh('cat /tmp/mv/d')).toBe('src');
  });

  it('never moves a file into an existing folder: already_exists, and both stay', async () => {
    await sh('mkdir -p /tmp/mv/full && printf k > /tmp/mv/full/k && printf f > /tmp/mv/f');
    await expectEnvdError(files.move(envId, '/tmp/mv/f', '/tmp/mv/full'), 'already_exists');
    expect(names(await files.list(envId, '/tmp/mv/full', 1))).toEqual(['k']);
    expect(await exists('/tmp/mv/f')).toBe(true);
  });

  it('moves a symlink itself, not what it points to', async () => {
    await sh('mkdir -p /tmp/mv && printf real > /tmp/mv/real && ln -sf /tmp/mv/real /tmp/mv/ln');
    expect(await files.move(envId, '/tmp/mv/ln', '/tmp/mv/ln2')).toMatchObject({ type: 'FILE_TYPE_SYMLINK', symlinkTarget: '/tmp/mv/real' });
    expect(await sh('cat /tmp/mv/real')).toBe('real');
  });

  it('answers not_found for a missing source', async () => {
    await expectEnvdError(files.move(envId, '/tmp/mv/ghost', '/tmp/mv/ghost2'), 'not_found');
  });
});

describe('remove', () => {
  it('removes a folder recursively', async () => {
    await sh('mkdir -p /tmp/rm/tree/a/b && printf x > /tmp/rm/tree/a/b/x');
    await files.remove(envId, '/tmp/rm/tree');
    expect(await exists('/tmp/rm/tree')).toBe(false);
    await expectEnvdError(files.stat(envId, '/tmp/rm/tree'), 'not_found');
  });

  it('removes a file whose name holds spaces and "|"', async () => {
    await files.write(envId, '/tmp/rm/a b|c', Buffer.from('x'));
    await files.remove(envId, '/tmp/rm/a b|c');
    expect(await exists('/tmp/rm/a b|c')).toBe(false);
  });

  it('removes a link to a folder without touching the folder', async () => {
    await sh('mkdir -p /tmp/rm/kept && printf k > /tmp/rm/kept/k && ln -sfn /tmp/rm/kept /tmp/rm/kept-link');
    await files.remove(envId, '/tmp/rm/kept-link');
    expect(await exists('/tmp/rm/kept-link')).toBe(false);
    expect(await sh('cat /tmp/rm/kept/k')).toBe('k');
  });

  it('succeeds for a path that does not exist', async () => {
    await expect(files.remove(envId, '/tmp/rm/never/was')).resolves.toBeUndefined();
  });

  it('refuses to remove / with invalid_argument', async () => {
    await expectEnvdError(files.remove(envId, '/'), 'invalid_argument');
    await expectEnvdError(files.remove(envId, '/tmp/../'), 'invalid_argument');
  });
});
