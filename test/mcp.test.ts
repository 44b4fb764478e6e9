import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { AuditEntry, CreatedToken, Environment, Problem } from '@berth/contracts';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOrg, inOrg } from './support/orgs.js';
import { startTestServer, type Caller, type TestServer } from './support/server.js';
import { USER_PASSWORD, useTestServer } from './support/test-server.js';
import { runningEnvironment, waitFor } from './support/wait.js';

/**
 * The MCP endpoint (/mcp) through the official SDK's client and Streamable
 * HTTP transport, against a listening server and real containers: its tools
 * act as the token's caller, with the token's scope and organization.
 */
const { server, admin, users: { ada, bob }, ids } = useTestServer({ users: ['ada', 'bob'] });
let base: URL;
const tokens = {} as Record<'read' | 'exec' | 'admin' | 'bob' | 'acme', string>;
/** An environment of ada's personal organization, made through the HTTP API. */
let adaEnv: Environment;
const clients: Client[] = [];

async function tokenOf(caller: Caller, body: Record<string, unknown>): Promise<CreatedToken> {
  const res = await caller.post('/api/v1/tokens', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json<CreatedToken>();
}

/** An SDK client connected to `url`'s /mcp with a bearer token. */
async function connect(token: string, url: URL = base): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', url), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  const client = new Client({ name: 'berth-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

const textOf = (result: CallToolResult) => result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');

async function ok<T = Record<string, unknown>>(client: Client, name: string, args: Record<string, unknown> = {}): Promise<T> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  expect(result.isError ?? false, textOf(result)).toBe(false);
  return result.structuredContent as T;
}

/** A tool error whose text starts with the stable problem code. */
async function refused(client: Client, name: string, args: Record<string, unknown>, code: string): Promise<string> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  expect(result.isError, textOf(result)).toBe(true);
  expect(textOf(result)).toMatch(new RegExp(`^${code}: `));
  return textOf(result);
}

/** A raw JSON-RPC POST to /mcp, for what the SDK client would not send. */
function post(url: URL, body: unknown, headers: Record<string, string>): Promise<Response> {
  return fetch(new URL('/mcp', url), { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify(body) });
}
const INITIALIZE = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
const LIST_TOOLS = { jsonrpc: '2.0', id: 2, method: 'tools/list' };

async function expectProblemResponse(res: Response, status: number, code: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(((await res.json()) as Problem).code).toBe(code);
}

beforeAll(async () => {
  base = new URL(await server.app.listen({ host: '127.0.0.1', port: 0 }));
  for (const scope of ['read', 'exec', 'admin'] as const) tokens[scope] = (await tokenOf(ada, { name: `mcp-${scope}`, scope })).token;
  tokens.bob = (await tokenOf(bob, { name: 'mcp-bob' })).token;
  await makeOrg(ada, 'acme');
  tokens.acme = (await tokenOf(inOrg(ada, 'acme'), { name: 'mcp-acme' })).token;
  adaEnv = await runningEnvironment(ada);
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
});

describe('the tool list', () => {
  it('names every tool with a description for a model and a JSON schema from its Zod input', async () => {
    const { client } = await connect(tokens.read);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(
      ['create_environment', 'delete_environment', 'exec', 'get_preview_url', 'list_environments', 'list_files', 'list_machine_types', 'process_status', 'read_file', 'run_code', 'stop_environment', 'write_files'].sort(),
    );
    for (const tool of tools) expect(tool.description?.length, tool.name).toBeGreaterThan(40);
    const create = tools.find((t) => t.name === 'create_environment')!;
    expect(create.inputSchema).toMatchObject({ type: 'object', required: ['type'], additionalProperties: false });
    expect(Object.keys(create.inputSchema.properties ?? {}).sort()).toEqual(['name', 'template', 'type', 'waitSeconds']);
    const exec = tools.find((t) => t.name === 'exec')!;
    expect(exec.inputSchema.required?.sort()).toEqual(['command', 'environment']);
    expect(exec.inputSchema.properties).toHaveProperty('background');
    expect(tools.find((t) => t.name === 'run_code')!.inputSchema.properties).toMatchObject({ language: { enum: ['python', 'javascript', 'bash'] } });
    expect(tools.find((t) => t.name === 'delete_environment')!.annotations).toMatchObject({ destructiveHint: true });
  });
});

