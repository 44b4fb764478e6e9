import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killProcess, startPeerProcess, type ServerProcess } from './support/process.js';
import { startTestServer, type TestServer } from './support/server.js';
import { TerminalClient } from './support/terminal.js';
import { runningEnvironment } from './support/wait.js';

/**
 * A terminal outlives the Berth process it went through: its shell is held inside the environment
 * (berth-hold), so when that process is killed outright, the client reconnects through another
 * process on the same database and finds the same shell, its scrollback first.
 */
describe('a terminal across Berth processes', () => {
  let server: TestServer;
  let base: string;
  let other: ServerProcess;
  let envId: string;
  const USER = { username: 'tom', password: 'tom-password-1234' };

  const cookieAt = async (url: string) => {
    const res = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: url }, body: JSON.stringify(USER) });
    return res.headers.get('set-cookie')!.split(';')[0]!;
  };
  const terminalAt = async (url: string) => TerminalClient.open(`${url.replace('http', 'ws')}/api/v1/environments/${envId}/terminal?session=kept`, { cookie: await cookieAt(url) });

  beforeAll(async () => {
    server = await startTestServer();
    base = await server.app.listen({ host: '127.0.0.1', port: 0 });
    await server.createUser(USER.username, USER.password);
    envId = (await runningEnvironment(await server.login(USER.username, USER.password))).id;
    other = await startPeerProcess(server.database.url);
  }, 120_000);
  afterAll(async () => {
    await killProcess(other);
    await server?.close();
  });

  it("keeps the shell and its scrollback when the process it went through is killed: another process re-attaches", async () => {
    const first = await terminalAt(other.url);
    await first.opened;
    first.type('MARK=kept-$((40+2)); cd /tmp; echo before-the-kill\n');
    await first.expect(/before-the-kill/);

    await killProcess(other);
    expect(await first.closed).toBe(1006);

    const second = await terminalAt(base);
    await second.opened;
    // The output from before the kill comes first, replayed by the shell's holder.
    await second.expect(/before-the-kill/);
    second.type('echo "mark=$MARK dir=$(pwd)"\n');
    // The same shell: what it was told before the kill, it still knows.
    await second.expect(/mark=kept-42 dir=\/tmp/);
    await second.close();
  }, 60_000);
});
