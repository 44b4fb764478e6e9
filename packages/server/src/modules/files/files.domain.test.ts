import { describe, expect, it } from 'vitest';
import { confine, relative, safeArchiveEntry } from './files.domain.js';

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