describe('an environment through MCP, with an admin token', () => {
  it('is created running, runs commands, takes and gives files, runs in the background, has a preview, stops and is deleted only when confirmed', async () => {
    const { client } = await connect(tokens.admin);
    const types = await ok<{ items: { name: string }[] }>(client, 'list_machine_types');
    expect(types.items.map((t) => t.name)).toContain('small');

    const { environment: env } = await ok<{ environment: { id: string; name: string; status: string } }>(client, 'create_environment', { type: 'small', name: 'mcp-made' });
    expect(env).toMatchObject({ name: 'mcp-made', status: 'running' });
    const listed = await ok<{ items: { id: string }[] }>(client, 'list_environments');
    expect(listed.items.map((e) => e.id)).toContain(env.id);

    const ran = await ok(client, 'exec', { environment: env.id, command: 'echo hello; echo oops >&2; exit 3' });
    expect(ran).toMatchObject({ exitCode: 3, stdout: 'hello\n', stderr: 'oops\n', timedOut: false });
    // By name too, in another folder.
    expect(await ok(client, 'exec', { environment: 'mcp-made', command: 'pwd', cwd: '/tmp' })).toMatchObject({ exitCode: 0, stdout: '/tmp\n' });

    const written = await ok<{ written: { path: string; created: boolean }[] }>(client, 'write_files', {
      environment: env.id,
      files: [
        { path: 'src/main.txt', content: 'first line\n' },
        { path: 'src/data.bin', content: Buffer.from([0, 1, 2, 255]).toString('base64'), encoding: 'base64' },
      ],
    });
    expect(written.written).toEqual([
      { path: 'src/main.txt', bytes: 11, created: true },
      { path: 'src/data.bin', bytes: 4, created: true },
    ]);
    expect(await ok(client, 'read_file', { environment: env.id, path: 'src/main.txt' })).toMatchObject({ encoding: 'utf8', content: 'first line\n', size: 11 });
    expect(await ok(client, 'read_file', { environment: env.id, path: '/workspace/src/data.bin' })).toMatchObject({ encoding: 'base64', content: 'AAEC/w==' });
    const folder = await ok<{ items: { name: string; type: string }[] }>(client, 'list_files', { environment: env.id, path: 'src' });
    expect(folder.items.map((i) => [i.name, i.type])).toEqual([['data.bin', 'file'], ['main.txt', 'file']]);

    // A background command: a pid at once, then its output and exit through process_status.
    const started = await ok<{ pid: number; status: string }>(client, 'exec', { environment: env.id, command: 'cat src/main.txt; echo to-err >&2; exit 7', background: true });
    expect(started.status).toBe('running');
    const finished = await waitFor('the background command to end', async () => {
      const status = await ok<{ status: string }>(client, 'process_status', { environment: env.id, pid: started.pid });
      return status.status === 'running' ? undefined : status;
    });
    expect(finished).toMatchObject({ status: 'exited', exitCode: 7, stdout: 'first line\n', stderr: 'to-err\n' });

    // A server in the background, and its preview.
    const web = await ok<{ pid: number }>(client, 'exec', { environment: env.id, command: 'httpd -f -p 8000 -h /workspace/src', background: true });
    const preview = await waitFor('port 8000 to listen', async () => {
      const answer = await ok<{ listening: boolean; url: string; sharing: string }>(client, 'get_preview_url', { environment: env.id, port: 8000 });
      return answer.listening ? answer : undefined;
    });
    expect(preview).toEqual({ port: 8000, listening: true, url: `http://8000-${env.id}.localhost:${base.port}/`, sharing: 'owner' });
    expect(await ok(client, 'process_status', { environment: env.id, pid: web.pid })).toMatchObject({ status: 'running', exitCode: null });
    expect(await ok(client, 'get_preview_url', { environment: env.id, port: 8001 })).toMatchObject({ listening: false, url: `http://8001-${env.id}.localhost:${base.port}/` });

    // What the tools did is in the audit log as the token's user did it.
    const audit = await admin.api.call('audit.list', { query: { targetId: env.id, action: 'environment.exec', limit: 50 } });
    expect(audit.items.length).toBe(4);
    expect(audit.items.every((e: AuditEntry) => e.actorId === ids.ada)).toBe(true);
    expect(audit.items.filter((e: AuditEntry) => e.metadata.via === 'mcp')).toHaveLength(2);

    expect((await ok<{ environment: { desiredState: string } }>(client, 'stop_environment', { environment: env.id })).environment.desiredState).toBe('stopped');
    await waitFor('the environment to stop', async () => (await ok<{ items: { id: string; status: string }[] }>(client, 'list_environments')).items.find((e) => e.id === env.id)?.status === 'stopped', 60_000);
    await refused(client, 'exec', { environment: env.id, command: 'true' }, 'environment_not_running');

    expect(await refused(client, 'delete_environment', { environment: env.id }, 'validation_failed')).toMatch(/confirm: true/);
    await refused(client, 'delete_environment', { environment: env.id, confirm: false }, 'validation_failed');
    expect((await ada.api.call('environments.get', { params: { id: env.id } })).desiredState).toBe('stopped');
    expect((await ok<{ environment: { desiredState: string } }>(client, 'delete_environment', { environment: env.id, confirm: true })).environment.desiredState).toBe('deleted');
  }, 180_000);

  it('kills a background command at its timeout, and says so', async () => {
    const { client } = await connect(tokens.exec);
    const { pid } = await ok<{ pid: number }>(client, 'exec', { environment: adaEnv.id, command: 'echo waiting; sleep 60', background: true, timeoutSeconds: 1 });
    const ended = await waitFor('the background command to be killed', async () => {
      const status = await ok<{ status: string }>(client, 'process_status', { environment: adaEnv.id, pid });
      return status.status === 'running' ? undefined : status;
    });
    expect(ended).toMatchObject({ status: 'timed_out', exitCode: null, stdout: 'waiting\n' });
  });

  it('refuses bad input with a tool error naming the problem', async () => {
    const { client } = await connect(tokens.admin);
    await refused(client, 'create_environment', { type: 'no-such-type' }, 'machine_type_not_allowed');
    await refused(client, 'create_environment', { type: 'small', template: 'no-such-template' }, 'not_found');
    await refused(client, 'exec', { environment: 'no-such-environment', command: 'true' }, 'not_found');
    await refused(client, 'process_status', { environment: adaEnv.id, pid: 999_999 }, 'not_found');
    await refused(client, 'read_file', { environment: adaEnv.id, path: '../etc/passwd' }, 'path_outside_workspace');
    await refused(client, 'write_files', { environment: adaEnv.id, files: [{ path: '/etc/evil', content: 'x' }] }, 'path_outside_workspace');
    await refused(client, 'read_file', { environment: adaEnv.id, path: 'missing.txt' }, 'not_found');
    // Arguments the schema refuses never reach Berth: the SDK answers a tool error saying what is wrong.
    const result = (await client.callTool({ name: 'run_code', arguments: { language: 'cobol', code: 'x' } })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/Input validation error/);
    const extra = (await client.callTool({ name: 'list_environments', arguments: { all: true } })) as CallToolResult;
    expect(extra.isError).toBe(true);
  });
});

