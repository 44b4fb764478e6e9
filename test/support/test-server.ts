import { afterAll, beforeAll } from 'vitest';
import { ADMIN, startTestServer, type Caller, type TestServer } from './server.js';

/** The password of the users `useTestServer` makes. */
export const USER_PASSWORD = 'a-long-enough-password';

export interface TestServerOptions<Name extends string> {
  /** Extra configuration for the server, as `startTestServer` takes it. */
  env?: Record<string, string>;
  /** Users to sign up (with USER_PASSWORD), in this order, once the admin is signed in. */
  users?: readonly Name[];
  /** Whether to sign the admin in; false leaves the server as it started (signing users up still signs the admin in). */
  admin?: boolean;
}

export interface TestServerHandles<Name extends string> {
  server: TestServer;
  /** The admin, signed in with a session cookie. */
  admin: Caller;
  /** A signed-in caller for each of `users`, by username. */
  users: Record<Name, Caller>;
  /** The users' ids by username, filled in by the time the file's own hooks run: read them there, not at the top. */
  ids: Record<Name, string>;
}

/**
 * A stand-in that reads through to what `current` returns once the hooks have filled it, so a
 * file can name its server and callers at the top and use them in its hooks and tests.
 */
function filledLater<T extends object>(what: string, current: () => T | undefined): T {
  return new Proxy({} as T, {
    get(_, key) {
      const value = current();
      if (value === undefined) throw new Error(`${what} is not there: useTestServer's beforeAll has not run, or was told not to make it`);
      return Reflect.get(value, key) as unknown;
    },
  });
}

/**
 * The setup most API test files share: a server of their own started in beforeAll with the admin
 * signed in (and `users` signed up), closed in afterAll. Call it at the top level of the file (or
 * of a describe), before the hooks that use what it returns.
 */
export function useTestServer<const Name extends string = never>(options: TestServerOptions<Name> = {}): TestServerHandles<Name> {
  const usernames = options.users ?? [];
  let server: TestServer | undefined;
  let admin: Caller | undefined;
  const callers = new Map<Name, Caller>();
  const ids = {} as Record<Name, string>;
  beforeAll(async () => {
    server = await startTestServer(options.env);
    if (options.admin !== false) admin = await server.login(ADMIN.username, ADMIN.password);
    for (const username of usernames) {
      const { id, caller } = await server.signUp(username, USER_PASSWORD);
      ids[username] = id;
      callers.set(username, caller);
    }
  });
  afterAll(() => server?.close());
  return {
    server: filledLater('the test server', () => server),
    admin: filledLater('the admin', () => admin),
    users: Object.fromEntries(usernames.map((username) => [username, filledLater(username, () => callers.get(username))])) as Record<Name, Caller>,
    ids,
  };
}
