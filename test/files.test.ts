import { createHash } from 'node:crypto';
import http from 'node:http';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { AuditEntry, Environment, EnvironmentEvent, ExecResult, FileEntry, SearchMatch } from '@berth/contracts';
import type { LightMyRequestResponse } from 'fastify';
import { unzipSync, zipSync } from 'fflate';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngineProxy, type EngineProxy } from './support/engine-proxy.js';
import { installLyingStat } from './support/lies.js';
import { expectProblem } from './support/problem.js';
import { startTestServer, type Caller, type TestServer } from './support/server.js';
import { useTestServer } from './support/test-server.js';
import { rss, stalledRequest } from './support/stalled.js';
import { runningEnvironment, waitForStatus } from './support/wait.js';

// One running environment serves the whole file; every test works in a folder of its own.

const PASSWORD = 'a-long-enough-password';
const OWNER = 'files-owner';
const OCTET = { 'content-type': 'application/octet-stream' };
const GZIP = { 'content-type': 'application/gzip' };
const MIB = 1024 * 1024;
/** Every byte value, up and then down, so both order and value survive the trip. */
const ALL_BYTES = Buffer.from([...Array.from({ length: 256 }, (_, i) => i), ...Array.from({ length: 256 }, (_, i) => 255 - i)]);

const { server, admin, users: { [OWNER]: owner, 'files-stranger': stranger }, ids } = useTestServer({ users: [OWNER, 'files-stranger'] });
let envId: string;

beforeAll(async () => {
  // Room for the shared environment and the stopped one.
  expect((await admin.patch(`/api/v1/users/${ids[OWNER]}/quota`, { credits: 10 })).statusCode).toBe(200);
  envId = await runningId();
});

const runningId = async () => (await runningEnvironment(owner)).id;

const filesUrl = (id = envId) => `/api/v1/environments/${id}/files`;
const q = encodeURIComponent;
const etagOf = (bytes: Buffer | string) => `"${createHash('sha256').update(bytes).digest('hex')}"`;

/** Runs a shell command in the environment and insists it succeeds. */
async function sh(command: string): Promise<string> {
  const res = await owner.post(`/api/v1/environments/${envId}/exec`, { command });
  expect(res.statusCode, res.body).toBe(200);
  const result = res.json<ExecResult>();
  expect(result.exitCode, `${command}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

/** Whether a path exists in the environment (as a file, folder or link). */
async function exists(absolute: string): Promise<boolean> {
  return (await sh(`if [ -e '${absolute}' ] || [ -L '${absolute}' ]; then echo yes; else echo no; fi`)).trim() === 'yes';
}

const read = (path: string, caller = owner) => caller.get(`${filesUrl()}/content?path=${q(path)}`);
const write = (path: string, body: Buffer | string, headers: Record<string, string> = {}, caller = owner) =>
  caller.put(`${filesUrl()}/content?path=${q(path)}`, body, { ...OCTET, ...headers });

async function list(path: string): Promise<FileEntry[]> {
  const res = await owner.get(`${filesUrl()}?path=${q(path)}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ path: string; items: FileEntry[] }>().items;
}

async function expectContent(path: string, bytes: Buffer | string): Promise<void> {
  const res = await read(path);
  expect(res.statusCode, res.body).toBe(200);
  expect(res.rawPayload.equals(Buffer.from(bytes))).toBe(true);
}

interface ArchiveEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  content?: Buffer | string;
  linkname?: string;
  mode?: number;
}

async function tarGz(entries: ArchiveEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const { content, ...header } of entries) {
    if (content === undefined) pack.entry({ type: 'file', ...header });
    else pack.entry({ type: 'file', ...header }, content);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

interface Unpacked {
  type: string;
  content: Buffer;
  linkname: string | null;
}

/** The entries of a tar.gz by name (folders without their trailing slash). */
async function untarGz(archive: Buffer): Promise<Map<string, Unpacked>> {
  const extract = tar.extract();
  extract.end(gunzipSync(archive));
  const entries = new Map<string, Unpacked>();
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    entries.set(entry.header.name.replace(/\/$/, ''), { type: entry.header.type ?? 'file', content: Buffer.concat(chunks), linkname: entry.header.linkname ?? null });
  }
  return entries;
}

/** What /etc holds, names and bytes, to show that nothing reached it. */
const etcSnapshot = () => sh('find /etc | sort && sha256sum /etc/passwd /etc/group');
/** The same for /etc and the bait folder the routes below aim at. */
const snapshot = () => sh('find /etc /workspace/bait | sort && sha256sum /etc/passwd /etc/group /workspace/bait/bait.txt');

const upload = (path: string, archive: Buffer, caller = owner) => caller.post(`${filesUrl()}/archive?path=${q(path)}`, archive, GZIP);

/** All events after `since`, oldest first. */
async function eventsSince(since: number): Promise<EnvironmentEvent[]> {
  const all: EnvironmentEvent[] = [];
  for (let cursor = since; ; ) {
    const res = await owner.get(`/api/v1/environments/${envId}/events?since=${cursor}&limit=1000`);
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json<{ items: EnvironmentEvent[] }>().items;
    all.push(...items);
    if (items.length < 1000) return all;
    cursor = items.at(-1)!.seq;
  }
}

async function lastEventSeq(): Promise<number> {
  return (await eventsSince(0)).at(-1)?.seq ?? 0;
}

async function auditRows(action: string): Promise<AuditEntry[]> {
  const res = await admin.get(`/api/v1/audit?targetId=${envId}&action=${q(action)}&limit=500`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ items: AuditEntry[] }>().items;
}

async function lastActivityAt(): Promise<number> {
  const res = await owner.get(`/api/v1/environments/${envId}`);
  expect(res.statusCode, res.body).toBe(200);
  const at = res.json<Environment>().lastActivityAt;
  expect(at).not.toBeNull();
  return Date.parse(at!);
}

