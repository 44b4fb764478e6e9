import type { LightMyRequestResponse } from 'fastify';
import type Docker from 'dockerode';
import { createBerth } from '../../packages/server/src/berth.js';
import { loadConfig, type Config } from '../../packages/server/src/config.js';
import { BERTH_COOKIE_NAMES } from '../../packages/server/src/http/auth.js';
import type { App } from '../../packages/server/src/http/types.js';
import type { Services } from '../../packages/server/src/services.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { TEST_IMAGE } from './images.js';
import { removeInstall } from './docker.js';

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
  return {
    request,
    get: (url, headers) => request('GET', url, undefined, headers),
    post: (url, body, headers) => request('POST', url, body, headers),
    put: (url, body, headers) => request('PUT', url, body, headers),
    patch: (url, body, headers) => request('PATCH', url, body, headers),
    delete: (url, headers) => request('DELETE', url, undefined, headers),
  };
}

/** A real Berth app on its own database: every test file gets one. */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const config = loadConfig({
    BERTH_ADMIN_USERNAME: ADMIN.username,
    BERTH_ADMIN_PASSWORD: ADMIN.password,
    BERTH_DEFAULT_IMAGE: TEST_IMAGE,
    BERTH_STOP_GRACE_SECONDS: '1',
    // Organizations settle quicker than in production, so tests of their lifecycle wait less.
    BERTH_ORG_RECONCILE_MS: '500',
    ...env,
  });
  const database = await createTestDatabase();
  // Wired as `berth server` is; nothing is logged, and the resync, idle and E2B timeout passes are
  // left to the tests that run them (on their own schedule, or by calling their `run`).
  const berth = await createBerth(config, { database, without: ['resync', 'idle', 'e2bExpiry'] });
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
      const res = await admin.post('/api/v1/users', { username, password, isAdmin });
      if (res.statusCode !== 201) throw new Error(`create user ${username} failed: ${res.statusCode} ${res.body}`);
      return res.json<{ id: string }>().id;
    },
    installId,
    async signUp(username, password) {
      const id = await server.createUser(username, password);
      return { id, caller: await server.login(username, password) };
    },
    async close() {
      await berth.stop();
      await removeInstall(docker, installId);
      // The networks are gone: so go their egress rules.
      await runtime.syncNetworks().catch(() => undefined);
      await database.dispose();
    },
  };
  return server;
}