describe('run_code', () => {
  it('runs a snippet in a throwaway environment, answers its output, and deletes the environment', async () => {
    const { client } = await connect(tokens.exec);
    const before = new Set((await ada.api.call('environments.list', { query: {} })).items.map((e) => e.id));
    const result = await ok(client, 'run_code', { language: 'bash', code: 'echo "sum: $((2 + 3))"\necho warned >&2\nexit 4\n' });
    expect(result).toMatchObject({ language: 'bash', exitCode: 4, stdout: 'sum: 5\n', stderr: 'warned\n', timedOut: false });
    const made = (await ada.api.call('environments.list', { query: {} })).items.filter((e) => !before.has(e.id));
    expect(made.length).toBeLessThanOrEqual(1);
    for (const env of made) expect(env.desiredState).toBe('deleted');
  }, 120_000);

  it('deletes its environment when the code cannot run', async () => {
    const { client } = await connect(tokens.exec);
    const before = new Set((await ada.api.call('environments.list', { query: {} })).items.map((e) => e.id));
    // Killed at its timeout: answered as such.
    expect(await ok(client, 'run_code', { language: 'bash', code: 'echo begun; sleep 30', timeoutSeconds: 1 })).toMatchObject({ timedOut: true, exitCode: null, stdout: 'begun\n' });
    // The test image has no python3: however the engine reports that, the call fails and the environment goes all the same.
    const result = (await client.callTool({ name: 'run_code', arguments: { language: 'python', code: 'print(1)' } })) as CallToolResult;
    expect(result.isError === true || (result.structuredContent as { exitCode: number | null }).exitCode !== 0, textOf(result)).toBe(true);
    const made = (await ada.api.call('environments.list', { query: {} })).items.filter((e) => !before.has(e.id));
    for (const env of made) expect(env.desiredState).toBe('deleted');
    await refused(client, 'run_code', { language: 'bash', code: 'true', type: 'no-such-type' }, 'machine_type_not_allowed');
  }, 120_000);
});