describe('reading and writing file content', () => {
  it('writes every byte value and reads the same bytes back', async () => {
    const res = await write('content/all-bytes.bin', ALL_BYTES);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toEqual({ path: 'content/all-bytes.bin', etag: etagOf(ALL_BYTES) });

    const back = await read('content/all-bytes.bin');
    expect(back.statusCode).toBe(200);
    expect(back.headers['content-type']).toMatch(/^application\/octet-stream/);
    expect(back.rawPayload.equals(ALL_BYTES)).toBe(true);
  });

  it('answers 201 when it creates a file and 200 when it replaces one', async () => {
    expect((await write('content/twice.txt', 'first')).statusCode).toBe(201);
    expect((await write('content/twice.txt', 'second')).statusCode).toBe(200);
    await expectContent('content/twice.txt', 'second');
  });

  it('creates the missing parent folders of a new file', async () => {
    expect((await write('content/a/b/c/deep.txt', 'deep')).statusCode).toBe(201);
    expect(await list('content/a/b/c')).toEqual([expect.objectContaining({ name: 'deep.txt', path: 'content/a/b/c/deep.txt', type: 'file', size: 4 })]);
  });

  it('stores an image/png body byte for byte', async () => {
    expect((await write('content/picture.png', ALL_BYTES, { 'content-type': 'image/png' })).statusCode).toBe(201);
    await expectContent('content/picture.png', ALL_BYTES);
  });

  // The body is the file whatever its content type: no parser may reformat JSON or re-encode text.
  it.each([
    { type: 'application/json', body: Buffer.from('{"a":   1}') },
    { type: 'text/plain', body: Buffer.from([0xff, 0xfe, 0x41]) },
  ])('stores the bytes of a body sent as $type exactly', async ({ type, body }) => {
    const path = `content/as-sent-${type.replace('/', '-')}`;
    const res = await write(path, body, { 'content-type': type });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers.etag).toBe(etagOf(body));
    await expectContent(path, body);
  });

  it('creates an empty file from a PUT with no body and no content type', async () => {
    const res = await owner.put(`${filesUrl()}/content?path=${q('content/bodiless')}`);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers.etag).toBe(etagOf(''));
    await expectContent('content/bodiless', '');
  });

  it('writes and reads an empty file', async () => {
    const res = await write('content/empty', Buffer.alloc(0));
    expect(res.statusCode, res.body).toBe(201);
    const back = await read('content/empty');
    expect(back.rawPayload.length).toBe(0);
    expect(back.headers.etag).toBe(etagOf(''));
  });

  it('accepts a file of exactly 25 MiB', async () => {
    const big = Buffer.alloc(25 * MIB, 0xa5);
    expect((await write('content/exactly-25-mib.bin', big)).statusCode).toBe(201);
    const back = await read('content/exactly-25-mib.bin');
    expect(back.headers.etag).toBe(etagOf(big));
    expect(back.rawPayload.length).toBe(25 * MIB);
  });

  it('refuses a 26 MiB body with 413 payload_too_large and writes nothing', async () => {
    expectProblem(await write('content/too-big.bin', Buffer.alloc(26 * MIB, 1)), 413, 'payload_too_large');
    expect(await exists('/workspace/content/too-big.bin')).toBe(false);
  });

  it('keeps the mode of a file it replaces', async () => {
    await write('content/mode/run.sh', '#!/bin/sh\n');
    await sh('chmod 755 /workspace/content/mode/run.sh');
    expect((await write('content/mode/run.sh', '#!/bin/sh\necho replaced\n')).statusCode).toBe(200);
    expect(await list('content/mode')).toEqual([expect.objectContaining({ name: 'run.sh', mode: '755' })]);
    await expectContent('content/mode/run.sh', '#!/bin/sh\necho replaced\n');
  });

  it('answers 404 for a file that does not exist', async () => {
    expectProblem(await read('content/never-written.txt'), 404, 'not_found');
  });

  it('refuses to read or overwrite a folder as a file with 409', async () => {
    await sh('mkdir -p /workspace/content/a-folder/inside');
    expectProblem(await read('content/a-folder'), 409, 'conflict');
    expectProblem(await write('content/a-folder', 'x'), 409, 'conflict');
    expect(await list('content/a-folder')).toEqual([expect.objectContaining({ name: 'inside', type: 'dir' })]);
  });
});

describe('revisions: ETag and If-Match', () => {
  it('gives the quoted sha256 of the content as ETag, the same for the same content', async () => {
    const written = await write('revisions/stable.txt', 'same words');
    expect(written.headers.etag).toBe(etagOf('same words'));
    expect((await read('revisions/stable.txt')).headers.etag).toBe(etagOf('same words'));
    expect((await read('revisions/stable.txt')).headers.etag).toBe(etagOf('same words'));
    const rewritten = await write('revisions/stable.txt', 'same words');
    expect(rewritten.statusCode).toBe(200);
    expect(rewritten.headers.etag).toBe(etagOf('same words'));
  });

  it('changes the ETag when the content changes', async () => {
    const before = (await write('revisions/changing.txt', 'version one')).headers.etag;
    const after = (await write('revisions/changing.txt', 'version two')).headers.etag;
    expect(after).not.toBe(before);
    expect((await read('revisions/changing.txt')).headers.etag).toBe(after);
  });

  it('lets the first of two writers holding the same ETag win; the second gets 412 and writes nothing', async () => {
    const [first, second] = [await server.login(OWNER, PASSWORD), await server.login(OWNER, PASSWORD)];
    await write('revisions/shared.txt', 'the original');
    const seenByFirst = (await read('revisions/shared.txt', first)).headers.etag as string;
    const seenBySecond = (await read('revisions/shared.txt', second)).headers.etag as string;
    expect(seenByFirst).toBe(seenBySecond);

    const won = await write('revisions/shared.txt', "first writer's text", { 'if-match': seenByFirst }, first);
    expect(won.statusCode, won.body).toBe(200);
    expectProblem(await write('revisions/shared.txt', "second writer's text", { 'if-match': seenBySecond }, second), 412, 'revision_conflict');

    const now = await read('revisions/shared.txt');
    expect(now.body).toBe("first writer's text");
    expect(now.headers.etag).toBe(won.headers.etag);
  });

  it('lets exactly one of two writers sending the same If-Match at the same moment win, keeping its bytes', async () => {
    // One round could be won cleanly by luck; five make a lost update (two 200s) show.
    for (let round = 1; round <= 5; round++) {
      const etag = (await write('revisions/race.txt', `round ${round}`)).headers.etag as string;
      const bodies = [`round ${round}: writer A`, `round ${round}: writer B`];
      const answers = await Promise.all(bodies.map((body) => write('revisions/race.txt', body, { 'if-match': etag })));
      expect(answers.map((a) => a.statusCode).sort(), `round ${round}`).toEqual([200, 412]);
      const winner = answers.findIndex((a) => a.statusCode === 200);
      expectProblem(answers[1 - winner]!, 412, 'revision_conflict');
      await expectContent('revisions/race.txt', bodies[winner]!);
    }
    // Five rounds of four writes and reads, each a few execs into the container: more than the default on a busy machine.
  }, 90_000);

  it('refuses If-Match with a revision the file never had, leaving it as it was', async () => {
    await write('revisions/guarded.txt', 'kept');
    expectProblem(await write('revisions/guarded.txt', 'lost', { 'if-match': etagOf('something else') }), 412, 'revision_conflict');
    await expectContent('revisions/guarded.txt', 'kept');
  });

  it('refuses If-Match on a file that does not exist yet, creating nothing', async () => {
    expectProblem(await write('revisions/not-there.txt', 'x', { 'if-match': etagOf('') }), 412, 'revision_conflict');
    expect(await exists('/workspace/revisions/not-there.txt')).toBe(false);
  });

  it("refuses If-Match '*' on a file that does not exist with 412, creating nothing", async () => {
    expectProblem(await write('revisions/no-star.txt', 'x', { 'if-match': '*' }), 412, 'revision_conflict');
    expect(await exists('/workspace/revisions/no-star.txt')).toBe(false);
  });

  it("replaces an existing file whatever its revision with If-Match '*'", async () => {
    await write('revisions/star.txt', 'whatever was there');
    const res = await write('revisions/star.txt', 'replaced', { 'if-match': '*' });
    expect(res.statusCode, res.body).toBe(200);
    await expectContent('revisions/star.txt', 'replaced');
  });
});

