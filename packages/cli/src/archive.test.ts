import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unpackFolder } from './archive.js';

/**
 * Archives an environment could hand `berth cp ENV:dir local`, written by hand
 * (a real folder cannot hold two entries of one name, a tar can), unpacked into
 * a real temporary folder next to a "victim" folder that must stay untouched.
 */
type Entry = { name: string; type?: 'file' | 'directory' | 'symlink'; linkname?: string; content?: string };

async function archive(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const ended = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  for (const e of entries) {
    if ((e.type ?? 'file') === 'file') pack.entry({ name: e.name }, e.content ?? 'x');
    else pack.entry({ name: e.name, type: e.type, linkname: e.linkname });
  }
  pack.finalize();
  await ended;
  return gzipSync(Buffer.concat(chunks));
}

let base: string;
let dest: string;
let victim: string;
let warnings: string[];
const warn = (m: string) => void warnings.push(m);

beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'berth-unpack-'));
  dest = path.join(base, 'dest');
  victim = path.join(base, 'victim');
  await mkdir(victim);
  warnings = [];
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const victimFiles = () => readdir(victim);

describe('unpackFolder', () => {
  it('unpacks files, folders and links that stay inside, dropping the archive\'s top folder', async () => {
    const count = await unpackFolder(
      await archive([
        { name: 'proj', type: 'directory' },
        { name: 'proj/lib/x.js', content: 'x' },
        { name: 'proj/bin', type: 'directory' },
        { name: 'proj/bin/x', type: 'symlink', linkname: '../lib/x.js' },
      ]),
      dest,
      warn,
    );
    expect(count).toBe(3);
    expect(await readFile(path.join(dest, 'bin/x'), 'utf8')).toBe('x');
    expect(await readlink(path.join(dest, 'bin/x'))).toBe('../lib/x.js');
    expect(warnings).toEqual([]);
  });

  it('refuses a file under a link the archive makes to a folder outside, writing nothing there', async () => {
    const planted = archive([
      { name: 'proj/k', type: 'symlink', linkname: victim },
      { name: 'proj/k/authorized_keys', content: 'ssh-ed25519 attacker' },
    ]);
    await expect(unpackFolder(await planted, dest, warn)).rejects.toThrow(/proj\/k\/authorized_keys.*under a symlink/);
    expect(await victimFiles()).toEqual([]);
  });

  it('refuses to write through a link already on disk, where an earlier copy or anything else left it', async () => {
    await mkdir(dest);
    await symlink(victim, path.join(dest, 'k'));
    await expect(unpackFolder(await archive([{ name: 'proj/k/authorized_keys' }]), dest, warn)).rejects.toThrow(/through a symlink/);
    await expect(unpackFolder(await archive([{ name: 'proj/k', type: 'directory' }, { name: 'proj/k/a' }]), dest, warn)).rejects.toThrow(/is a symlink/);
    expect(await victimFiles()).toEqual([]);
  });

  it('never replaces a link on disk by a file: the file would be written where the link leads', async () => {
    await mkdir(dest);
    await writeFile(path.join(victim, 'authorized_keys'), 'mine');
    await symlink(path.join(victim, 'authorized_keys'), path.join(dest, 'keys'));
    await expect(unpackFolder(await archive([{ name: 'proj/keys', content: 'theirs' }]), dest, warn)).rejects.toThrow(/keys is a symlink/);
    expect(await readFile(path.join(victim, 'authorized_keys'), 'utf8')).toBe('mine');
  });

  it.each([
    ['an absolute name', '/etc/evil'],
    ['a name climbing with ".."', 'proj/../../evil'],
    ['a name climbing out of the top folder', 'proj/../evil'],
  ])('refuses %s', async (_what, name) => {
    await expect(unpackFolder(await archive([{ name }]), dest, warn)).rejects.toThrow(/refusing archive entry/);
    expect(await readdir(base)).toEqual(expect.not.arrayContaining(['evil']));
  });

  it('skips, with a warning, links that lead outside: absolute, climbing, or through another link', async () => {
    await unpackFolder(
      await archive([
        { name: 'proj/abs', type: 'symlink', linkname: victim },
        { name: 'proj/up', type: 'symlink', linkname: '../victim' },
        { name: 'proj/here', type: 'symlink', linkname: '.' },
        { name: 'proj/through', type: 'symlink', linkname: 'here/../victim' },
        { name: 'proj/ok.txt', content: 'ok' },
      ]),
      dest,
      warn,
    );
    expect((await readdir(dest)).sort()).toEqual(['here', 'ok.txt']);
    expect(warnings).toEqual([
      expect.stringContaining('abs'),
      expect.stringContaining('up'),
      expect.stringMatching(/through .*through other links/),
    ]);
  });

  it('writes a file whose name a link of the archive also takes as a file, and skips that link', async () => {
    await unpackFolder(await archive([{ name: 'proj/k', type: 'symlink', linkname: victim }, { name: 'proj/k', content: 'plain' }]), dest, warn);
    expect((await lstat(path.join(dest, 'k'))).isFile()).toBe(true);
    expect(await victimFiles()).toEqual([]);
    expect(warnings).toEqual([expect.stringContaining('k')]);
  });
});
