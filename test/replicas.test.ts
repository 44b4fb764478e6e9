import type { Environment } from '@berth/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS_CHANNEL } from '../packages/server/src/control/event-bus.js';
import { cutListeners } from './support/database.js';
import { openSocket } from './support/live.js';
import { signedInCall, startPeerProcess, type ServerProcess } from './support/process.js';
import { startTestServer, type TestServer } from './support/server.js';
import type { TerminalClient } from './support/terminal.js';
import { runningEnvironment, waitFor } from './support/wait.js';

/**
 * Two Berth processes on one database: this test's server (A), whose reconcile worker is stopped,
 * and a `berth server` process (B) that does all the work. A follower of an environment's events on
 * A sees what B writes as it happens: B's wake-ups reach A through NOTIFY (nothing polls). Writers
 * of one file through either take turns: If-Match holds across them.
 */
describe('two Berth processes on one database', () => {
  let server: TestServer;
  let base: string;
  let other: ServerProcess;
  let env: Environment;
  let auth: Record<string, string>;
  const USER = { username: 'dana', password: 'dana-password-1234' };

  /** The statuses a follower was sent, in order. */
  const statuses = (follower: TerminalClient) => follower.messages.map((m) => (m as { status?: string }).status).filter(Boolean);
  const sees = (follower: TerminalClient, what: string, test: (seen: (string | undefined)[]) => boolean) => waitFor(what, async () => test(statuses(follower)), 30_000);

  beforeAll(async () => {
    server = await startTestServer();
    base = await server.app.listen({ host: '127.0.0.1', port: 0 });
    await server.createUser(USER.username, USER.password);
    const dana = await server.login(USER.username, USER.password);
    env = await runningEnvironment(dana);
    auth = { authorization: `Bearer ${(await dana.post('/api/v1/tokens', { name: 'follower' })).json<{ token: string }>().token}` };
    // From here on only B reconciles: whatever A's followers see, B wrote.
    await server.services.worker.stop();
    other = await startPeerProcess(server.database.url);
  }, 120_000);
  afterAll(async () => {
    other?.child.kill('SIGTERM');
    await other?.exited;
    await server?.close();
  });

  it("events reach a follower on A as B's worker writes them", async () => {
    const onA = openSocket(base, `/api/v1/environments/${env.id}/events/ws`, auth);
    await onA.opened;
    await sees(onA, 'the replay of what came before', (seen) => seen.includes('running'));
    const onB = await signedInCall(other, USER);
    expect((await onB('POST', `/environments/${env.id}/stop`)).status).toBe(202);
    await sees(onA, 'the stop B made', (seen) => seen.includes('stopped'));
    await onA.close();
  }, 60_000);

  it("events reach it also after A's LISTEN connection was cut and replaced", async () => {
    await cutListeners(server.database.db, EVENTS_CHANNEL, 2);

    const onA = openSocket(base, `/api/v1/environments/${env.id}/events/ws`, auth);
    await onA.opened;
    await sees(onA, 'the replay, ending stopped', (seen) => seen.at(-1) === 'stopped');
    const onB = await signedInCall(other, USER);
    expect((await onB('POST', `/environments/${env.id}/start`)).status).toBe(202);
    // The replay ended on "stopped": a "running" after it is B's, heard through the new connection.
    await sees(onA, 'the start B made', (seen) => seen.lastIndexOf('running') > seen.lastIndexOf('stopped'));
    await onA.close();
  }, 60_000);

  it('lets exactly one of two writers of a file with the same If-Match win, one through each process', async () => {
    await waitFor('the environment to run', async () => (await (await fetch(`${base}/api/v1/environments/${env.id}`, { headers: auth })).json() as Environment).status === 'running', 60_000);
    const write = (through: string, body: string, ifMatch?: string) =>
      fetch(`${through}/api/v1/environments/${env.id}/files/content?path=race.txt`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/octet-stream', ...(ifMatch ? { 'if-match': ifMatch } : {}) }, body });
    // One round could be won cleanly by luck; five make a lost update (two 200s) show.
    for (let round = 1; round <= 5; round++) {
      const etag = (await write(base, `round ${round}`)).headers.get('etag')!;
      const answers = await Promise.all([write(base, `round ${round}: A`, etag), write(other.url, `round ${round}: B`, etag)]);
      expect(answers.map((a) => a.status).sort(), `round ${round}`).toEqual([200, 412]);
      const winner = answers[0]!.status === 200 ? 'A' : 'B';
      const now = await fetch(`${base}/api/v1/environments/${env.id}/files/content?path=race.txt`, { headers: auth });
      expect(await now.text()).toBe(`round ${round}: ${winner}`);
    }
  }, 120_000);
});