describe('listing a folder', () => {
  beforeAll(async () => {
    await sh(
      [
        'mkdir -p /workspace/listing/zeta-dir /workspace/listing/alpha-dir',
        'cd /workspace/listing',
        "printf 'hello' > beta.txt && chmod 600 beta.txt && touch -d '2020-01-02 03:04:05' beta.txt",
        "printf '#!/bin/sh\\n' > run.sh && chmod 755 run.sh",
        'ln -s beta.txt link',
      ].join(' && '),
    );
  });

  it('shows folders first, then files and links by name, with type, size, mode and mtime', async () => {
    const res = await owner.get(`${filesUrl()}?path=listing`);
    expect(res.statusCode, res.body).toBe(200);
    const { path, items } = res.json<{ path: string; items: FileEntry[] }>();
    expect(path).toBe('listing');
    expect(items.map((i) => [i.name, i.path, i.type])).toEqual([
      ['alpha-dir', 'listing/alpha-dir', 'dir'],
      ['zeta-dir', 'listing/zeta-dir', 'dir'],
      ['beta.txt', 'listing/beta.txt', 'file'],
      ['link', 'listing/link', 'symlink'],
      ['run.sh', 'listing/run.sh', 'file'],
    ]);
    const byName = Object.fromEntries(items.map((i) => [i.name, i]));
    expect(byName['beta.txt']).toMatchObject({ size: 5, mode: '600', mtime: '2020-01-02T03:04:05.000Z' });
    expect(byName['run.sh']).toMatchObject({ size: 10, mode: '755' });
    // A link's own size is the length of its target, "beta.txt".
    expect(byName.link).toMatchObject({ size: 8, mode: '777' });
    expect(byName['alpha-dir']).toMatchObject({ mode: '755' });
    for (const item of items) expect(Number.isNaN(Date.parse(item.mtime))).toBe(false);
  });

  it('includes hidden files and names the workspace itself ""', async () => {
    await sh('mkdir -p /workspace/hidden && touch /workspace/hidden/.env');
    expect((await list('hidden')).map((i) => i.name)).toEqual(['.env']);
    const root = await owner.get(filesUrl());
    expect(root.statusCode).toBe(200);
    expect(root.json<{ path: string; items: FileEntry[] }>()).toMatchObject({ path: '', items: expect.arrayContaining([expect.objectContaining({ name: 'hidden', path: 'hidden', type: 'dir' })]) });
  });

  it('answers 404 for a folder that does not exist', async () => {
    expectProblem(await owner.get(`${filesUrl()}?path=no-such-folder`), 404, 'not_found');
  });
});

describe('creating folders', () => {
  it('creates nested folders in one call', async () => {
    const res = await owner.post(`${filesUrl()}/mkdir`, { path: 'mkdir/one/two/three' });
    expect(res.statusCode, res.body).toBe(204);
    expect(await list('mkdir/one/two')).toEqual([expect.objectContaining({ name: 'three', path: 'mkdir/one/two/three', type: 'dir' })]);
    expect(await list('mkdir/one/two/three')).toEqual([]);
  });

  it('succeeds for a folder that already exists, keeping its contents', async () => {
    await write('mkdir/existing/kept.txt', 'kept');
    expect((await owner.post(`${filesUrl()}/mkdir`, { path: 'mkdir/existing' })).statusCode).toBe(204);
    await expectContent('mkdir/existing/kept.txt', 'kept');
  });

  it('refuses a path taken by a file with 409, leaving the file', async () => {
    await write('mkdir/a-file', 'not a folder');
    expectProblem(await owner.post(`${filesUrl()}/mkdir`, { path: 'mkdir/a-file' }), 409, 'conflict');
    await expectContent('mkdir/a-file', 'not a folder');
  });
});

