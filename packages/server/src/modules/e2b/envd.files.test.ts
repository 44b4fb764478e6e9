import { describe, expect, it } from 'vitest';
import { EnvdError } from './e2b.errors.js';
import { resolvePath } from './envd.files.js';

describe('resolvePath', () => {
  it('keeps absolute paths anywhere in the machine, not only under /workspace', () => {
    expect(resolvePath('/etc/hosts')).toBe('/etc/hosts');
    expect(resolvePath('/tmp/a/b.txt')).toBe('/tmp/a/b.txt');
    expect(resolvePath('/')).toBe('/');
  });

  it('resolves relative paths against the home folder, /workspace', () => {
    expect(resolvePath('notes.txt')).toBe('/workspace/notes.txt');
    expect(resolvePath('./src/app.py')).toBe('/workspace/src/app.py');
    expect(resolvePath('')).toBe('/workspace');
    expect(resolvePath('.')).toBe('/workspace');
  });

  it('lets relative paths climb out of the home folder, as on a whole machine', () => {
    expect(resolvePath('../etc/passwd')).toBe('/etc/passwd');
    expect(resolvePath('../../../..')).toBe('/');
  });

  it('folds ".", ".." and repeated slashes and drops a trailing slash', () => {
    expect(resolvePath('/tmp//a/./b/../c/')).toBe('/tmp/a/c');
    expect(resolvePath('//x')).toBe('/x');
    expect(resolvePath('/..')).toBe('/');
    expect(resolvePath('dir/')).toBe('/workspace/dir');
  });

  it('expands "~" and "~/…" to the home folder', () => {
    expect(resolvePath('~')).toBe('/workspace');
    expect(resolvePath('~/a/b')).toBe('/workspace/a/b');
  });

  it('keeps names that only look special', () => {
    expect(resolvePath('/tmp/a|b c')).toBe('/tmp/a|b c');
    expect(resolvePath('/tmp/-rf')).toBe('/tmp/-rf');
    expect(resolvePath("/tmp/$(touch x)'\"")).toBe("/tmp/$(touch x)'\"");
  });

  it('refuses another user\'s home ("~name") and NUL bytes with invalid_argument', () => {
    for (const bad of ['~root/x', 'a\0b']) {
      let caught: unknown;
      try {
        resolvePath(bad);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(EnvdError);
      expect((caught as EnvdError).code).toBe('invalid_argument');
    }
  });
});
