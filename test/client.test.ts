import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { ApiError, ContractError, createClient, fillPath, ROUTES, SOCKETS, UnreachableError, type RouteName } from '@berth/client';
import { declaredProblems } from '../packages/server/src/http/route.js';
import type { OpenAPIV3_1 } from 'openapi-types';
import { beforeAll, describe, expect, it } from 'vitest';
import { readmeBlock } from './support/readme.js';
import { ADMIN } from './support/server.js';
import { useTestServer } from './support/test-server.js';

/**
 * The typed client (@berth/client): one route table in the contracts, held
 * here against the server's own API document, and calls through it against a
 * real server.
 */
const { server, users: { scripted } } = useTestServer({ users: ['scripted'] });
let url: string;
let token: string;

beforeAll(async () => {
  url = await server.app.listen({ host: '127.0.0.1', port: 0 });
  token = (await scripted.post('/api/v1/tokens', { name: 'script' })).json<{ token: string }>().token;
});

describe('the route table', () => {
  it('names every operation of the API document, and nothing else, with the same method and path', async () => {
    const doc = (await server.anonymous.get('/api/openapi.json')).json<OpenAPIV3_1.Document>();
    const documented = Object.entries(doc.paths ?? {})
      .filter(([path]) => path.startsWith('/api/v1/'))
      .flatMap(([path, ops]) => Object.keys(ops ?? {}).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    const table = Object.values(ROUTES).map((r) => `${r.method} ${r.path}`).sort();
    expect(table).toEqual(documented);
  });

  it('says of each route whether it answers JSON, as the document does', async () => {
    const doc = (await server.anonymous.get('/api/openapi.json')).json<OpenAPIV3_1.Document>();
    const wrong: string[] = [];
    for (const [name, route] of Object.entries(ROUTES)) {
      const op = (doc.paths?.[route.path] as Record<string, OpenAPIV3_1.OperationObject>)[route.method.toLowerCase()]!;
      const json = Object.entries(op.responses ?? {}).some(([status, r]) => status.startsWith('2') && status !== '204' && !!(r as OpenAPIV3_1.ResponseObject).content?.['application/json']);
      if (json !== ('response' in route && !!route.response)) wrong.push(`${name}: document ${json ? 'has' : 'has no'} JSON answer`);
    }
    expect(wrong).toEqual([]);
  });

  it("documents each route with its table entry's words, group, success status and own refusals", async () => {
    const doc = (await server.anonymous.get('/api/openapi.json')).json<OpenAPIV3_1.Document>();
    const op = (name: RouteName) => (doc.paths?.[ROUTES[name].path] as Record<string, OpenAPIV3_1.OperationObject>)[ROUTES[name].method.toLowerCase()]!;
    expect(op('environments.create')).toMatchObject({ summary: ROUTES['environments.create'].summary, tags: ['environments'] });
    expect(Object.keys(op('environments.create').responses ?? {})).toEqual(['202', '4XX', '5XX']);
    expect(op('environments.create').description).toContain('`insufficient_credits` (409)');
    expect(Object.keys(op('files.write').responses ?? {})).toEqual(['200', '201', '4XX', '5XX']);
    expect(op('me.get').description).toBeUndefined();
    expect(op('auth.login').security).toEqual([]);
    expect(op('machineTypes.list').tags).toEqual(['machine-types']);
  });

  it("records each refusal with the route it came from, held against the route's declared problems", async () => {
    const seen = server.problems.length;
    await scripted.get('/api/v1/environments/00000000-0000-4000-8000-000000000000');
    await scripted.post('/api/v1/environments', { type: 'no-such-type' });
    expect(server.problems.slice(seen)).toEqual([
      { route: 'environments.get', code: 'not_found' },
      { route: 'environments.create', code: 'machine_type_not_allowed' },
    ]);
    expect(declaredProblems('environments.create').has('machine_type_not_allowed')).toBe(true);
    // A refusal of a route that does not declare it would fail the test file at close().
    expect(declaredProblems('environments.get').has('machine_type_not_allowed')).toBe(false);
    expect(declaredProblems('environments.get').has('not_found')).toBe(true);
  });

  it('fills path segments encoded, and refuses a missing one', () => {
    expect(fillPath(ROUTES['orgs.removeMember'].path, { org: 'a/b', username: 'ç d' })).toBe('/api/v1/orgs/a%2Fb/members/%C3%A7%20d');
    expect(() => fillPath(ROUTES['orgs.get'].path, {})).toThrow(/no value for \{org\}/);
    expect(Object.keys(SOCKETS)).toEqual(['environments.eventsSocket', 'environments.terminal', 'environments.assistant']);
  });
});

describe('a client with a token', () => {
  it('calls routes by name and answers their contract types', async () => {
    const berth = createClient({ baseUrl: url, token });
    const me = await berth.call('me.get');
    expect(me.username).toBe('scripted');
    const made = await berth.call('orgs.create', { body: { slug: 'scripted-co', name: 'Scripted' } });
    expect(made).toMatchObject({ slug: 'scripted-co', role: 'owner' });
    // A token acts in its own organization (the personal one here): the new one it lists, but does not open.
    expect((await berth.call('orgs.list')).items.map((o) => o.slug)).toEqual(['scripted', 'scripted-co']);
    expect((await berth.call('orgs.get', { params: { org: 'scripted' } })).personal).toBe(true);
    await expect(berth.call('orgs.get', { params: { org: 'scripted-co' } })).rejects.toMatchObject({ code: 'not_found' });
    expect((await berth.call('environments.list')).items).toEqual([]);
  });

  it('throws ApiError with the problem: its code, status and field errors', async () => {
    const berth = createClient({ baseUrl: url, token });
    const bad = await berth.call('tokens.create', { body: { name: '' } }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ApiError);
    expect(bad).toMatchObject({ status: 400, code: 'validation_failed' });
    expect((bad as ApiError).fieldErrors()).toHaveProperty('name');
    const missing = await berth.call('environments.get', { params: { id: '00000000-0000-4000-8000-000000000000' } }).catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404, code: 'not_found', message: 'Environment was not found' });
    expect((missing as ApiError).describe()).toBe('Not found: Environment was not found');
    const admin = createClient({ baseUrl: url, token: 'berth_not-a-token' });
    expect(await admin.call('users.list').catch((e: unknown) => (e as ApiError).code)).toBe('unauthorized');
  });

  it('refuses an answer that breaks its contract, and says when there is no server', async () => {
    const liar = createClient({ baseUrl: url, fetch: async () => new Response(JSON.stringify({ id: 1 }), { headers: { 'content-type': 'application/json' } }) });
    await expect(liar.call('me.get')).rejects.toBeInstanceOf(ContractError);
    // A success status the table does not give the route is a broken contract too.
    const wrongStatus = createClient({ baseUrl: url, fetch: async () => new Response(null, { status: 200 }) });
    await expect(wrongStatus.call('tokens.revoke', { params: { id: '00000000-0000-4000-8000-000000000000' } })).rejects.toThrow(/answered 200, not 204/);
    const nowhere = createClient({ baseUrl: 'http://127.0.0.1:9' });
    await expect(nowhere.call('me.get')).rejects.toBeInstanceOf(UnreachableError);
  });

  it('signs in an admin with a session cookie, as a script would', async () => {
    const anonymous = createClient({ baseUrl: url });
    const login = await anonymous.send('POST', '/api/v1/auth/login', { body: JSON.stringify(ADMIN), headers: { 'content-type': 'application/json' } });
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    const admin = createClient({ baseUrl: url, headers: () => ({ cookie, origin: url }) });
    expect((await admin.call('users.list')).items.map((u) => u.username)).toContain('scripted');
  });
});

describe("the test harness's callers", () => {
  it('carry the typed client, its requests injected with their credentials', async () => {
    const made = await scripted.api.call('tokens.create', { body: { name: 'injected', scope: 'read' } });
    expect(made).toMatchObject({ name: 'injected', scope: 'read' });
    expect((await scripted.api.call('tokens.list')).items.map((t) => t.name)).toContain('injected');
    await scripted.api.call('tokens.revoke', { params: { id: made.id } });
    await expect(server.anonymous.api.call('tokens.list')).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
  });
});

describe("the README's TypeScript example", () => {
  it('runs as written with BERTH_URL and BERTH_TOKEN set', async () => {
    const script = await readmeBlock('### From TypeScript', 'ts');
    // Inside the repository, so `@berth/client` resolves as it does in a checkout.
    const file = path.resolve('test-artifacts/readme-client.ts');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, script);
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', file], { env: { PATH: process.env.PATH, BERTH_URL: url, BERTH_TOKEN: token }, timeout: 60_000 });
    expect(stdout).toMatch(/^(pending|provisioning|running)\nmachine_type_not_allowed\n$/);
  });
});