describe('moving and renaming', () => {
  const move = (body: Record<string, unknown>) => owner.post(`${filesUrl()}/move`, body);

  it('renames a file in place', async () => {
    await write('move/rename/old-name.txt', 'renamed');
    expect((await move({ from: 'move/rename/old-name.txt', to: 'move/rename/new-name.txt' })).statusCode).toBe(204);
    expect((await list('move/rename')).map((i) => i.name)).toEqual(['new-name.txt']);
    await expectContent('move/rename/new-name.txt', 'renamed');
  });

  it('moves a folder with its contents into a folder that does not exist yet', async () => {
    await write('move/tree/src/inner/file.txt', 'inside');
    expect((await move({ from: 'move/tree/src', to: 'move/tree/elsewhere/dst' })).statusCode).toBe(204);
    expect(await exists('/workspace/move/tree/src')).toBe(false);
    await expectContent('move/tree/elsewhere/dst/inner/file.txt', 'inside');
  });

  it('refuses to replace an existing file without overwrite, with 409 and both files unchanged', async () => {
    await write('move/clash/source.txt', 'source');
    await write('move/clash/target.txt', 'target');
    expectProblem(await move({ from: 'move/clash/source.txt', to: 'move/clash/target.txt' }), 409, 'conflict');
    await expectContent('move/clash/source.txt', 'source');
    await expectContent('move/clash/target.txt', 'target');
  });

  it('replaces an existing file with overwrite: true', async () => {
    await write('move/replace/source.txt', 'source');
    await write('move/replace/target.txt', 'target');
    expect((await move({ from: 'move/replace/source.txt', to: 'move/replace/target.txt', overwrite: true })).statusCode).toBe(204);
    expect((await list('move/replace')).map((i) => i.name)).toEqual(['target.txt']);
    await expectContent('move/replace/target.txt', 'source');
  });

  it('replaces an existing folder with overwrite: true instead of moving into it', async () => {
    await write('move/folders/d1/from-d1.txt', 'd1');
    await write('move/folders/d2/from-d2.txt', 'd2');
    expect((await move({ from: 'move/folders/d1', to: 'move/folders/d2', overwrite: true })).statusCode).toBe(204);
    expect((await list('move/folders')).map((i) => i.name)).toEqual(['d2']);
    expect((await list('move/folders/d2')).map((i) => i.name)).toEqual(['from-d1.txt']);
    await expectContent('move/folders/d2/from-d1.txt', 'd1');
  });

  it('leaves an unrelated file named after the target plus .berth-move alone', async () => {
    await write('move/stray/x', 'moved');
    await write('move/stray/y.berth-move', 'unrelated');
    expect((await move({ from: 'move/stray/x', to: 'move/stray/y' })).statusCode).toBe(204);
    await expectContent('move/stray/y', 'moved');
    await expectContent('move/stray/y.berth-move', 'unrelated');
    expect((await list('move/stray')).map((i) => i.name)).toEqual(['y', 'y.berth-move']);
  });

  it('moves a symlink itself, leaving the file it points to in place', async () => {
    await write('move/link/target.txt', 'target');
    await sh('ln -s target.txt /workspace/move/link/link.txt');
    expect((await move({ from: 'move/link/link.txt', to: 'move/link/renamed.txt' })).statusCode).toBe(204);
    expect((await list('move/link')).map((i) => [i.name, i.type])).toEqual([
      ['renamed.txt', 'symlink'],
      ['target.txt', 'file'],
    ]);
    expect(await sh('readlink /workspace/move/link/renamed.txt')).toBe('target.txt\n');
    await expectContent('move/link/target.txt', 'target');
  });

  it('answers 404 when the source does not exist', async () => {
    expectProblem(await move({ from: 'move/nothing-here', to: 'move/somewhere' }), 404, 'not_found');
  });

  it('refuses to move the workspace itself with 409', async () => {
    expectProblem(await move({ from: '', to: 'move/the-workspace' }), 409, 'conflict');
    expectProblem(await move({ from: '/workspace', to: 'move/the-workspace' }), 409, 'conflict');
    expect(await exists('/workspace/move/the-workspace')).toBe(false);
  });
});

describe('deleting', () => {
  const remove = (path: string, recursive?: boolean) => owner.delete(`${filesUrl()}?path=${q(path)}${recursive === undefined ? '' : `&recursive=${recursive}`}`);

  it('deletes a file', async () => {
    await write('delete/file.txt', 'bye');
    expect((await remove('delete/file.txt')).statusCode).toBe(204);
    expectProblem(await read('delete/file.txt'), 404, 'not_found');
  });

  it('deletes an empty folder without recursive', async () => {
    await owner.post(`${filesUrl()}/mkdir`, { path: 'delete/empty-folder' });
    expect((await remove('delete/empty-folder')).statusCode).toBe(204);
    expect(await exists('/workspace/delete/empty-folder')).toBe(false);
  });

  it('refuses a folder that is not empty without recursive=true, with 409 and nothing removed', async () => {
    await write('delete/full/a/b.txt', 'b');
    expectProblem(await remove('delete/full'), 409, 'conflict');
    expectProblem(await remove('delete/full', false), 409, 'conflict');
    await expectContent('delete/full/a/b.txt', 'b');
  });

  it('deletes a folder and everything in it with recursive=true', async () => {
    await write('delete/tree/a/b/c.txt', 'c');
    await write('delete/tree/d.txt', 'd');
    expect((await remove('delete/tree', true)).statusCode).toBe(204);
    expect(await exists('/workspace/delete/tree')).toBe(false);
  });

  it('deletes a symlink itself, keeping the file it points to', async () => {
    await write('delete/link/target.txt', 'target');
    await sh('ln -s target.txt /workspace/delete/link/link.txt');
    expect((await remove('delete/link/link.txt')).statusCode).toBe(204);
    expect((await list('delete/link')).map((i) => [i.name, i.type])).toEqual([['target.txt', 'file']]);
    await expectContent('delete/link/target.txt', 'target');
  });

  it('answers 404 for a path that does not exist', async () => {
    expectProblem(await remove('delete/never-there'), 404, 'not_found');
  });

  it.each(['', '.', '/workspace', '/workspace/', 'delete/..'])('refuses to delete the workspace itself given %j, with 409', async (path) => {
    await write('delete/survivor.txt', 'still here');
    expectProblem(await remove(path, true), 409, 'conflict');
    await expectContent('delete/survivor.txt', 'still here');
  });
});

