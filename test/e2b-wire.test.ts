import { once } from 'node:events';
import http from 'node:http';
import { createGzip, gzipSync } from 'node:zlib';
import type { AuditEntry, Environment, Me } from '@berth/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller, TestServer } from './support/server.js';
import { RateLimitError, Sandbox } from 'e2b';
import { MIB, rss, stalledRequest, untilStalledOrPast, type StalledResponse } from './support/stalled.js';
import { waitFor } from './support/wait.js';
import { agentUser, createSandbox as createSandboxAs, startE2bServer, type AgentUser, type SandboxHandle as Handle } from './support/e2b.js';

/**
 * Every refusal of Berth's E2B-compatible API, on the wire as the SDK sees it:
 * raw fetch against a listening server, asserting the status, the error shape
 * the SDK parses (`{code: <status>, message}` on REST and /files, Connect's
 * `{code: "<name>", message}` on RPCs), and that the refused request changed nothing.
 */
let server: TestServer;
let url: string;
let admin: Caller;

type Member = AgentUser;

const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';
const NOT_A_UUID = 'not-a-sandbox';
const SEMVER = /^\d+\.\d+\.\d+$/;

const member = (username: string): Promise<Member> => agentUser(server, admin, username);

/** A lifecycle REST call with the member's API key; a string body goes out as written. */
function api(who: Member, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const raw = body === undefined || typeof body === 'string' ? body : JSON.stringify(body);
  return fetch(`${url}${path}`, {
    method,
    headers: { 'x-api-key': who.apiKey, ...(raw === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(raw === undefined ? {} : { body: raw }),
  });
}

const createSandbox = (who: Member, path?: string): Promise<Handle> => createSandboxAs(url, who.apiKey, path);

/** Asserts E2B's REST error: `{code: <the status>, message}` as JSON, and returns the message. */
async function expectE2bError(res: Response, status: number): Promise<string> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(text) as { code: unknown; message: unknown };
  expect(body).toEqual({ code: status, message: expect.any(String) });
  expect(body.message).not.toBe('');
  return body.message as string;
}

/** Asserts a Connect error: `{code: "<name>", message}` as JSON with this status, and returns the message. */
async function expectConnectError(res: Response, status: number, code: string): Promise<string> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(text) as { code: unknown; message: unknown };
  expect(body).toEqual({ code, message: expect.any(String) });
  expect(body.message).not.toBe('');
  return body.message as string;
}

/** Asserts Berth's own answer (not the envd API's): problem+json with this status. */
async function expectBerthProblem(res: Response, status: number): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(await res.json()).toMatchObject({ status, code: expect.any(String) });
}

async function environmentsOf(who: Member): Promise<Environment[]> {
  const res = await who.caller.get('/api/v1/environments');
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ items: Environment[] }>().items;
}

