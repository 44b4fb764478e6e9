import { createClient, type BerthClient } from '@berth/client';
import type { LightMyRequestResponse } from 'fastify';
import type Docker from 'dockerode';
import { createBerth, type BerthOptions } from '../../packages/server/src/berth.js';
import { loadConfig, type Config } from '../../packages/server/src/config.js';
import { BERTH_COOKIE_NAMES } from '../../packages/server/src/http/auth.js';
import { declaredProblems } from '../../packages/server/src/http/route.js';
import type { App } from '../../packages/server/src/http/types.js';
import type { Services } from '../../packages/server/src/services.js';
import type { RuntimeClass } from '@berth/contracts';
import { createTestDatabase, type TestDatabase } from './database.js';
import { TEST_IMAGE } from './images.js';
import { removeInstall } from './docker.js';
import { testLogger } from './recent-log.js';
import { checkRuntimeClasses } from './runtime-class.js';

export const ADMIN = { username: 'admin', password: 'admin-password-for-tests' };
/** The origin of inject() requests (their default Host is localhost:80). */
export const ORIGIN = 'http://localhost';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Caller {
  request(method: Method, url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  post(url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  put(url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  patch(url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  delete(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** The typed client (@berth/client) with this caller's credentials, its requests injected into the app. */
  api: BerthClient;
  /** fetch() over inject(), with this caller's credentials: for a client of one's own (another organization). */
  fetch: typeof fetch;
}

export interface TestServer {
  app: App;
  database: TestDatabase;
  services: Services;
  docker: Docker;
  /** Labels every Docker object this server creates. */
  installId: string;
  config: Config;
  /** No credentials at all. */
  anonymous: Caller;
  /** Every refusal the API answered, with the route table entry it came from; close() fails on any its entry does not declare. */
  problems: { route: string | undefined; code: string }[];
  /** Signs in through the API and returns a caller that sends the session cookie (and our Origin). */
  login(username: string, password: string): Promise<Caller>;
  /** A caller authenticating with `Authorization: Bearer`. */
  withToken(token: string): Caller;
  /** Creates a user through the admin API and returns its id. */
  createUser(username: string, password?: string, isAdmin?: boolean): Promise<string>;
  /** Creates a user and signs them in: their id and a cookie caller. */
  signUp(username: string, password: string): Promise<{ id: string; caller: Caller }>;
  close(): Promise<void>;
}

function caller(app: App, base: Record<string, string>): Caller {
  const request = (method: Method, url: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method,
      url,
      headers: { ...base, ...(method === 'GET' ? {} : base.cookie ? { origin: ORIGIN } : {}), ...headers },
      ...(body === undefined ? {} : { payload: body as object }),
    });
  // What fetch would have sent, handed to inject(): the client runs unchanged, without a listening socket.
  const inject: typeof fetch = async (input, init = {}) => {
    const method = (init.method ?? 'GET') as Method;
    const url = new URL(String(input));
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const body = init.body === undefined || init.body === null ? undefined : typeof init.body === 'string' ? init.body : Buffer.from(await new Response(init.body).arrayBuffer());
    const res = await app.inject({ method, url: url.pathname + url.search, headers: { ...base, ...(method === 'GET' || !base.cookie ? {} : { origin: ORIGIN }), ...headers }, ...(body === undefined ? {} : { payload: body }) });
    const answer = new Headers();
    for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) answer.set(name, String(value));
    return new Response(res.statusCode === 204 ? null : res.rawPayload, { status: res.statusCode, headers: answer });
  };
  return {
    request,
    api: createClient({ baseUrl: ORIGIN, fetch: inject }),
    fetch: inject,
    get: (url, headers) => request('GET', url, undefined, headers),
    post: (url, body, headers) => request('POST', url, body, headers),
    put: (url, body, headers) => request('PUT', url, body, headers),
    patch: (url, body, headers) => request('PATCH', url, body, headers),
    delete: (url, headers) => request('DELETE', url, undefined, headers),
  };
}

/**
 * The runtime class a file's environments run under: `standard` unless the file runs a suite again
 * sandboxed (test/sandboxed/, support/runtime-class.ts). Its E2B sandboxes and run_code follow it too.
 */
export const testRuntimeClass = (): RuntimeClass => (process.env.BERTH_TEST_RUNTIME_CLASS === 'sandboxed' ? 'sandboxed' : 'standard');

/** A real Berth app on its own database: every test file gets one. */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const config = loadConfig({
    BERTH_ADMIN_USERNAME: ADMIN.username,
    BERTH_ADMIN_PASSWORD: ADMIN.password,
    BERTH_DEFAULT_IMAGE: TEST_IMAGE,
    BERTH_STOP_GRACE_SECONDS: '1',
    // Organizations settle quicker than in production, so tests of their lifecycle wait less.
    BERTH_ORG_RECONCILE_MS: '500',
    BERTH_UNTRUSTED_RUNTIME_CLASS: testRuntimeClass(),
    ...env,
  });
  const database = await createTestDatabase();
  // Wired as `berth server` is; warnings and errors are kept to be printed when a test fails (or, with
  // BERTH_TEST_LOG naming a level, go to stderr: support/recent-log.ts), and the resync, idle and E2B timeout passes are
  // left to the tests that run them (on their own schedule, or by calling their `run`).
  // Every refusal the API answers is held against the route table's problems for its route.
  const undeclared = new Set<string>();
  const problems: TestServer['problems'] = [];
  const onProblem: BerthOptions['onProblem'] = ({ route, code, method, url }) => {
    problems.push({ route, code });
    if (route && !declaredProblems(route).has(code)) undeclared.add(`${route} (${method} ${url}) answered ${code}, which its entry in ROUTES does not declare`);
  };
  const log = testLogger();
  const berth = await createBerth(config, { database, without: ['resync', 'idle', 'e2bExpiry'], onProblem, log });
  const { app, services, runtime, docker, installId } = berth;
  await berth.start();

  const anonymous = caller(app, {});
  const server: TestServer = {
    app,
    database,
    services,
    docker,
    config,
    anonymous,
    problems,
    async login(username, password) {
      const res = await anonymous.post('/api/v1/auth/login', { username, password });
      if (res.statusCode !== 200) throw new Error(`login as ${username} failed: ${res.statusCode} ${res.body}`);
      // `berth_session`, or `__Host-berth_session` when the server is reached over https.
      const session = res.cookies.find((c) => BERTH_COOKIE_NAMES.includes(c.name));
      return caller(app, { cookie: `${session!.name}=${session!.value}` });
    },
    withToken: (token) => caller(app, { authorization: `Bearer ${token}` }),
    async createUser(username, password = 'a-long-enough-password', isAdmin = false) {
      const admin = await server.login(ADMIN.username, ADMIN.password);
      return (await admin.api.call('users.create', { body: { username, password, isAdmin } })).id;
    },
    installId,
    async signUp(username, password) {
      const id = await server.createUser(username, password);
      return { id, caller: await server.login(username, password) };
    },
    async close() {
      await berth.stop();
      if (testRuntimeClass() === 'sandboxed') await checkRuntimeClasses(database, docker, installId, config.sandboxedRuntime);
      await removeInstall(docker, installId);
      // The networks are gone: so go their egress rules.
      await runtime.syncNetworks().catch(() => undefined);
      await database.dispose();
      if (undeclared.size > 0) throw new Error(`Refusals the route table does not declare:\n${[...undeclared].join('\n')}`);
    },
  };
  // A suite run sandboxed: an administrator marks every machine type so, through the API, as one would.
  if (testRuntimeClass() === 'sandboxed') {
    const admin = await server.login(ADMIN.username, ADMIN.password);
    const { items } = await admin.api.call('machineTypes.list', {});
    for (const { name } of items) await admin.api.call('machineTypes.update', { params: { name }, body: { runtimeClass: 'sandboxed' } });
  }
  return server;
}