describe('archives', () => {
  const tree: ArchiveEntry[] = [
    { name: 'README.md', content: '# upload\n' },
    { name: 'src', type: 'directory' },
    { name: 'src/main.ts', content: 'export const main = 1;\n' },
    { name: 'src/lib/deep/nested/data.bin', content: ALL_BYTES },
    { name: 'src/lib/link-to-data', type: 'symlink', linkname: 'deep/nested/data.bin' },
    { name: 'bin/run.sh', content: '#!/bin/sh\necho run\n', mode: 0o755 },
    { name: 'empty', type: 'directory' },
  ];

  it('unpacks an uploaded tree and downloads it again with every byte, folder and link intact', async () => {
    const res = await upload('archive/round-trip', await tarGz(tree));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ entries: tree.length });
    expect(await list('archive/round-trip/src/lib')).toEqual([
      expect.objectContaining({ name: 'deep', type: 'dir' }),
      expect.objectContaining({ name: 'link-to-data', type: 'symlink' }),
    ]);
    expect(await list('archive/round-trip/empty')).toEqual([]);
    expect(await list('archive/round-trip/bin')).toEqual([expect.objectContaining({ name: 'run.sh', mode: '755' })]);
    // Reading through the link reaches the file it points at.
    await expectContent('archive/round-trip/src/lib/link-to-data', ALL_BYTES);

    const download = await owner.get(`${filesUrl()}/archive?path=${q('archive/round-trip')}`);
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-type']).toMatch(/^application\/gzip/);
    expect(download.headers['content-disposition']).toBe('attachment; filename="round-trip.tar.gz"');
    const entries = await untarGz(download.rawPayload);
    for (const entry of tree) {
      const got = entries.get(`round-trip/${entry.name}`);
      expect(got, entry.name).toBeDefined();
      if (entry.type === 'directory') expect(got!.type).toBe('directory');
      else if (entry.type === 'symlink') expect(got).toMatchObject({ type: 'symlink', linkname: entry.linkname });
      else expect(got!.content.equals(Buffer.from(entry.content!)), entry.name).toBe(true);
    }
    const files = [...entries].filter(([, e]) => e.type === 'file').map(([name]) => name).sort();
    expect(files).toEqual(['round-trip/README.md', 'round-trip/bin/run.sh', 'round-trip/src/lib/deep/nested/data.bin', 'round-trip/src/main.ts']);
  });

  it('names a download of the whole workspace workspace.tar.gz', async () => {
    const download = await owner.get(`${filesUrl()}/archive`);
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-disposition']).toBe('attachment; filename="workspace.tar.gz"');
    expect([...(await untarGz(download.rawPayload)).keys()]).toContain('workspace');
  });

  it('answers 404 for a download of a path that does not exist', async () => {
    expectProblem(await owner.get(`${filesUrl()}/archive?path=archive/nothing-here`), 404, 'not_found');
  });

  // Each archive starts with a harmless file, so "nothing written" is a real claim.
  const escapes: { what: string; entry: ArchiveEntry }[] = [
    { what: 'a ../ entry climbing out of the workspace', entry: { name: '../../../etc/berth-planted', content: 'x' } },
    { what: 'an absolute entry', entry: { name: '/etc/berth-planted', content: 'x' } },
    { what: 'a symlink entry pointing to /etc', entry: { name: 'etc-link', type: 'symlink', linkname: '/etc' } },
    { what: 'a symlink entry reaching /etc through ../', entry: { name: 'etc-link', type: 'symlink', linkname: '../../../etc' } },
    { what: 'a hard link to a file outside', entry: { name: 'passwd', type: 'link', linkname: '../../../etc/passwd' } },
    { what: 'a hard link with an absolute target', entry: { name: 'passwd', type: 'link', linkname: '/etc/passwd' } },
  ];

  for (const { what, entry } of escapes) {
    it(`refuses an archive with ${what} with 400 path_outside_workspace, writing nothing`, async () => {
      await sh('rm -rf /workspace/refused && mkdir -p /workspace/refused/target');
      const etcBefore = await etcSnapshot();
      const archive = await tarGz([{ name: 'harmless.txt', content: 'harmless' }, entry, { name: 'after.txt', content: 'after' }]);
      expectProblem(await upload('refused/target', archive), 400, 'path_outside_workspace');
      expect(await list('refused/target')).toEqual([]);
      expect((await list('refused')).map((i) => i.name)).toEqual(['target']);
      expect(await etcSnapshot()).toBe(etcBefore);
    });
  }

  // Each link stays inside the target folder on paper. But "up" is the folder itself, so "e2",
  // really made in the folder, points three levels up from /workspace/chain/target: at /etc.
  const up: ArchiveEntry = { name: 'a/b/c/up', type: 'symlink', linkname: '../../..' };
  const e2: ArchiveEntry = { name: 'a/b/c/up/e2', type: 'symlink', linkname: '../../../etc' };
  const chains: { what: string; entries: ArchiveEntry[] }[] = [
    { what: 'a link made through another link of the same archive', entries: [up, e2] },
    { what: 'a file made through links of the same archive', entries: [up, e2, { name: 'a/b/c/up/e2/berth-planted', content: 'x' }] },
  ];

  for (const { what, entries } of chains) {
    it(`refuses an archive with ${what} with 400 path_outside_workspace, writing nothing`, async () => {
      await sh('rm -rf /workspace/chain && mkdir -p /workspace/chain/target');
      const etcBefore = await etcSnapshot();
      const archive = await tarGz([{ name: 'harmless.txt', content: 'harmless' }, ...entries]);
      expectProblem(await upload('chain/target', archive), 400, 'path_outside_workspace');
      expect(await list('chain/target')).toEqual([]);
      expect(await etcSnapshot()).toBe(etcBefore);
    });
  }

  const throughDoor: { format: string; archive: () => Promise<Buffer> }[] = [
    { format: 'tar.gz', archive: () => tarGz([{ name: 'door/pwned', content: 'x' }]) },
    { format: 'zip', archive: async () => Buffer.from(zipSync({ 'door/pwned': new TextEncoder().encode('x') })) },
  ];

  for (const { format, archive } of throughDoor) {
    it(`refuses a ${format} whose entry lands under a symlink to /etc already in the workspace, with 400, writing nothing`, async () => {
      await sh('rm -f /workspace/door && ln -s /etc /workspace/door');
      const etcBefore = await etcSnapshot();
      expectProblem(await upload('', await archive()), 400, 'path_outside_workspace');
      expect(await exists('/etc/pwned')).toBe(false);
      expect(await etcSnapshot()).toBe(etcBefore);
    });
  }

  it('refuses an archive with an entry climbing from the target folder into its parent with 400, writing nothing', async () => {
    await sh('rm -rf /workspace/sibling && mkdir -p /workspace/sibling');
    const archive = await tarGz([{ name: 'good.txt', content: 'good' }, { name: '../sibling.txt', content: 'sibling' }]);
    expectProblem(await upload('sibling/arch', archive), 400, 'path_outside_workspace');
    // Not even the target folder is made: the archive is refused before anything is written.
    expect(await list('sibling')).toEqual([]);
  });

  it('unpacks an uploaded zip and downloads the folder as zip with the same bytes', async () => {
    const zip = zipSync({ 'notes/a.txt': new TextEncoder().encode('a\n'), 'data.bin': new Uint8Array(ALL_BYTES), 'empty/': new Uint8Array(0) });
    const res = await upload('archive/zipped', Buffer.from(zip));
    expect(res.statusCode, res.body).toBe(200);
    await expectContent('archive/zipped/data.bin', ALL_BYTES);
    expect(await list('archive/zipped/empty')).toEqual([]);

    const download = await owner.get(`${filesUrl()}/archive?path=archive/zipped&format=zip`);
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-type']).toMatch(/^application\/zip/);
    expect(download.headers['content-disposition']).toBe('attachment; filename="zipped.zip"');
    const files = unzipSync(new Uint8Array(download.rawPayload));
    expect(Buffer.from(files['zipped/data.bin']!).equals(ALL_BYTES)).toBe(true);
    expect(Buffer.from(files['zipped/notes/a.txt']!).toString()).toBe('a\n');
    expect(Object.keys(files)).toContain('zipped/empty/');
  });

  it('refuses a zip with an entry climbing out of the workspace with 400 path_outside_workspace, writing nothing', async () => {
    await sh('rm -rf /workspace/refused && mkdir -p /workspace/refused/target');
    const etcBefore = await etcSnapshot();
    const zip = zipSync({ 'harmless.txt': new TextEncoder().encode('harmless'), '../../../etc/berth-planted': new TextEncoder().encode('x') });
    expectProblem(await upload('refused/target', Buffer.from(zip)), 400, 'path_outside_workspace');
    expect(await list('refused/target')).toEqual([]);
    expect(await etcSnapshot()).toBe(etcBefore);
  });

  it('refuses a tar.gz bomb, a small upload that inflates past the archive limit, with 413 and writes nothing', async () => {
    const limit = server.config.maxArchiveBytes;
    const bomb = await tarGz([{ name: 'zeros.bin', content: Buffer.alloc(limit + MIB) }]);
    expect(bomb.length).toBeLessThan(limit / 100);
    expectProblem(await upload('archive/bomb', bomb), 413, 'payload_too_large');
    expect(await exists('/workspace/archive/bomb')).toBe(false);
  });

  it('refuses a body that is not gzip with 400, writing nothing', async () => {
    expectProblem(await upload('archive/not-gzip', Buffer.from('this is not a gzip stream')), 400, 'validation_failed');
    expect(await exists('/workspace/archive/not-gzip')).toBe(false);
  });

  it('refuses gzip data that is not a tar archive with 400, writing nothing', async () => {
    expectProblem(await upload('archive/not-tar', gzipSync(Buffer.from('plain text, not tar\n'.repeat(64)))), 400, 'validation_failed');
    expect(await exists('/workspace/archive/not-tar')).toBe(false);
  });
});