async function audit(query: string): Promise<AuditEntry[]> {
  const res = await admin.get(`/api/v1/audit?limit=500&${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ items: AuditEntry[] }>().items;
}

/** One Connect envelope: flags, the length big-endian, then the bytes. */
function envelope(flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(flags, 0);
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}
const frame = (message: unknown) => envelope(0, Buffer.from(JSON.stringify(message)));

interface Frame {
  flags: number;
  message: Record<string, unknown>;
}

function parseFrames(body: Buffer): Frame[] {
  const frames: Frame[] = [];
  for (let at = 0; at < body.length; ) {
    expect(body.length - at, 'a whole envelope header').toBeGreaterThanOrEqual(5);
    const length = body.readUInt32BE(at + 1);
    expect(body.length - at - 5, 'a whole envelope').toBeGreaterThanOrEqual(length);
    frames.push({ flags: body.readUInt8(at), message: JSON.parse(body.subarray(at + 5, at + 5 + length).toString('utf8')) as Record<string, unknown> });
    at += 5 + length;
  }
  return frames;
}

const basic = (user: string) => `Basic ${Buffer.from(`${user}:`).toString('base64')}`;

/** The in-sandbox API of one sandbox, as the SDK addresses it. */
function envd(sbx: Handle) {
  const headers = (extra: Record<string, string> = {}) => ({
    'e2b-sandbox-id': sbx.sandboxID,
    'e2b-sandbox-port': '49983',
    'x-access-token': sbx.envdAccessToken,
    ...extra,
  });
  return {
    headers,
    /** A unary RPC; a string body goes out as written. */
    rpc: (method: string, body: unknown, extra: Record<string, string> = {}) =>
      fetch(`${url}/${method}`, {
        method: 'POST',
        headers: headers({ 'content-type': 'application/json', 'connect-protocol-version': '1', ...extra }),
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    /** A streaming RPC with this exact body. */
    stream: (method: string, body: Buffer) =>
      fetch(`${url}/${method}`, {
        method: 'POST',
        headers: headers({ 'content-type': 'application/connect+json', 'connect-protocol-version': '1' }),
        body: new Uint8Array(body),
      }),
    read: (query: string, extra: Record<string, string> = {}) => fetch(`${url}/files?${query}`, { headers: headers(extra) }),
    write: (query: string, body: Uint8Array | string, extra: Record<string, string>) =>
      fetch(`${url}/files?${query}`, { method: 'POST', headers: headers(extra), body: typeof body === 'string' ? body : new Uint8Array(body) }),
    health: () => fetch(`${url}/health`, { headers: headers() }),
  };
}
type Envd = ReturnType<typeof envd>;

/** A new sandbox of alice's: its id and its in-sandbox API. */
async function aliceSandbox(): Promise<{ box: Envd; sandboxId: string }> {
  const sbx = await createSandbox(alice);
  return { box: envd(sbx), sandboxId: sbx.sandboxID };
}

let alice: Member;
let bob: Member;

/** The file size limit of this file's server (BERTH_MAX_ARCHIVE_BYTES): small, so bombs are cheap to make. */
const MAX_FILE_BYTES = 8 * MIB;
/** What a gzip bomb inflates to: far past the limit, from a few hundred KiB. */
const BOMB_MIB = 256;
/** How far the server's memory may grow while refusing it: the limit's worth of output, and buffers. */
const BOMB_RSS_BOUND = 48 * MIB;

/** gzip of `bytes` zero bytes, made a MiB at a time. */
async function gzipOfZeros(bytes: number): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => out.push(chunk));
  const zeros = Buffer.alloc(MIB);
  for (let sent = 0; sent < bytes; sent += MIB) if (!gzip.write(zeros)) await once(gzip, 'drain');
  gzip.end();
  await once(gzip, 'end');
  return Buffer.concat(out);
}

/** Running processes a user may have at once on this file's server. */
const MAX_PROCESSES = 4;
/** What a process with a client that reads nothing may get out before it is held (kernel and socket buffers), in MiB. */
const HELD_MIB = 64;
/** Far more than that: what an unheld process gets out in a second or two. */
const FLOOD_MIB = 512;
/** How far the server's memory may grow meanwhile (the output it would otherwise hold is many times this). */
const RSS_BOUND = 64 * MIB;

beforeAll(async () => {
  ({ server, url, admin } = await startE2bServer({ BERTH_E2B_MAX_PROCESSES_PER_USER: String(MAX_PROCESSES), BERTH_MAX_ARCHIVE_BYTES: String(MAX_FILE_BYTES) }));
  alice = await member('wire-alice');
  bob = await member('wire-bob');
});

afterAll(async () => {
  await server?.close();
});

describe('lifecycle REST: create', () => {
  it.each([
    ['a body that is not JSON', '{"templateID": "base"', /JSON/i],
    ['a JSON body that is not an object', '"base"', /object/i],
    ['a timeout that is not a number', { templateID: 'base', timeout: 'x' }, /timeout/],
    ['a negative timeout', { templateID: 'base', timeout: -1 }, /timeout/],
    ['a timeout that is not whole', { templateID: 'base', timeout: 1.5 }, /timeout/],
    ['metadata values that are not strings', { templateID: 'base', metadata: { a: 1 } }, /metadata/],
    ['envVars values that are not strings', { templateID: 'base', envVars: { A: true } }, /envVars/],
    ['envVars that is not a map', { templateID: 'base', envVars: ['A=1'] }, /envVars/],
    ['no templateID', { timeout: 60 }, /templateID/],
    ['an empty templateID', { templateID: '' }, /templateID/],
  ])('refuses %s with 400 naming the problem', async (_what, body, message) => {
    const res = await api(bob, 'POST', '/v2/sandboxes', body);
    expect(await expectE2bError(res, 400)).toMatch(message);
  });

  it('created nothing and audited no create for any of those refusals', async () => {
    expect(await environmentsOf(bob)).toEqual([]);
    expect((await audit(`actor=${bob.id}&action=environment.create`)).filter((a) => a.success)).toEqual([]);
  });

  it('creates at the v1 path POST /sandboxes exactly as at /v2/sandboxes', async () => {
    const res = await api(alice, 'POST', '/sandboxes', { templateID: 'base', metadata: { path: 'v1' } });
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status, JSON.stringify(body)).toBe(201);
    expect(body).toMatchObject({ sandboxID: expect.stringMatching(/^[0-9a-f-]{36}$/), templateID: 'base', envdAccessToken: expect.any(String), envdVersion: expect.stringMatching(SEMVER) });
    const id = body.sandboxID as string;
    expect((await alice.caller.get(`/api/v1/environments/${id}`)).json<Environment>()).toMatchObject({ origin: 'e2b', status: 'running' });
    const info = await api(alice, 'GET', `/sandboxes/${id}`);
    expect(await info.json()).toMatchObject({ sandboxID: id, metadata: { path: 'v1' }, state: 'running' });
    expect((await api(alice, 'DELETE', `/sandboxes/${id}`)).status).toBe(204);
  });
});

describe('lifecycle REST: timeout, connect, kill, getInfo', () => {
  let sbx: Handle;
  beforeAll(async () => {
    sbx = await createSandbox(alice);
  });

  const endAt = async () => ((await (await api(alice, 'GET', `/sandboxes/${sbx.sandboxID}`)).json()) as { endAt: string }).endAt;

  it.each([
    ['no body', undefined],
    ['an empty object', {}],
    ['a timeout that is not a number', { timeout: 'x' }],
    ['a timeout that is not whole', { timeout: 1.5 }],
    ['a negative timeout', { timeout: -5 }],
  ])('refuses a timeout with %s with 400 and keeps the end time', async (_what, body) => {
    const before = await endAt();
    const res = await api(alice, 'POST', `/sandboxes/${sbx.sandboxID}/timeout`, body, body === undefined ? { 'content-type': 'application/json' } : {});
    await expectE2bError(res, 400);
    expect(await endAt()).toBe(before);
  });

  it.each([
    ['a body that is not JSON', '{"timeout": '],
    ['a timeout that is not a number', { timeout: 'x' }],
    ['a negative timeout', { timeout: -1 }],
  ])('refuses a connect with %s with 400 and keeps the end time', async (_what, body) => {
    const before = await endAt();
    await expectE2bError(await api(alice, 'POST', `/v2/sandboxes/${sbx.sandboxID}/connect`, body), 400);
    expect(await endAt()).toBe(before);
  });

  it('audited no timeout change and no connect for those refusals', async () => {
    expect(await audit(`targetId=${sbx.sandboxID}&action=sandbox.connect`)).toEqual([]);
    expect(await audit(`targetId=${sbx.sandboxID}&action=sandbox.set_timeout`)).toEqual([]);
  });

  it.each([
    ['an unknown uuid', UNKNOWN_UUID],
    ['an id that is not a uuid', NOT_A_UUID],
  ])('answers 404 in E2B\'s shape to timeout, connect, kill and getInfo of %s', async (_what, id) => {
    expect(await expectE2bError(await api(alice, 'POST', `/sandboxes/${id}/timeout`, { timeout: 60 }), 404)).toContain(id);
    expect(await expectE2bError(await api(alice, 'POST', `/sandboxes/${id}/connect`, { timeout: 60 }), 404)).toContain(id);
    expect(await expectE2bError(await api(alice, 'POST', `/v2/sandboxes/${id}/connect`, { timeout: 60 }), 404)).toContain(id);
    expect(await expectE2bError(await api(alice, 'DELETE', `/sandboxes/${id}`), 404)).toContain(id);
    expect(await expectE2bError(await api(alice, 'GET', `/sandboxes/${id}`), 404)).toContain(id);
    expect(await expectE2bError(await api(alice, 'POST', `/sandboxes/${id}/pause`), 404)).toContain(id);
    expect(await expectE2bError(await api(alice, 'GET', `/sandboxes/${id}/metrics`), 404)).toContain(id);
  });

  it('answers a sandbox call Berth does not serve with 501 in E2B\'s shape, not a problem+json 404', async () => {
    expect(await expectE2bError(await api(alice, 'POST', `/sandboxes/${sbx.sandboxID}/snapshots`, {}), 501)).toMatch(/not supported/);
  });

  it('answers 404 to another user\'s key for every call, and leaves the sandbox running', async () => {
    const id = sbx.sandboxID;
    await expectE2bError(await api(bob, 'POST', `/sandboxes/${id}/timeout`, { timeout: 1 }), 404);
    await expectE2bError(await api(bob, 'POST', `/sandboxes/${id}/connect`, {}), 404);
    await expectE2bError(await api(bob, 'DELETE', `/sandboxes/${id}`), 404);
    await expectE2bError(await api(bob, 'GET', `/sandboxes/${id}`), 404);
    expect((await alice.caller.get(`/api/v1/environments/${id}`)).json<Environment>()).toMatchObject({ desiredState: 'running' });
  });
});

describe('lifecycle REST: list', () => {
  it.each(['limit=0', 'limit=abc', 'limit=-1', 'limit=1.5', 'limit=1001', 'nextToken=not-a-token'])('refuses %s with 400 naming the parameter', async (query) => {
    expect(await expectE2bError(await api(alice, 'GET', `/v2/sandboxes?${query}`), 400)).toContain(query.split('=')[0]);
  });

  it('pages with x-next-token: two, then the rest and no token', async () => {
    const pager = await member('wire-pager');
    const made = await Promise.all([createSandbox(pager), createSandbox(pager), createSandbox(pager)]);

    const first = await api(pager, 'GET', '/v2/sandboxes?limit=2');
    expect(first.status).toBe(200);
    const firstIds = ((await first.json()) as { sandboxID: string }[]).map((s) => s.sandboxID);
    expect(firstIds).toHaveLength(2);
    const next = first.headers.get('x-next-token');
    expect(next).toBeTruthy();

    const second = await api(pager, 'GET', `/v2/sandboxes?limit=2&nextToken=${encodeURIComponent(next!)}`);
    expect(second.status).toBe(200);
    const secondIds = ((await second.json()) as { sandboxID: string }[]).map((s) => s.sandboxID);
    expect(secondIds).toHaveLength(1);
    expect(second.headers.get('x-next-token')).toBeNull();
    expect([...firstIds, ...secondIds].sort()).toEqual(made.map((m) => m.sandboxID).sort());
  });

  it('lists an admin\'s own sandboxes only, not other users\'', async () => {
    const me = await admin.get('/api/v1/me');
    const adminId = me.json<Me>().id;
    expect((await admin.patch(`/api/v1/users/${adminId}/quota`, { credits: 20, maxEnvironments: 20 })).statusCode).toBe(200);
    const token = await admin.post('/api/v1/tokens', { name: 'admin-agent' });
    expect(token.statusCode, token.body).toBe(201);
    const asAdmin: Member = { id: adminId, caller: admin, apiKey: token.json<{ token: string }>().token };

    const theirs = await createSandbox(alice);
    const own = await createSandbox(asAdmin);
    const listed = ((await (await api(asAdmin, 'GET', '/v2/sandboxes')).json()) as { sandboxID: string }[]).map((s) => s.sandboxID);
    expect(listed).toEqual([own.sandboxID]);
    const v1 = ((await (await api(asAdmin, 'GET', '/sandboxes')).json()) as { sandboxID: string }[]).map((s) => s.sandboxID);
    expect(v1).toEqual([own.sandboxID]);
    const alices = ((await (await api(alice, 'GET', '/v2/sandboxes')).json()) as { sandboxID: string }[]).map((s) => s.sandboxID);
    expect(alices).toContain(theirs.sandboxID);
    expect(alices).not.toContain(own.sandboxID);
  });
});

describe('envd: unary RPCs', () => {
  let box: Envd;
  beforeAll(async () => {
    box = envd(await createSandbox(alice));
  });

  it.each([
    ['an invalid JSON body', 'filesystem.Filesystem/Stat', '{"path": '],
    ['an empty body', 'filesystem.Filesystem/Stat', ''],
    ['Stat with a numeric path', 'filesystem.Filesystem/Stat', { path: 5 }],
    ['Stat with an empty path', 'filesystem.Filesystem/Stat', { path: '' }],
    ['ListDir with a negative depth', 'filesystem.Filesystem/ListDir', { path: '/tmp', depth: -1 }],
    ['ListDir with a fractional depth', 'filesystem.Filesystem/ListDir', { path: '/tmp', depth: 1.5 }],
    ['MakeDir without a path', 'filesystem.Filesystem/MakeDir', {}],
    ['Remove with a numeric path', 'filesystem.Filesystem/Remove', { path: 7 }],
    ['SendInput without input', 'process.Process/SendInput', { process: { pid: 1 } }],
    ['SendInput with input that is not base64', 'process.Process/SendInput', { process: { pid: 1 }, input: { stdin: 'not base64!' } }],
    ['SendSignal without a process', 'process.Process/SendSignal', { signal: 'SIGNAL_SIGKILL' }],
    ['Update with a zero-column terminal', 'process.Process/Update', { process: { pid: 1 }, pty: { size: { cols: 0, rows: 24 } } }],
  ])('refuses %s with 400 invalid_argument', async (_what, method, body) => {
    await expectConnectError(await box.rpc(method, body), 400, 'invalid_argument');
  });

  it('refuses Move without a destination, and leaves the source where it was', async () => {
    expect((await box.write('path=/tmp/wire/stay.txt', 'stay', { 'content-type': 'application/octet-stream' })).status).toBe(200);
    expect(await expectConnectError(await box.rpc('filesystem.Filesystem/Move', { source: '/tmp/wire/stay.txt' }), 400, 'invalid_argument')).toMatch(/destination/);
    expect(await (await box.read('path=/tmp/wire/stay.txt')).text()).toBe('stay');
  });

  it('refuses Remove of "/" and removes nothing', async () => {
    await expectConnectError(await box.rpc('filesystem.Filesystem/Remove', { path: '/' }), 400, 'invalid_argument');
    expect((await box.rpc('filesystem.Filesystem/Stat', { path: '/tmp/wire/stay.txt' })).status).toBe(200);
  });

  it.each([
    ['SendSignal', 'SendSignal', { process: { pid: 999_999 }, signal: 'SIGNAL_SIGKILL' }],
    ['SendInput', 'SendInput', { process: { pid: 999_999 }, input: { stdin: 'aGkK' } }],
    ['Update', 'Update', { process: { pid: 999_999 }, pty: { size: { cols: 80, rows: 24 } } }],
    ['Update without a new size', 'Update', { process: { pid: 999_999 } }],
    ['CloseStdin', 'CloseStdin', { process: { pid: 999_999 } }],
    ['SendSignal by an unknown tag', 'SendSignal', { process: { tag: 'no-such-tag' }, signal: 'SIGNAL_SIGKILL' }],
  ])('answers %s for an unknown process with 404 not_found', async (_what, method, body) => {
    const message = await expectConnectError(await box.rpc(`process.Process/${method}`, body), 404, 'not_found');
    expect(message).toMatch(/999999|no-such-tag/);
  });

  it('answers the unsupported filesystem method WatchDir with Connect\'s unimplemented', async () => {
    const res = await box.stream('filesystem.Filesystem/WatchDir', frame({ path: '/tmp', recursive: false }));
    expect(await expectConnectError(res, 501, 'unimplemented')).toContain('WatchDir');
  });

  it('answers the unsupported process method StreamInput with Connect\'s unimplemented', async () => {
    const res = await box.stream('process.Process/StreamInput', frame({ start: { process: { pid: 1 } } }));
    await expectConnectError(res, 501, 'unimplemented');
  });

  it('refuses a sandbox user other than "user" and "root" with 401 unauthenticated, and accepts both', async () => {
    const nobody = await box.rpc('filesystem.Filesystem/Stat', { path: '/tmp' }, { authorization: basic('nobody') });
    expect(await expectConnectError(nobody, 401, 'unauthenticated')).toMatch(/user/);
    for (const user of ['root', 'user']) {
      const res = await box.rpc('filesystem.Filesystem/Stat', { path: '/tmp' }, { authorization: basic(user) });
      expect(res.status, `${user}: ${await res.clone().text()}`).toBe(200);
      expect(await res.json()).toMatchObject({ entry: { path: '/tmp', type: 'FILE_TYPE_DIRECTORY' } });
    }
  });

  it('refuses a missing access token with 401 unauthenticated', async () => {
    const res = await box.rpc('filesystem.Filesystem/Stat', { path: '/tmp' }, { 'x-access-token': '' });
    await expectConnectError(res, 401, 'unauthenticated');
  });
});

describe('envd: streaming RPCs', () => {
  let box: Envd;
  let sandboxId: string;
  beforeAll(async () => {
    ({ box, sandboxId } = await aliceSandbox());
  });

  const execRows = async () => (await audit(`targetId=${sandboxId}&action=environment.exec`)).filter((a) => a.success).length;

  it.each([
    ['shorter than an envelope header', Buffer.from([0, 0, 0])],
    ['longer than its length says', Buffer.concat([envelope(0, Buffer.from('{}')), Buffer.from('extra')])],
    ['shorter than its length says', envelope(0, Buffer.from('{"process":{"cmd":"/bin/sh"}}')).subarray(0, 12)],
    ['compressed (flag 1)', envelope(1, Buffer.from('{"process":{"cmd":"/bin/sh","args":["-c","echo hi"]}}'))],
    ['a frame of invalid JSON', envelope(0, Buffer.from('{"process":'))],
    ['a frame failing the schema', frame({ process: { args: ['-c', 'echo hi'] } })],
  ])('refuses a Start body %s with 400 invalid_argument and starts nothing', async (_what, body) => {
    const before = await execRows();
    await expectConnectError(await box.stream('process.Process/Start', body), 400, 'invalid_argument');
    expect(await execRows()).toBe(before);
  });

  it('still runs a valid framed Start afterwards: start, stdout, end, then the end-of-stream envelope', async () => {
    const res = await box.stream('process.Process/Start', frame({ process: { cmd: '/bin/sh', args: ['-c', 'echo hi'] } }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/connect+json');
    const frames = parseFrames(Buffer.from(await res.arrayBuffer()));
    expect(frames.length, JSON.stringify(frames)).toBeGreaterThanOrEqual(4);

    expect(frames[0]).toEqual({ flags: 0, message: { event: { start: { pid: expect.any(Number) } } } });
    const data = frames.slice(1, -2);
    for (const f of data) expect(f).toEqual({ flags: 0, message: { event: { data: { stdout: expect.any(String) } } } });
    const stdout = Buffer.concat(data.map((f) => Buffer.from(((f.message.event as { data: { stdout: string } }).data.stdout), 'base64'))).toString();
    expect(stdout).toBe('hi\n');
    expect(frames.at(-2)).toEqual({ flags: 0, message: { event: { end: expect.objectContaining({ exitCode: 0, exited: true }) } } });
    expect(frames.at(-1)).toEqual({ flags: 2, message: {} });
  });

  it('ends a Start that cannot run (missing cwd) with invalid_argument in the last envelope, and audits no successful exec', async () => {
    const res = await box.stream('process.Process/Start', frame({ process: { cmd: '/bin/sh', args: ['-c', 'true'], cwd: '/does/not/exist' } }));
    expect(res.status).toBe(200);
    const frames = parseFrames(Buffer.from(await res.arrayBuffer()));
    expect(frames).toEqual([{ flags: 2, message: { error: { code: 'invalid_argument', message: expect.any(String) } } }]);
    const rows = await audit(`targetId=${sandboxId}&action=environment.exec`);
    expect(rows.filter((a) => a.metadata.cwd === '/does/not/exist').map((a) => ({ success: a.success, metadata: a.metadata }))).not.toContainEqual(expect.objectContaining({ success: true }));
  });

  it('ends Connect to an unknown pid with not_found in the last envelope', async () => {
    const res = await box.stream('process.Process/Connect', frame({ process: { pid: 999_999 } }));
    expect(res.status).toBe(200);
    expect(parseFrames(Buffer.from(await res.arrayBuffer()))).toEqual([{ flags: 2, message: { error: { code: 'not_found', message: expect.stringContaining('999999') } } }]);
  });
});

describe('envd: process streams to a client that reads nothing', () => {
  let box: Envd;
  beforeAll(async () => {
    box = envd(await createSandbox(alice));
  });

  const streamHeaders = () => box.headers({ 'content-type': 'application/connect+json', 'connect-protocol-version': '1' });
  /** The MiB a metered flood in the sandbox got out so far. */
  const produced = (tag: string) => async () => {
    const res = await box.read(`path=/tmp/${tag}`);
    return res.status === 200 ? Number((await res.text()).trim()) : 0;
  };

  it('holds a process back while its only client reads nothing, lets it run on unheld once that client goes, and holds it again for a Connect that reads nothing', async () => {
    const tag = `flood-${Date.now()}`;
    const meter = produced(tag);
    // `yes` with a meter: a MiB at a time, counting every MiB it got out.
    const script = `i=0; while :; do head -c ${MIB} /dev/zero || exit 1; i=$((i+1)); echo $i > /tmp/${tag}; done`;
    const before = rss();
    const start = await stalledRequest(`${url}/process.Process/Start`, {
      method: 'POST',
      headers: streamHeaders(),
      body: frame({ process: { cmd: '/bin/sh', args: ['-c', script] }, tag }),
    });
    expect(start.status).toBe(200);
    const held = await untilStalledOrPast('the flood under Start', meter, FLOOD_MIB);
    expect(held).toBeLessThan(HELD_MIB);
    expect(rss() - before).toBeLessThan(RSS_BOUND);

    // A background process outlives its client: no longer held, its output goes nowhere instead of piling up.
    start.close();
    await waitFor('the flood to run on once its client went away', async () => (await meter()) >= held + FLOOD_MIB, 120_000, 200);
    expect(rss() - before).toBeLessThan(RSS_BOUND);

    const beforeConnect = rss();
    const connect = await stalledRequest(`${url}/process.Process/Connect`, { method: 'POST', headers: streamHeaders(), body: frame({ process: { tag } }) });
    expect(connect.status).toBe(200);
    // Counted from the moment the Connect is attached (its answer has begun): until then the flood runs free,
    // and on a loaded machine the request alone may take long enough for hundreds of MiB.
    const from = await meter();
    const heldAgain = await untilStalledOrPast('the flood under Connect', meter, from + FLOOD_MIB);
    expect(heldAgain - from).toBeLessThan(HELD_MIB);
    expect(rss() - beforeConnect).toBeLessThan(RSS_BOUND);

    connect.close();
    expect((await box.rpc('process.Process/SendSignal', { process: { tag }, signal: 'SIGNAL_SIGKILL' })).status).toBe(200);
    await waitFor('the flood to be gone', async () => !JSON.stringify(await (await box.rpc('process.Process/List', {})).json()).includes(tag), 20_000);
  }, 300_000);
});

describe('envd: running processes per user', () => {
  let carol: Member;
  let boxes: Handle[];
  const running: StalledResponse[] = [];
  beforeAll(async () => {
    carol = await member('wire-carol');
    boxes = [await createSandbox(carol), await createSandbox(carol)];
  });
  afterAll(() => running.forEach((r) => r.close()));

  /** Starts `sleep` in a sandbox and leaves it running (its client keeps the stream open, reading nothing). */
  async function startSleep(sbx: Handle, tag: string): Promise<StalledResponse> {
    const body = frame({ process: { cmd: 'sleep', args: ['300'] }, tag });
    const headers = envd(sbx).headers({ 'content-type': 'application/connect+json', 'connect-protocol-version': '1' });
    const res = await stalledRequest(`${url}/process.Process/Start`, { method: 'POST', headers, body });
    running.push(res);
    return res;
  }

  it(`refuses the process past ${MAX_PROCESSES} running ones of a user, across sandboxes, with resource_exhausted (the SDK's RateLimitError), and starts nothing`, async () => {
    for (let i = 0; i < MAX_PROCESSES; i++) expect((await startSleep(boxes[i % 2]!, `sleeper-${i}`)).status).toBe(200);
    const refused = await envd(boxes[1]!).stream('process.Process/Start', frame({ process: { cmd: 'sleep', args: ['300'] }, tag: 'one-too-many' }));
    // Connect ends a stream with its error in the last frame; a status before it would read as "sandbox gone".
    expect(refused.status).toBe(200);
    const frames = parseFrames(Buffer.from(await refused.arrayBuffer()));
    expect(frames).toEqual([{ flags: 2, message: { error: { code: 'resource_exhausted', message: expect.stringContaining(`${MAX_PROCESSES}`) } } }]);
    const listed = JSON.stringify(await (await envd(boxes[1]!).rpc('process.Process/List', {})).json());
    expect(listed).not.toContain('one-too-many');
    // A start is audited once its process runs, which is after the stream's headers went out.
    const succeeded = async () => (await audit(`targetId=${boxes[1]!.sandboxID}&action=environment.exec`)).filter((a) => a.success);
    await waitFor('both starts in this sandbox to be audited', async () => (await succeeded()).length >= MAX_PROCESSES / 2);
    expect(await succeeded()).toHaveLength(MAX_PROCESSES / 2);

    const sdk = await Sandbox.connect(boxes[0]!.sandboxID, { apiKey: carol.apiKey, apiUrl: url, sandboxUrl: url });
    await expect(sdk.commands.run('echo never')).rejects.toBeInstanceOf(RateLimitError);
  });

  it('leaves other users unaffected, and lets the user start again once one of theirs has ended', async () => {
    const other = envd(await createSandbox(bob));
    const res = await other.stream('process.Process/Start', frame({ process: { cmd: '/bin/sh', args: ['-c', 'echo bob'] } }));
    expect(res.status).toBe(200);
    expect(parseFrames(Buffer.from(await res.arrayBuffer())).at(-1)).toEqual({ flags: 2, message: {} });

    expect((await envd(boxes[0]!).rpc('process.Process/SendSignal', { process: { tag: 'sleeper-0' }, signal: 'SIGNAL_SIGKILL' })).status).toBe(200);
    const sdk = await Sandbox.connect(boxes[0]!.sandboxID, { apiKey: carol.apiKey, apiUrl: url, sandboxUrl: url });
    await waitFor('carol to be under her cap again', async () => (await sdk.commands.run('echo again').catch(() => undefined))?.stdout === 'again\n', 20_000, 200);
  });
});

