import { describe, expect, it } from 'vitest';
import { confine, parseStat, parseStatLine, parseTree, relative, safeArchiveEntry, typeOf } from './files.domain.js';

describe('confine', () => {
  it('resolves relative paths under /workspace', () => {
    expect(confine('src/app.py')).toBe('/workspace/src/app.py');
    expect(confine('')).toBe('/workspace');
    expect(confine('.')).toBe('/workspace');
    expect(confine('a/./b/../c')).toBe('/workspace/a/c');
    expect(confine('dir/')).toBe('/workspace/dir');
  });

  it('accepts absolute paths inside the workspace only', () => {
    expect(confine('/workspace/x')).toBe('/workspace/x');
    expect(confine('/workspace')).toBe('/workspace');
    expect(confine('/etc/passwd')).toBeNull();
    expect(confine('/workspace2/x')).toBeNull();
    expect(confine('/')).toBeNull();
  });

  it('refuses paths that climb out, however they are spelled', () => {
    for (const p of ['..', '../x', 'a/../../x', '/workspace/../etc', 'a/b/../../../etc/passwd']) expect(confine(p)).toBeNull();
  });

  it('refuses NUL bytes and absurd lengths', () => {
    expect(confine('a\0b')).toBeNull();
    expect(confine('a/'.repeat(3000))).toBeNull();
  });

  it('shows paths relative to the workspace', () => {
    expect(relative('/workspace/a/b')).toBe('a/b');
    expect(relative('/workspace')).toBe('');
  });
});

describe('safeArchiveEntry', () => {
  const dir = '/workspace/up';
  it('accepts files, folders and links that stay inside', () => {
    expect(safeArchiveEntry(dir, { name: 'a/b.txt', type: 'file' })).toBe(true);
    expect(safeArchiveEntry(dir, { name: 'a/', type: 'directory' })).toBe(true);
    expect(safeArchiveEntry(dir, { name: 'a/link', type: 'symlink', linkname: '../b.txt' })).toBe(true);
  });

  it('keeps entries and link targets inside the folder being unpacked into, not just the workspace', () => {
    expect(safeArchiveEntry(dir, { name: '../sibling.txt', type: 'file' })).toBe(false);
    expect(safeArchiveEntry(dir, { name: 'x', type: 'symlink', linkname: '../../workspace/keep' })).toBe(false);
  });

  it('refuses entries that escape by name or by link target, and devices', () => {
    expect(safeArchiveEntry(dir, { name: '../../etc/passwd', type: 'file' })).toBe(false);
    expect(safeArchiveEntry(dir, { name: '/etc/passwd', type: 'file' })).toBe(false);
    expect(safeArchiveEntry(dir, { name: 'l', type: 'symlink', linkname: '/etc/passwd' })).toBe(false);
    expect(safeArchiveEntry(dir, { name: 'l', type: 'symlink', linkname: '../../../etc' })).toBe(false);
    expect(safeArchiveEntry(dir, { name: 'h', type: 'link', linkname: '../../etc/shadow' })).toBe(false);
    expect(safeArchiveEntry(dir, { name: 'dev', type: 'character-device' })).toBe(false);
  });
});

describe('the one stat parser', () => {
  it('reads every field of a line, ids standing in for names stat does not know', () => {
    expect(parseStatLine('regular file|5|600|-rw-------|1000|50|UNKNOWN|staff|1577934245')).toEqual({
      entry: { type: 'file', size: '5', mode: '600', permissions: '-rw-------', owner: '1000', group: 'staff', mtime: '2020-01-02T03:04:05.000Z' },
    });
  });

  it('keeps everything after the fields as the printed name, bars and spaces included', () => {
    expect(parseStatLine('directory|4096|755|drwxr-xr-x|0|0|root|root|0|./a|b c')?.printed).toBe('./a|b c');
  });

  it('refuses lines that are not stat fields', () => {
    for (const line of ['', 'stat: cannot stat', '@target', 'regular file|x|644|-rw-r--r--|0|0|root|root|0']) expect(parseStatLine(line)).toBeNull();
  });

  it('maps stat type names to four types', () => {
    expect(['regular file', 'regular empty file', 'directory', 'symbolic link', 'fifo', 'socket'].map(typeOf)).toEqual(['file', 'file', 'dir', 'symlink', 'other', 'other']);
  });

  it("takes a link's target from the line after its fields", () => {
    expect(parseStat('symbolic link|6|777|lrwxrwxrwx|0|0|root|root|0\n@target\n')).toMatchObject({ type: 'symlink', symlinkTarget: 'target' });
    expect(parseStat('nonsense')).toBeNull();
  });

  it('lists a tree in walk order, pairing link targets by name and leaving devices out', () => {
    const out = [
      'regular file|1|644|-rw-r--r--|0|0|root|root|0|./a-c',
      'symbolic link|1|777|lrwxrwxrwx|0|0|root|root|0|./a/l',
      'directory|0|755|drwxr-xr-x|0|0|root|root|0|./a',
      'fifo|0|644|prw-r--r--|0|0|root|root|0|./p',
      '>./a/l',
      '@../a-c',
    ].join('\n');
    expect(parseTree(out, '/tmp/t').map((e) => [e.path, e.name, e.type, e.symlinkTarget])).toEqual([
      ['/tmp/t/a', 'a', 'dir', undefined],
      ['/tmp/t/a/l', 'l', 'symlink', '../a-c'],
      ['/tmp/t/a-c', 'a-c', 'file', undefined],
    ]);
  });
});