/** Every route, with `path` in its path parameter, and what it would reach inside /etc. */
const ROUTES: { param: string; inEtc: string; valid: string; send: (caller: Caller, id: string, path: string) => Promise<LightMyRequestResponse> }[] = [
  { param: 'the list path', inEtc: '', valid: 'bait', send: (c, id, p) => c.get(`${filesUrl(id)}?path=${q(p)}`) },
  { param: 'the content path of a read', inEtc: 'passwd', valid: 'bait/bait.txt', send: (c, id, p) => c.get(`${filesUrl(id)}/content?path=${q(p)}`) },
  { param: 'the content path of a write', inEtc: 'berth-planted', valid: 'bait/bait.txt', send: (c, id, p) => c.put(`${filesUrl(id)}/content?path=${q(p)}`, 'planted', OCTET) },
  { param: 'the mkdir path', inEtc: 'berth-planted', valid: 'bait/new-folder', send: (c, id, p) => c.post(`${filesUrl(id)}/mkdir`, { path: p }) },
  { param: 'the move source', inEtc: 'passwd', valid: 'bait/bait.txt', send: (c, id, p) => c.post(`${filesUrl(id)}/move`, { from: p, to: 'bait/moved.txt' }) },
  { param: 'the move target', inEtc: 'berth-planted', valid: 'bait/moved.txt', send: (c, id, p) => c.post(`${filesUrl(id)}/move`, { from: 'bait/bait.txt', to: p, overwrite: true }) },
  { param: 'the delete path', inEtc: 'passwd', valid: 'bait/bait.txt', send: (c, id, p) => c.delete(`${filesUrl(id)}?path=${q(p)}&recursive=true`) },
  { param: 'the archive download path', inEtc: '', valid: 'bait', send: (c, id, p) => c.get(`${filesUrl(id)}/archive?path=${q(p)}`) },
  { param: 'the archive upload path', inEtc: '', valid: 'bait', send: async (c, id, p) => c.post(`${filesUrl(id)}/archive?path=${q(p)}`, await tarGz([{ name: 'planted.txt', content: 'planted' }]), GZIP) },
  { param: 'the search path', inEtc: '', valid: 'bait', send: (c, id, p) => c.get(`${filesUrl(id)}/search?q=root&path=${q(p)}`) },
];

describe('confinement to /workspace', () => {
  beforeAll(async () => {
    await sh("mkdir -p /workspace/bait && printf 'root:bait\\n' > /workspace/bait/bait.txt && ln -s /etc /workspace/out");
  });

  const join = (base: string, rest: string) => (rest ? `${base}/${rest}` : base);
  const variants: { how: string; path: (inEtc: string) => string }[] = [
    { how: '../', path: (r) => join('../etc', r) },
    { how: 'an absolute path elsewhere', path: (r) => join('/etc', r) },
    { how: '/workspace/../', path: (r) => join('/workspace/../etc', r) },
    { how: 'a NUL byte', path: (r) => join('bait\0', r || 'bait.txt') },
    { how: 'a symlink to /etc made in the environment', path: (r) => join('out', r) },
  ];
  const cases = ROUTES.flatMap((route) => variants.map((variant) => ({ ...route, how: variant.how, path: variant.path(route.inEtc) })));

  for (const { param, how, send, path } of cases) {
    it(`refuses ${param} given ${how} with 400 path_outside_workspace, changing nothing`, async () => {
      const before = await snapshot();
      expectProblem(await send(owner, envId, path), 400, 'path_outside_workspace');
      expect(await snapshot()).toBe(before);
    });
  }
});

