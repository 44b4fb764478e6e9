import type { Environment } from '@berth/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type Caller, type TestServer } from './support/server.js';
import { startEngineProxy, type EngineProxy } from './support/engine-proxy.js';
import { TerminalClient } from './support/terminal.js';
import { runningEnvironment, waitFor, waitForStatus } from './support/wait.js';

// Closed sessions stay alive for their grace period and count: this file opens 7 on one environment.
const MAX_TERMINALS = 8;
let server: TestServer;
let base: string;
let ada: Caller;
let adaCookie: string;
let bobCookie: string;
let env: Environment;

async function cookieFor(username: string, password: string, at = base): Promise<string> {
  const res = await fetch(`${at}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: at }, body: JSON.stringify({ username, password }) });
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

const terminal = (id: string, query: string, cookie = adaCookie, at = base) => TerminalClient.open(`${at.replace('http', 'ws')}/api/v1/environments/${id}/terminal?${query}`, { cookie });

/** Pid and command line of every process in the environment. */
async function processes(on: TestServer, envId: string): Promise<string> {
  const ps = await on.services.runtime.exec(envId, { argv: ['ps', '-o', 'pid,args'], timeoutMs: 10_000, maxOutputBytes: 100_000 });
  expect(ps.exitCode).toBe(0);
  return ps.stdout;
}

const listsPid = (ps: string, pid: string) => new RegExp(`^\\s*${pid}\\s`, 'm').test(ps);

beforeAll(async () => {
  server = await startTestServer({ BERTH_TERMINAL_MAX_PER_ENVIRONMENT: String(MAX_TERMINALS), BERTH_TERMINAL_GRACE_SECONDS: '60' });
  base = await server.app.listen({ host: '127.0.0.1', port: 0 });
  await server.createUser('ada', 'ada-password-1234');
  await server.createUser('bob', 'bob-password-1234');
  ada = await server.login('ada', 'ada-password-1234');
  adaCookie = await cookieFor('ada', 'ada-password-1234');
  bobCookie = await cookieFor('bob', 'bob-password-1234');
  env = (await ada.post('/api/v1/environments', { type: 'small', name: 'shell' })).json<Environment>();
  await waitForStatus(ada, env.id, 'running');
});
afterAll(() => server.close());

describe('terminal over WebSocket', () => {
  it('runs a login shell in /workspace with TERM=xterm-256color and echoes what is typed', async () => {
    const t = terminal(env.id, 'session=basic');
    await t.opened;
    t.type('echo "sum=$((2+3)) term=$TERM dir=$(pwd)"\n');
    await t.expect(/sum=5 term=xterm-256color dir=\/workspace/);
    await t.close();
  });

  it('applies resize messages to the terminal size', async () => {
    const t = terminal(env.id, 'session=sized&cols=90&rows=30');
    await t.opened;
    t.type('stty size\n');
    await t.expect(/30 90/);
    t.control({ type: 'resize', cols: 132, rows: 43 });
    t.type('stty size\n');
    await t.expect(/43 132/);
    await t.close();
  });

  it('re-attaches to the same shell after a dropped connection, replaying recent output first', async () => {
    const first = terminal(env.id, 'session=keep');
    await first.opened;
    first.type('MARK=kept-$((40+2)); echo before-drop\n');
    await first.expect(/before-drop\r?\n/);
    first.socket.terminate(); // a network drop, not a goodbye
    await first.closed;

    const again = terminal(env.id, 'session=keep');
    await again.opened;
    await again.expect(/before-drop/); // the scrollback arrives before anything new
    again.type('echo "mark=$MARK"\n');
    await again.expect(/mark=kept-42/);
    await again.close();

    const other = terminal(env.id, 'session=fresh');
    await other.opened;
    other.type('echo "mark=[$MARK]"\n');
    await other.expect(/mark=\[\]/);
    await other.close();
  });

  it('tells the client the exit code when the shell exits, and closes', async () => {
    const t = terminal(env.id, 'session=leaving');
    await t.opened;
    t.type('exit 7\n');
    expect(await t.closed).toBe(1000);
    expect(t.messages).toContainEqual({ type: 'exit', code: 7 });
  });

  it('answers an invalid control message with an error message and keeps the shell', async () => {
    const t = terminal(env.id, 'session=sturdy');
    await t.opened;
    t.control({ type: 'resize', cols: 100_000, rows: 10 });
    t.socket.send('not json');
    await waitFor('two errors', async () => t.messages.filter((m) => m.type === 'error').length === 2);
    expect(t.messages[0]).toMatchObject({ type: 'error', code: 'validation_failed' });
    t.type('echo still-here\n');
    await t.expect(/still-here/);
    await t.close();
  });

  it('counts typing as activity', async () => {
    const before = (await ada.get(`/api/v1/environments/${env.id}`)).json<Environment>().lastActivityAt;
    const t = terminal(env.id, 'session=busy');
    await t.opened;
    t.type('true\n');
    await waitFor('lastActivityAt to move', async () => (await ada.get(`/api/v1/environments/${env.id}`)).json<Environment>().lastActivityAt !== before);
    await t.close();
  });
});

describe('terminal refusals', () => {
  it("answers 404 before the upgrade for someone else's environment", async () => {
    const t = terminal(env.id, 'session=intruder', bobCookie);
    await expect(t.opened).rejects.toMatchObject({ statusCode: 404 });
  });

  it('answers 401 without credentials and 400 for bad sizes or session ids', async () => {
    await expect(TerminalClient.open(`${base.replace('http', 'ws')}/api/v1/environments/${env.id}/terminal`, {}).opened).rejects.toMatchObject({ statusCode: 401 });
    await expect(terminal(env.id, 'cols=0').opened).rejects.toMatchObject({ statusCode: 400 });
    await expect(terminal(env.id, 'rows=99999').opened).rejects.toMatchObject({ statusCode: 400 });
    await expect(terminal(env.id, 'session=../../etc').opened).rejects.toMatchObject({ statusCode: 400 });
  });

  it('opens at most the limit of terminals per environment when 100 are opened at once, and keeps working', async () => {
    const own = (await ada.post('/api/v1/environments', { type: 'small', name: 'crowded' })).json<Environment>();
    await waitForStatus(ada, own.id, 'running');
    const clients = Array.from({ length: 100 }, (_, i) => terminal(own.id, `session=s${i}`));
    const results = await Promise.allSettled(clients.map(async (c) => {
      await c.opened;
      // Past the limit, a socket that slipped through the first check is told why and closed with 4429.
      return Promise.race([c.closed.then((code) => `closed ${code}`), c.expect(/\$|#/, 20_000).then(() => 'shell')]);
    }));
    const shells = results.filter((r) => r.status === 'fulfilled' && r.value === 'shell').length;
    const refused = results.filter((r) => (r.status === 'rejected' && (r.reason as { statusCode?: number }).statusCode === 429) || (r.status === 'fulfilled' && r.value === 'closed 4429')).length;
    expect(shells).toBe(MAX_TERMINALS);
    expect(refused).toBe(100 - MAX_TERMINALS);
    expect((await ada.get('/healthz')).statusCode).toBe(200);
    await Promise.all(clients.map((c) => c.socket.readyState === c.socket.OPEN ? c.close() : undefined));
  }, 60_000);

  it('answers 409 environment_not_running for a stopped environment', async () => {
    const stopped = (await ada.post('/api/v1/environments', { type: 'small', name: 'sleepy' })).json<Environment>();
    await waitForStatus(ada, stopped.id, 'running');
    await ada.post(`/api/v1/environments/${stopped.id}/stop`);
    await waitForStatus(ada, stopped.id, 'stopped');
    await expect(terminal(stopped.id, 'session=x').opened).rejects.toMatchObject({ statusCode: 409 });
  });
});

describe('ending terminal sessions', () => {
  // A server of its own with a short grace period: the tests above need shells to outlive a dropped connection.
  let quick: TestServer;
  let quickBase: string;
  let cookie: string;
  let envId: string;

  beforeAll(async () => {
    quick = await startTestServer({ BERTH_TERMINAL_GRACE_SECONDS: '1' });
    quickBase = await quick.app.listen({ host: '127.0.0.1', port: 0 });
    const { caller } = await quick.signUp('cy', 'cy-password-12345');
    cookie = await cookieFor('cy', 'cy-password-12345', quickBase);
    envId = (await runningEnvironment(caller)).id;
  });
  afterAll(() => quick?.close());

  /** A shell that started `sleep <seconds>` in the background: its pid, once both run. */
  async function shellWithChild(t: TerminalClient, seconds: number): Promise<string> {
    await t.opened;
    t.type(`sleep ${seconds} & echo "shell=$$"\n`);
    const [, pid] = await t.expect(/shell=(\d+)/);
    await waitFor(`the shell and sleep ${seconds} to run`, async () => {
      const ps = await processes(quick, envId);
      return listsPid(ps, pid!) && ps.includes(`sleep ${seconds}`);
    });
    return pid!;
  }

  it('kills the shell and what it started once the grace period after the last client has passed', async () => {
    const t = terminal(envId, 'session=leaver', cookie, quickBase);
    const pid = await shellWithChild(t, 777);
    await t.close();

    await waitFor('the shell and its sleep to be gone', async () => {
      const ps = await processes(quick, envId);
      return !listsPid(ps, pid) && !ps.includes('sleep 777');
    }, 15_000);
    expect(quick.services.terminals.count()).toBe(0);
  });

  it('kills every shell and what it started when the server closes its terminals', async () => {
    const t = terminal(envId, 'session=shutdown', cookie, quickBase);
    const pid = await shellWithChild(t, 778);

    await quick.services.terminals.closeAll();
    expect(await t.closed).toBe(1001);
    // closeAll() resolves once they are gone: no waiting here.
    const ps = await processes(quick, envId);
    expect(listsPid(ps, pid)).toBe(false);
    expect(ps).not.toContain('sleep 778');
  });
});

describe('terminals per user', () => {
  // A server of its own with a cap of 3 per user, well under the per-environment cap.
  let capped: TestServer;
  let cappedBase: string;
  const cookies: Record<string, string> = {};
  const envs: Record<string, string[]> = {};

  beforeAll(async () => {
    capped = await startTestServer({ BERTH_TERMINAL_MAX_PER_USER: '3', BERTH_TERMINAL_MAX_PER_ENVIRONMENT: '8' });
    cappedBase = await capped.app.listen({ host: '127.0.0.1', port: 0 });
    for (const name of ['dee', 'eve']) {
      const { caller } = await capped.signUp(name, `${name}-password-12345`);
      cookies[name] = await cookieFor(name, `${name}-password-12345`, cappedBase);
      envs[name] = name === 'dee' ? [(await runningEnvironment(caller, { type: 'small', name: 'one' })).id, (await runningEnvironment(caller, { type: 'small', name: 'two' })).id] : [(await runningEnvironment(caller)).id];
    }
  });
  afterAll(() => capped?.close());

  const open = async (user: string, envId: string, session: string) => {
    const t = terminal(envId, `session=${session}`, cookies[user], cappedBase);
    await t.opened;
    await t.expect(/\$|#/, 20_000);
    return t;
  };

  it('counts terminals across all of a user\'s environments: the 4th is refused with 429 terminal_limit, on either one', async () => {
    const [one, two] = envs.dee!;
    const open3 = [await open('dee', one!, 'a'), await open('dee', one!, 'b'), await open('dee', two!, 'c')];
    await expect(terminal(two!, 'session=d', cookies.dee, cappedBase).opened).rejects.toMatchObject({ statusCode: 429 });
    await expect(terminal(one!, 'session=e', cookies.dee, cappedBase).opened).rejects.toMatchObject({ statusCode: 429 });
    // Attaching again to a shell that exists costs nothing new.
    const again = await open('dee', one!, 'a');
    // Another user is not held by dee's count.
    const eve = await open('eve', envs.eve![0]!, 'x');
    await Promise.all([...open3, again, eve].map((t) => t.close()));
  });
});

describe('a terminal on a slow engine', () => {
  let slow: TestServer;
  let proxy: EngineProxy;
  let slowBase: string;
  let cookie: string;
  let envId: string;

  beforeAll(async () => {
    proxy = await startEngineProxy();
    slow = await startTestServer({ DOCKER_HOST: `unix://${proxy.socketPath}` });
    slowBase = await slow.app.listen({ host: '127.0.0.1', port: 0 });
    const { caller } = await slow.signUp('dee', 'dee-password-12345');
    cookie = await cookieFor('dee', 'dee-password-12345', slowBase);
    envId = (await runningEnvironment(caller)).id;
  });
  afterAll(async () => {
    await slow?.close();
    await proxy?.close();
  });

  it('runs what is typed after a resize only once the shell has the new size, however slow the engine applies it', async () => {
    const t = terminal(envId, 'session=slow&cols=90&rows=30', cookie, slowBase);
    await t.opened;
    t.type('stty size\n');
    await t.expect(/30 90/);
    proxy.delay(/^POST \S*\/exec\/[^/ ]+\/resize/, 1500);
    t.control({ type: 'resize', cols: 132, rows: 43 });
    t.type('stty size\n');
    await t.expect(/43 132/);
    expect(t.output.match(/30 90/g)).toHaveLength(1);
    await t.close();
  });

  it('gives a new shell the size it was opened at even when the engine gives up resizing its end', async () => {
    // What the engine answers a resize of a process that took it more than 10 s to start.
    proxy.refuse(/^POST \S*\/exec\/[^/ ]+\/resize/, 'timeout waiting for exec session ready');
    try {
      const t = terminal(envId, 'session=unsized&cols=90&rows=30', cookie, slowBase);
      await t.opened;
      t.type('stty size\n');
      await t.expect(/^\d+ \d+\r?$/m);
      expect(t.output).toMatch(/^30 90\r?$/m);
      await t.close();
    } finally {
      proxy.refuse();
    }
  });
});
