import type { CreatedToken, Environment, ExecResult, Token } from '@berth/contracts';
import type { OpenAPIV3_1 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from './support/problem.js';
import { startTestServer, type Caller, type TestServer } from './support/server.js';
import { upgradeRequest } from './support/upgrade.js';
import { runningEnvironment } from './support/wait.js';

/**
 * Token scopes, read < exec < admin, over every route of the API document:
 * a read token may only look, an exec token may also make, run and delete
 * environments and sandboxes and work inside them, an admin token may do what
 * its user may. The scope is checked before anything else of the request.
 */
let server: TestServer;
let url: string;
let session: Caller;
const tokens = {} as Record<'read' | 'exec' | 'admin', string>;
let env: Environment;
const NOTHING = '00000000-0000-4000-8000-000000000000';

/** What an exec token may do beyond reading: everything else that changes state needs admin. */
const EXEC = new Set([
  'POST /api/v1/environments',
  'POST /api/v1/environments/{id}/start',
  'POST /api/v1/environments/{id}/stop',
  'POST /api/v1/environments/{id}/restart',
  'DELETE /api/v1/environments/{id}',
  'POST /api/v1/environments/{id}/exec',
  'POST /api/v1/environments/{id}/exec/stream',
  'PUT /api/v1/environments/{id}/files/content',
  'POST /api/v1/environments/{id}/files/mkdir',
  'POST /api/v1/environments/{id}/files/move',
  'DELETE /api/v1/environments/{id}/files',
  'POST /api/v1/environments/{id}/files/archive',
  'PUT /api/v1/environments/{id}/ports/{port}/sharing',
  'POST /api/v1/environments/{id}/ports/{port}/grant',
  'POST /api/v1/environments/{id}/apply-template',
]);

const need = (key: string): 'read' | 'exec' | 'admin' => (key.startsWith('GET ') ? 'read' : EXEC.has(key) ? 'exec' : 'admin');
const allows = (scope: 'read' | 'exec' | 'admin', needed: 'read' | 'exec' | 'admin') => ['read', 'exec', 'admin'].indexOf(scope) >= ['read', 'exec', 'admin'].indexOf(needed);

beforeAll(async () => {
  server = await startTestServer();
  url = await server.app.listen({ host: '127.0.0.1', port: 0 });
  ({ caller: session } = await server.signUp('scoped', 'a-long-enough-password'));
  for (const scope of ['read', 'exec', 'admin'] as const) {
    const res = await session.post('/api/v1/tokens', { name: scope, scope });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json<CreatedToken>().scope).toBe(scope);
    tokens[scope] = res.json<CreatedToken>().token;
  }
  env = await runningEnvironment(server.withToken(tokens.exec));
}, 120_000);
afterAll(() => server?.close());

describe('a token of each scope, on every operation of the API document', () => {
  it('is refused with 403 token_scope exactly where its scope is too narrow, before its input is read', async () => {
    const doc = (await server.anonymous.get('/api/openapi.json')).json<OpenAPIV3_1.Document>();
    const keys = Object.entries(doc.paths ?? {}).flatMap(([path, ops]) => Object.keys(ops ?? {}).map((m) => `${m.toUpperCase()} ${path}`));
    expect(keys.length).toBeGreaterThan(60);
    const wrong: string[] = [];
    for (const key of keys) {
      const [method, path] = key.split(' ') as [string, string];
      // Ids of nothing (an allowed call changes nothing) and a bad body: a refusal must come before either is looked at.
      const target = path.replace('{id}', NOTHING).replace('{port}', '9').replace(/\{\w+\}/g, 'x');
      for (const scope of ['read', 'exec'] as const) {
        if (key === 'POST /api/v1/auth/logout' || key === 'POST /api/v1/me/password') continue; // a session's own, checked below
        const res = await server.app.inject({ method: method as 'GET', url: target, headers: { authorization: `Bearer ${tokens[scope]}`, 'content-type': 'application/json' }, payload: method === 'GET' ? undefined : '[]' });
        const refused = res.statusCode === 403 && res.json<{ code?: string }>().code === 'token_scope';
        if (refused === allows(scope, need(key))) wrong.push(`${key} as ${scope}: ${res.statusCode} ${res.body.slice(0, 100)}`);
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  it('keeps a terminal to exec tokens and events to every token (WebSocket upgrades)', async () => {
    const upgrade = async (path: string, scope: 'read' | 'exec') => (await upgradeRequest(url, `/api/v1/environments/${env.id}${path}`, { authorization: `Bearer ${tokens[scope]}` })).status;
    expect(await upgrade('/terminal', 'read')).toBe(403);
    expect(await upgrade('/terminal', 'exec')).toBe(101);
    expect(await upgrade('/events/ws', 'read')).toBe(101);
  });

  it('keeps the E2B API to exec tokens: a read key lists sandboxes, never makes one', async () => {
    const e2b = (scope: 'read' | 'exec', method: 'GET' | 'POST') =>
      server.app.inject({ method, url: '/sandboxes', headers: { 'x-api-key': tokens[scope], 'content-type': 'application/json' }, payload: method === 'POST' ? { templateID: 'no-such-template' } : undefined });
    expect((await e2b('read', 'GET')).statusCode).toBe(200);
    const refused = await e2b('read', 'POST');
    expect(refused.statusCode).toBe(403);
    expect(refused.json<{ message: string }>().message).toMatch(/scope is read/);
    expect((await e2b('exec', 'POST')).statusCode).toBe(404);
  });
});

describe('what each scope does for its user', () => {
  it('lets a read token look at an environment and read its files, not run anything in it', async () => {
    const read = server.withToken(tokens.read);
    expect((await read.get(`/api/v1/environments/${env.id}`)).statusCode).toBe(200);
    expect((await read.get(`/api/v1/environments/${env.id}/files?path=`)).statusCode).toBe(200);
    expectProblem(await read.post(`/api/v1/environments/${env.id}/exec`, { command: ['true'] }), 403, 'token_scope');
    expectProblem(await read.post(`/api/v1/environments/${env.id}/stop`), 403, 'token_scope');
  });

  it('lets an exec token run commands, not make tokens or change egress', async () => {
    const exec = server.withToken(tokens.exec);
    const ran = await exec.post(`/api/v1/environments/${env.id}/exec`, { command: ['echo', 'scoped'] });
    expect(ran.statusCode, ran.body).toBe(200);
    expect(ran.json<ExecResult>().stdout).toBe('scoped\n');
    expectProblem(await exec.post('/api/v1/tokens', { name: 'wider', scope: 'admin' }), 403, 'token_scope');
    expectProblem(await exec.put(`/api/v1/environments/${env.id}/egress`, { egress: 'none' }), 403, 'token_scope');
  });

  it('lists each token with its scope, and refuses a scope that does not exist', async () => {
    const list = (await session.get('/api/v1/tokens')).json<{ items: Token[] }>().items;
    expect(Object.fromEntries(list.map((t) => [t.name, t.scope]))).toMatchObject({ read: 'read', exec: 'exec', admin: 'admin' });
    expectProblem(await session.post('/api/v1/tokens', { name: 'x', scope: 'root' }), 400, 'validation_failed');
    const before = (await session.get('/api/v1/tokens')).json<{ items: Token[] }>().items.length;
    expect(before).toBe(list.length);
  });
});