describe('searching', () => {
  beforeAll(async () => {
    await write('search/regex.txt', 'axb\na.b*\naab\nliteral a.b* again\n');
    await write('search/many.txt', 'needle 1\nneedle 2\nneedle 3\nneedle 4\nneedle 5\n');
    await write('search/deep/er/file.txt', 'nothing\nzebra-crossing here\n');
    await write('search/options.txt', 'try --version please\n');
    await write('search/binary.dat', Buffer.concat([Buffer.from('zebra-crossing'), Buffer.from([0, 1, 2, 0, 255])]));
    await sh('ln -s /etc /workspace/search/etc-link');
  });

  async function search(query: string): Promise<{ items: SearchMatch[]; truncated: boolean }> {
    const res = await owner.get(`${filesUrl()}/search?${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  }

  it('matches regular expression metacharacters literally', async () => {
    expect(await search(`q=${q('a.b*')}&path=search`)).toEqual({
      items: [
        { path: 'search/regex.txt', line: 2, text: 'a.b*' },
        { path: 'search/regex.txt', line: 4, text: 'literal a.b* again' },
      ],
      truncated: false,
    });
  });

  it('treats a query starting with - as text, not an option', async () => {
    expect(await search(`q=${q('--version')}&path=search`)).toEqual({ items: [{ path: 'search/options.txt', line: 1, text: 'try --version please' }], truncated: false });
  });

  it('returns at most limit matches and says when there were more', async () => {
    const three = await search('q=needle&path=search&limit=3');
    expect(three.items).toHaveLength(3);
    expect(three.truncated).toBe(true);
    const all = await search('q=needle&path=search&limit=5');
    expect(all.items.map((i) => i.line).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(all.truncated).toBe(false);
  });

  it('gives paths relative to /workspace whichever way the folder is named', async () => {
    const expected = { items: [{ path: 'search/deep/er/file.txt', line: 2, text: 'zebra-crossing here' }], truncated: false };
    expect(await search('q=zebra-crossing&path=search/deep')).toEqual(expected);
    expect(await search(`q=zebra-crossing&path=${q('/workspace/search')}`)).toEqual(expected);
  });

  it('does not follow a symlink out of the workspace', async () => {
    expect(await search(`q=${q('root:x:0:0')}&path=search`)).toEqual({ items: [], truncated: false });
  });

  it('searches the whole workspace by default, skipping binary files', async () => {
    const found = await search('q=zebra-crossing');
    expect(found.items).toEqual([{ path: 'search/deep/er/file.txt', line: 2, text: 'zebra-crossing here' }]);
  });
});

describe('what a change leaves behind: events, audit rows and activity', () => {
  async function expectRecorded(since: number, event: { type: string; data: Record<string, unknown> }, audit: { action: string; metadata: Record<string, unknown> }) {
    expect(await eventsSince(since)).toContainEqual(expect.objectContaining({ type: event.type, data: { ...event.data, by: OWNER } }));
    const rows = await auditRows(audit.action);
    expect(rows).toContainEqual(
      expect.objectContaining({ action: audit.action, actorUsername: OWNER, targetType: 'environment', targetId: envId, success: true, metadata: audit.metadata }),
    );
  }

  it('a write appends file.changed and audits file.write', async () => {
    const since = await lastEventSeq();
    await write('records/written.txt', 'abc');
    const data = { path: 'records/written.txt', size: 3, etag: etagOf('abc') };
    await expectRecorded(since, { type: 'file.changed', data }, { action: 'file.write', metadata: data });
  });

  it('a mkdir appends file.changed and audits file.mkdir', async () => {
    const since = await lastEventSeq();
    await owner.post(`${filesUrl()}/mkdir`, { path: 'records/folder' });
    const data = { path: 'records/folder', type: 'dir' };
    await expectRecorded(since, { type: 'file.changed', data }, { action: 'file.mkdir', metadata: data });
  });

  it('a move appends file.moved and audits file.move', async () => {
    await write('records/from.txt', 'moving');
    const since = await lastEventSeq();
    await owner.post(`${filesUrl()}/move`, { from: 'records/from.txt', to: 'records/to.txt' });
    const data = { from: 'records/from.txt', to: 'records/to.txt' };
    await expectRecorded(since, { type: 'file.moved', data }, { action: 'file.move', metadata: data });
  });

  it('a delete appends file.deleted and audits file.delete', async () => {
    await write('records/doomed.txt', 'doomed');
    const since = await lastEventSeq();
    await owner.delete(`${filesUrl()}?path=records/doomed.txt`);
    const data = { path: 'records/doomed.txt' };
    await expectRecorded(since, { type: 'file.deleted', data }, { action: 'file.delete', metadata: data });
  });

  it('an archive upload appends file.changed and audits file.upload', async () => {
    const since = await lastEventSeq();
    await upload('records/unpacked', await tarGz([{ name: 'one.txt', content: '1' }, { name: 'two.txt', content: '2' }]));
    const data = { path: 'records/unpacked', type: 'dir', entries: 2 };
    await expectRecorded(since, { type: 'file.changed', data }, { action: 'file.upload', metadata: data });
  });

  it('a refused write appends no event and no audit row', async () => {
    await write('records/guarded.txt', 'guarded');
    const since = await lastEventSeq();
    const auditedBefore = (await auditRows('file.write')).length;
    expectProblem(await write('records/guarded.txt', 'refused', { 'if-match': etagOf('stale') }), 412, 'revision_conflict');
    expectProblem(await write('../refused.txt', 'refused'), 400, 'path_outside_workspace');
    expect((await eventsSince(since)).filter((e) => e.type.startsWith('file.'))).toEqual([]);
    expect(await auditRows('file.write')).toHaveLength(auditedBefore);
  });

  it('every kind of change moves lastActivityAt forward', async () => {
    await write('activity/a.txt', 'a');
    const changes: [string, () => Promise<LightMyRequestResponse>][] = [
      ['write', () => write('activity/a.txt', 'b')],
      ['mkdir', () => owner.post(`${filesUrl()}/mkdir`, { path: 'activity/folder' })],
      ['move', () => owner.post(`${filesUrl()}/move`, { from: 'activity/a.txt', to: 'activity/b.txt' })],
      ['delete', () => owner.delete(`${filesUrl()}?path=activity/b.txt`)],
      ['upload', async () => upload('activity/folder', await tarGz([{ name: 'c.txt', content: 'c' }]))],
    ];
    for (const [what, change] of changes) {
      const before = await lastActivityAt();
      const res = await change();
      expect(res.statusCode, `${what}: ${res.body}`).toBeLessThan(300);
      expect(await lastActivityAt(), what).toBeGreaterThan(before);
    }
  });
});

describe('who and when', () => {
  let stoppedId: string;
  beforeAll(async () => {
    stoppedId = await runningId();
    expect((await owner.post(`/api/v1/environments/${stoppedId}/stop`)).statusCode).toBe(202);
    await waitForStatus(owner, stoppedId, 'stopped');
    await sh("mkdir -p /workspace/bait && printf 'root:bait\\n' > /workspace/bait/bait.txt");
  });

  for (const { param, send, valid } of ROUTES) {
    it(`answers ${param} on a stopped environment with 409 environment_not_running`, async () => {
      expectProblem(await send(owner, stoppedId, valid), 409, 'environment_not_running');
    });
  }

  for (const { param, send, valid } of ROUTES) {
    it(`answers ${param} on someone else's environment with 404, changing nothing`, async () => {
      const before = await snapshot();
      expectProblem(await send(stranger, envId, valid), 404, 'not_found');
      expect(await snapshot()).toBe(before);
    });
  }
});