describe('token scopes', () => {
  it('lets a read token look but not run, write, stop, create or delete', async () => {
    const { client } = await connect(tokens.read);
    expect((await ok<{ items: { id: string }[] }>(client, 'list_environments')).items.map((e) => e.id)).toContain(adaEnv.id);
    await ok(client, 'list_files', { environment: adaEnv.id });
    expect(await refused(client, 'exec', { environment: adaEnv.id, command: 'true' }, 'token_scope')).toMatch(/scope is read; this needs exec/);
    await refused(client, 'exec', { environment: adaEnv.id, command: 'true', background: true }, 'token_scope');
    await refused(client, 'write_files', { environment: adaEnv.id, files: [{ path: 'a.txt', content: 'a' }] }, 'token_scope');
    await refused(client, 'run_code', { language: 'bash', code: 'true' }, 'token_scope');
    await refused(client, 'stop_environment', { environment: adaEnv.id }, 'token_scope');
    await refused(client, 'create_environment', { type: 'small' }, 'token_scope');
    await refused(client, 'delete_environment', { environment: adaEnv.id, confirm: true }, 'token_scope');
    expect((await ada.api.call('environments.get', { params: { id: adaEnv.id } })).desiredState).toBe('running');
  });

  it('lets an exec token run and write, but not create or delete environments', async () => {
    const { client } = await connect(tokens.exec);
    expect(await ok(client, 'exec', { environment: adaEnv.id, command: 'echo ok' })).toMatchObject({ exitCode: 0, stdout: 'ok\n' });
    await ok(client, 'write_files', { environment: adaEnv.id, files: [{ path: 'exec.txt', content: 'x' }] });
    await refused(client, 'create_environment', { type: 'small' }, 'token_scope');
    await refused(client, 'delete_environment', { environment: adaEnv.id, confirm: true }, 'token_scope');
  });
});

describe('organizations and users', () => {
  it("keeps another user's environments invisible: not found, by id or by name", async () => {
    const { client } = await connect(tokens.bob);
    expect((await ok<{ items: { id: string }[] }>(client, 'list_environments')).items.map((e) => e.id)).not.toContain(adaEnv.id);
    await refused(client, 'exec', { environment: adaEnv.id, command: 'true' }, 'not_found');
    await refused(client, 'read_file', { environment: adaEnv.id, path: 'exec.txt' }, 'not_found');
    await refused(client, 'get_preview_url', { environment: adaEnv.id, port: 8000 }, 'not_found');
    await refused(client, 'process_status', { environment: adaEnv.id, pid: 1 }, 'not_found');
    await refused(client, 'stop_environment', { environment: adaEnv.id }, 'not_found');
    await refused(client, 'delete_environment', { environment: adaEnv.id, confirm: true }, 'not_found');
    await refused(client, 'exec', { environment: adaEnv.name, command: 'true' }, 'not_found');
  });

  it("keeps a token to the organization it was made in: its user's environments elsewhere are not found", async () => {
    const { client } = await connect(tokens.acme);
    expect((await ok<{ items: unknown[] }>(client, 'list_environments')).items).toEqual([]);
    await refused(client, 'exec', { environment: adaEnv.id, command: 'true' }, 'not_found');
    await refused(client, 'list_files', { environment: adaEnv.id }, 'not_found');
  });
});