describe('envd: /files', () => {
  let box: Envd;
  let sandboxId: string;
  beforeAll(async () => {
    ({ box, sandboxId } = await aliceSandbox());
  });

  const octet = { 'content-type': 'application/octet-stream' };

  it('refuses a read without a path with 400', async () => {
    expect(await expectE2bError(await box.read(''), 400)).toMatch(/path/);
  });

  it('answers a read of a missing file with 404', async () => {
    expect(await expectE2bError(await box.read('path=/tmp/no-such-file'), 404)).toContain('/tmp/no-such-file');
  });

  it('refuses a read of a folder with 400', async () => {
    expect(await expectE2bError(await box.read('path=/tmp'), 400)).toMatch(/directory/);
  });

  it('refuses a write that is neither multipart nor octet-stream, and writes nothing', async () => {
    const res = await box.write('path=/tmp/wire/plain.txt', 'hello', { 'content-type': 'text/plain' });
    expect(await expectE2bError(res, 400)).toMatch(/multipart|octet-stream/);
    await expectE2bError(await box.read('path=/tmp/wire/plain.txt'), 404);
  });

  it('refuses a write in a media type it has no parser for with 415, and writes nothing', async () => {
    await expectE2bError(await box.write('path=/tmp/wire/xml.txt', '<a/>', { 'content-type': 'application/xml' }), 415);
    await expectE2bError(await box.read('path=/tmp/wire/xml.txt'), 404);
  });

  it('refuses an octet-stream write without a path with 400', async () => {
    expect(await expectE2bError(await box.write('', 'orphan', octet), 400)).toMatch(/path/);
  });

  it('writes the gunzipped bytes of a gzip-encoded octet-stream upload', async () => {
    const content = Buffer.from('compressed on the wire\n'.repeat(20));
    const res = await box.write('path=/tmp/wire/gz.txt', gzipSync(content), { ...octet, 'content-encoding': 'gzip' });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual([{ name: 'gz.txt', type: 'file', path: '/tmp/wire/gz.txt' }]);
    expect(Buffer.from(await (await box.read('path=/tmp/wire/gz.txt')).arrayBuffer()).equals(content)).toBe(true);
  });

  it('refuses a gzip-encoded upload that is not gzip with 400, and writes nothing', async () => {
    const res = await box.write('path=/tmp/wire/bad-gz.txt', 'not gzip at all', { ...octet, 'content-encoding': 'gzip' });
    await expectE2bError(res, 400);
    await expectE2bError(await box.read('path=/tmp/wire/bad-gz.txt'), 404);
  });

  it('refuses a gzip-encoded upload that inflates past the file size limit with 413, and writes nothing', async () => {
    const bomb = gzipSync(Buffer.alloc(server.config.maxArchiveBytes + 1));
    const res = await box.write('path=/tmp/wire/bomb.bin', bomb, { ...octet, 'content-encoding': 'gzip' });
    await expectE2bError(res, 413);
    await expectE2bError(await box.read('path=/tmp/wire/bomb.bin'), 404);
  });

  it('answers 413 to a read of a file past the limit', async () => {
    const made = await alice.caller.post(`/api/v1/environments/${sandboxId}/exec`, { command: `mkdir -p /tmp/wire && dd if=/dev/zero of=/tmp/wire/huge bs=1 count=0 seek=${2 * 1024 * MIB} 2>/dev/null` });
    expect(made.json<{ exitCode: number }>().exitCode, made.body).toBe(0);
    expect(await expectE2bError(await box.read('path=/tmp/wire/huge'), 413)).toMatch(/larger than/);
  });

  it('answers a gzip bomb with 413 once it inflates past the limit, before its body has even been sent in full, and writes nothing', async () => {
    const bomb = await gzipOfZeros(BOMB_MIB * MIB);
    expect(bomb.length).toBeLessThan(server.config.maxArchiveBytes / 8);
    const before = rss();
    const upload = http.request(`${url}/files?path=/tmp/wire/bomb-streamed.bin`, { method: 'POST', headers: box.headers({ ...octet, 'content-encoding': 'gzip' }) });
    upload.on('error', () => undefined); // the server closes the connection after its answer
    const answered = new Promise<{ status: number; body: string }>((resolve) =>
      upload.once('response', (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.once('end', () => resolve({ status: res.statusCode!, body }));
      }),
    );
    // All of the bomb, but never the end of the body: a server that waits for it never answers.
    upload.write(bomb);
    const outcome = await Promise.race([answered, new Promise<'no answer'>((resolve) => setTimeout(() => resolve('no answer'), 20_000))]);
    upload.destroy();
    expect(outcome).toEqual({ status: 413, body: expect.any(String) });
    expect(JSON.parse((outcome as { body: string }).body)).toEqual({ code: 413, message: expect.any(String) });
    expect(rss() - before).toBeLessThan(BOMB_RSS_BOUND);
    await expectE2bError(await box.read('path=/tmp/wire/bomb-streamed.bin'), 404);
  });

  it('refuses a multipart upload that holds no file with 400', async () => {
    const form = new FormData();
    form.append('note', 'a field, not a file');
    const res = await fetch(`${url}/files?path=/tmp/wire/form.txt`, { method: 'POST', headers: box.headers(), body: form });
    expect(await expectE2bError(res, 400)).toMatch(/no file/);
    await expectE2bError(await box.read('path=/tmp/wire/form.txt'), 404);
  });

  it('refuses the user "nobody" with 401 on read and write, and writes nothing', async () => {
    expect((await box.write('path=/tmp/wire/mine.txt', 'mine', octet)).status).toBe(200);
    await expectE2bError(await box.read('path=/tmp/wire/mine.txt&username=nobody'), 401);
    await expectE2bError(await box.write('path=/tmp/wire/mine.txt&username=nobody', 'overwritten', octet), 401);
    await expectE2bError(await box.write('path=/tmp/wire/other.txt', 'other', { ...octet, authorization: basic('nobody') }), 401);
    expect(await (await box.read('path=/tmp/wire/mine.txt&username=root')).text()).toBe('mine');
    await expectE2bError(await box.read('path=/tmp/wire/other.txt'), 404);
  });
});

