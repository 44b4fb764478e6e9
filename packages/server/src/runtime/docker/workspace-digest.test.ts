import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { digestArchive } from './workspace-digest.js';

interface Entry {
  name: string;
  content?: string;
  mode?: number;
  uid?: number;
  mtime?: Date;
  linkname?: string;
}

function archive(entries: Entry[]): NodeJS.ReadableStream {
  const pack = tar.pack();
  for (const e of entries) {
    if (e.linkname) pack.entry({ name: e.name, type: 'symlink', linkname: e.linkname, mtime: e.mtime });
    else pack.entry({ name: e.name, mode: e.mode ?? 0o644, uid: e.uid ?? 0, mtime: e.mtime ?? new Date(0) }, e.content ?? '');
  }
  pack.finalize();
  return pack as unknown as Readable;
}

const base: Entry[] = [
  { name: 'workspace/a.txt', content: 'alpha' },
  { name: 'workspace/deep/b.txt', content: 'beta', mode: 0o600, uid: 1000 },
  { name: 'workspace/link', linkname: 'a.txt' },
];

describe('a workspace digest', () => {
  it('is the same for the same files whatever their order or modification times', async () => {
    const original = await digestArchive(archive(base));
    const copy = await digestArchive(archive([...base].reverse().map((e) => ({ ...e, mtime: new Date() }))));
    expect(copy).toEqual(original);
    expect(original).toMatchObject({ files: 3, bytes: 9 });
  });

  it.each<[string, Entry[]]>([
    ['a changed byte', [{ ...base[0]!, content: 'alphA' }, base[1]!, base[2]!]],
    ['a changed mode', [base[0]!, { ...base[1]!, mode: 0o644 }, base[2]!]],
    ['a changed owner', [base[0]!, { ...base[1]!, uid: 0 }, base[2]!]],
    ['a link elsewhere', [base[0]!, base[1]!, { ...base[2]!, linkname: 'deep/b.txt' }]],
    ['a missing file', [base[0]!, base[2]!]],
    ['a renamed file', [{ ...base[0]!, name: 'workspace/A.txt' }, base[1]!, base[2]!]],
  ])('differs for %s', async (_what, changed) => {
    expect((await digestArchive(archive(changed))).digest).not.toBe((await digestArchive(archive(base))).digest);
  });
});