describe('sessions', () => {
  it('answers 401 without a token, and to a session cookie alone', async () => {
    await expectProblemResponse(await post(base, INITIALIZE, {}), 401, 'unauthorized');
    await expectProblemResponse(await post(base, INITIALIZE, { authorization: 'Bearer not-a-token' }), 401, 'unauthorized');
    const login = await fetch(new URL('/api/v1/auth/login', base), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'ada', password: USER_PASSWORD }) });
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    await expectProblemResponse(await post(base, INITIALIZE, { cookie, origin: base.origin }), 401, 'unauthorized');
    const client = new Client({ name: 'anonymous', version: '1' });
    await expect(client.connect(new StreamableHTTPClientTransport(new URL('/mcp', base)))).rejects.toThrow();
  });

  it('refuses a session id to any other token, even of the same user, as not found', async () => {
    const { transport } = await connect(tokens.admin);
    const sessionId = transport.sessionId!;
    await expectProblemResponse(await post(base, LIST_TOOLS, { authorization: `Bearer ${tokens.bob}`, 'mcp-session-id': sessionId }), 404, 'not_found');
    await expectProblemResponse(await post(base, LIST_TOOLS, { authorization: `Bearer ${tokens.read}`, 'mcp-session-id': sessionId }), 404, 'not_found');
    const own = await post(base, LIST_TOOLS, { authorization: `Bearer ${tokens.admin}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': transport.protocolVersion ?? '2025-06-18' });
    expect(own.status).toBe(200);
  });

  it('needs a session for anything but initialize, and forgets one that was ended', async () => {
    const headers = { authorization: `Bearer ${tokens.read}` };
    await expectProblemResponse(await post(base, LIST_TOOLS, headers), 400, 'validation_failed');
    await expectProblemResponse(await fetch(new URL('/mcp', base), { headers }), 400, 'validation_failed');
    await expectProblemResponse(await post(base, LIST_TOOLS, { ...headers, 'mcp-session-id': 'no-such-session' }), 404, 'not_found');
    const { transport } = await connect(tokens.read);
    const sessionId = transport.sessionId!;
    await transport.terminateSession();
    await expectProblemResponse(await post(base, LIST_TOOLS, { ...headers, 'mcp-session-id': sessionId }), 404, 'not_found');
  });

  it("ends a user's sessions when an admin deactivates the user", async () => {
    const id = await server.createUser('dee');
    const dee = await server.login('dee', 'a-long-enough-password');
    const { token } = await tokenOf(dee, { name: 'mcp-dee', scope: 'read' });
    const { transport } = await connect(token);
    expect(server.services.live.count(id, 'stream')).toBe(1);
    expect((await admin.patch(`/api/v1/users/${id}`, { active: false })).statusCode).toBe(200);
    await waitFor('the session to end', async () => server.services.live.count(id, 'stream') === 0);
    await expectProblemResponse(await post(base, LIST_TOOLS, { authorization: `Bearer ${token}`, 'mcp-session-id': transport.sessionId! }), 401, 'unauthorized');
  });

  it('refuses a body over the request limit with 413 payload_too_large, opening no session', async () => {
    const open = server.services.live.count(ids.ada, 'stream');
    const huge = { ...INITIALIZE, params: { ...INITIALIZE.params, clientInfo: { name: 'x'.repeat(server.config.bodyLimitBytes), version: '1' } } };
    await expectProblemResponse(await post(base, huge, { authorization: `Bearer ${tokens.read}` }), 413, 'payload_too_large');
    expect(server.services.live.count(ids.ada, 'stream')).toBe(open);
  });

  it("ends a token's sessions when the token is revoked", async () => {
    const made = await tokenOf(ada, { name: 'mcp-revoked', scope: 'read' });
    const open = server.services.live.count(ids.ada, 'stream');
    const { transport } = await connect(made.token);
    expect(server.services.live.count(ids.ada, 'stream')).toBe(open + 1);
    expect((await ada.delete(`/api/v1/tokens/${made.id}`)).statusCode).toBe(204);
    await waitFor('the session to end', async () => server.services.live.count(ids.ada, 'stream') === open);
    await expectProblemResponse(await post(base, LIST_TOOLS, { authorization: `Bearer ${made.token}`, 'mcp-session-id': transport.sessionId! }), 401, 'unauthorized');
  });
});

// Each test starts a Berth of its own, configured for the limit it tests: more than the 30 s default on a busy machine.
describe('session limits', { timeout: 90_000 }, () => {
  /** A server of its own, with a user and a read token there. */
  async function limitedServer(env: Record<string, string>) {
    const started = await startTestServer(env);
    const url = new URL(await started.app.listen({ host: '127.0.0.1', port: 0 }));
    const signed = await started.signUp('cat', USER_PASSWORD);
    return { server: started, url, userId: signed.id, token: (await tokenOf(signed.caller, { name: 'mcp', scope: 'read' })).token };
  }
  const servers: TestServer[] = [];
  afterAll(() => Promise.all(servers.map((s) => s.close())));

  it('refuses a session beyond the per-user cap with 429 socket_limit, until one is ended', async () => {
    const capped = await limitedServer({ BERTH_MCP_MAX_SESSIONS_PER_USER: '2' });
    servers.push(capped.server);
    const auth = { authorization: `Bearer ${capped.token}` };
    const first = await connect(capped.token, capped.url);
    expect((await post(capped.url, INITIALIZE, auth)).status).toBe(200);
    await expectProblemResponse(await post(capped.url, INITIALIZE, auth), 429, 'socket_limit');
    await first.transport.terminateSession();
    expect((await post(capped.url, INITIALIZE, auth)).status).toBe(200);
  });

  it('closes a session left without requests for the idle timeout', async () => {
    const idle = await limitedServer({ BERTH_MCP_SESSION_IDLE_SECONDS: '1' });
    servers.push(idle.server);
    const { client, transport } = await connect(idle.token, idle.url);
    const sessionId = transport.sessionId!;
    expect(idle.server.services.live.count(idle.userId, 'stream')).toBe(1);
    await client.close(); // ends its event stream; nothing of the session is open any more
    await waitFor('the idle session to be closed', async () => idle.server.services.live.count(idle.userId, 'stream') === 0, 10_000);
    await expectProblemResponse(await post(idle.url, LIST_TOOLS, { authorization: `Bearer ${idle.token}`, 'mcp-session-id': sessionId }), 404, 'not_found');
  });

  it('ends open sessions, event streams included, when the server stops', async () => {
    const stopping = await limitedServer({});
    const { client } = await connect(stopping.token, stopping.url);
    await client.listTools();
    await stopping.server.close();
    expect(stopping.server.services.live.count(stopping.userId, 'stream')).toBe(0);
    await expect(client.listTools()).rejects.toThrow();
  });
});

describe('the README', () => {
  it('shows an MCP client configuration naming /mcp and the bearer header', async () => {
    const readme = await readFile('README.md', 'utf8');
    const section = readme.split('## Use Berth from an MCP client\n')[1]?.split(/\n## /)[0] ?? '';
    const json = /```json\n([\s\S]*?)```/.exec(section)?.[1];
    expect(json, 'a json block in the section').toBeDefined();
    const config = JSON.parse(json!) as { mcpServers: Record<string, { type?: string; url: string; headers: Record<string, string> }> };
    const berth = Object.values(config.mcpServers)[0]!;
    expect(new URL(berth.url).pathname).toBe('/mcp');
    expect(berth.headers.Authorization).toMatch(/^Bearer /);
    for (const tool of ['list_machine_types', 'create_environment', 'exec', 'process_status', 'write_files', 'get_preview_url', 'delete_environment', 'run_code']) expect(section).toContain(`\`${tool}\``);
  });
});