describe('reads bounded by what the engine sends, not by what the environment says', () => {
  /** A file far past the 25 MiB the API reads: sparse, so it costs the environment no disk. */
  const HUGE = 'huge.bin';
  /** How far the server's memory may grow while refusing it (it holds at most the limit, then lets go). */
  const RSS_BOUND = 96 * MIB;
  let id: string;
  let base: string;

  /** Runs a shell command in this describe's environment and insists it succeeds. */
  async function shHere(command: string): Promise<string> {
    const res = await owner.post(`/api/v1/environments/${id}/exec`, { command, timeoutMs: 20_000 });
    expect(res.statusCode, res.body).toBe(200);
    const result = res.json<ExecResult>();
    expect(result.exitCode, `${command}: ${result.stderr}`).toBe(0);
    return result.stdout;
  }

  beforeAll(async () => {
    // An environment of its own: its stat is about to lie, and its workspace holds 2 GiB.
    id = await runningId();
    await shHere(`dd if=/dev/zero of=/workspace/${HUGE} bs=1 count=0 seek=${2 * 1024 * MIB} 2>/dev/null`);
    base = await server.app.listen({ host: '127.0.0.1', port: 0 });
  });

  it('refuses to read a 2 GiB file with 413 file_too_large', async () => {
    expectProblem(await owner.get(`${filesUrl(id)}/content?path=${HUGE}`), 413, 'file_too_large');
  });

  it('still refuses it with 413 when stat inside the environment says it is 10 bytes, holding no more than the limit', async () => {
    await installLyingStat(server.services.runtime, id);
    expect((await owner.post(`/api/v1/environments/${id}/exec`, { command: ['/bin/sh', '-c', "stat -c '%F|%s' \"$1\"", 'sh', `/workspace/${HUGE}`] })).json<ExecResult>().stdout).toBe('regular file|10\n');

    const before = rss();
    const res = await owner.get(`${filesUrl(id)}/content?path=${HUGE}`);
    expectProblem(res, 413, 'file_too_large');
    expect(rss() - before).toBeLessThan(RSS_BOUND);
  });

  it('lets go of the engine when a tar.gz download\'s client goes away, so the environment stays usable', async () => {
    const cookie = (await server.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: OWNER, password: PASSWORD } })).cookies.find((c) => c.name === 'berth_session')!;
    const client = await stalledRequest(`${base}${filesUrl(id)}/archive?path=${HUGE}`, { method: 'GET', headers: { cookie: `berth_session=${cookie.value}` } });
    expect(client.status).toBe(200);
    client.close();
    // The engine holds the container while it sends an archive: a stream left unread would keep exec (and stop) waiting.
    const answered = await Promise.race([shHere('echo still-usable'), new Promise<string>((resolve) => setTimeout(() => resolve('exec hung'), 30_000))]);
    expect(answered).toBe('still-usable\n');
  });
});

describe('a read whose engine connection breaks mid-archive', () => {
  let proxy: EngineProxy;
  let flaky: TestServer;
  let reader: Caller;
  let id: string;
  let base: string;
  let cookie: string;

  beforeAll(async () => {
    proxy = await startEngineProxy();
    flaky = await startTestServer({ DOCKER_HOST: `unix://${proxy.socketPath}` });
    const { caller } = await flaky.signUp('files-flaky', PASSWORD);
    reader = caller;
    id = (await runningEnvironment(reader)).id;
    const made = await reader.post(`/api/v1/environments/${id}/exec`, { command: `mkdir -p /workspace/blob && head -c ${8 * MIB} /dev/urandom > /workspace/blob/data` });
    expect(made.json<ExecResult>().exitCode, made.body).toBe(0);
    base = await flaky.app.listen({ host: '127.0.0.1', port: 0 });
    cookie = (await flaky.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'files-flaky', password: PASSWORD } })).cookies.find((c) => c.name === 'berth_session')!.value;
  });
  afterAll(async () => {
    proxy?.heal();
    await flaky?.close();
    await proxy?.close();
  });

  /** GETs over real HTTP and settles once the response has ended one way or another: its status and how it ended. */
  function settle(path: string): Promise<{ status: number; ended: 'complete' | 'cut' }> {
    return new Promise((resolve, reject) => {
      const req = http.get(`${base}${path}`, { headers: { cookie: `berth_session=${cookie}` } }, (res) => {
        res.on('error', () => undefined); // a cut shows in `complete`
        res.once('close', () => resolve({ status: res.statusCode!, ended: res.complete ? 'complete' : 'cut' }));
        res.resume();
      });
      req.once('error', reject);
    });
  }

  it.each([
    ['a tar.gz download', 'archive?path=blob', (r: { status: number; ended: string }) => expect(r).toEqual({ status: 200, ended: 'cut' })],
    ['a zip download', 'archive?path=blob&format=zip', (r: { status: number; ended: string }) => expect(r.status).toBeGreaterThanOrEqual(500)],
    ['a file read', 'content?path=blob/data', (r: { status: number; ended: string }) => expect(r.status).toBeGreaterThanOrEqual(500)],
  ])('ends %s with an error instead of leaving it open', async (_what, path, check) => {
    proxy.breakAfter(MIB);
    try {
      const outcome = await Promise.race([settle(`${filesUrl(id)}/${path}`), new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 20_000))]);
      expect(outcome).not.toBe('open');
      check(outcome as { status: number; ended: string });
    } finally {
      proxy.heal();
    }
  });
});