describe('envd: a killed sandbox', () => {
  it('answers 502 on /health, RPCs and /files once the sandbox is killed', async () => {
    const sbx = await createSandbox(alice);
    const box = envd(sbx);
    expect((await box.health()).status).toBe(204);
    expect((await api(alice, 'DELETE', `/sandboxes/${sbx.sandboxID}`)).status).toBe(204);
    // Removal takes the container and, since each sandbox has a network of its own, that network and its rules.
    await waitFor('the killed sandbox\'s /health to answer 502', async () => (await box.health()).status === 502, 30_000);

    await expectE2bError(await box.health(), 502);
    await expectConnectError(await box.rpc('filesystem.Filesystem/Stat', { path: '/tmp' }), 502, 'unavailable');
    await expectConnectError(await box.rpc('process.Process/List', {}), 502, 'unavailable');
    await expectConnectError(await box.stream('process.Process/Start', frame({ process: { cmd: '/bin/sh', args: ['-c', 'echo hi'] } })), 502, 'unavailable');
    await expectE2bError(await box.read('path=/tmp'), 502);
    await expectE2bError(await box.write('path=/tmp/after-kill.txt', 'late', { 'content-type': 'application/octet-stream' }), 502);
  }, 90_000);
});

describe('requests that name no sandbox', () => {
  it('do not reach the envd routes: /files and /process.Process/Start get Berth\'s own 404', async () => {
    await expectBerthProblem(await fetch(`${url}/files?path=/etc/passwd`), 404);
    await expectBerthProblem(await fetch(`${url}/files?path=/tmp/x`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: 'x' }), 404);
    const start = fetch(`${url}/process.Process/Start`, {
      method: 'POST',
      headers: { 'content-type': 'application/connect+json', 'connect-protocol-version': '1' },
      body: new Uint8Array(frame({ process: { cmd: '/bin/sh', args: ['-c', 'echo hi'] } })),
    });
    await expectBerthProblem(await start, 404);
    await expectBerthProblem(await fetch(`${url}/filesystem.Filesystem/Stat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"path":"/"}' }), 404);
  });
});
