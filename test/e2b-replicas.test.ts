import { CommandExitError, Sandbox, type ConnectionOpts } from 'e2b';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentUser, startE2bServer } from './support/e2b.js';
import { killProcess, startPeerProcess, type ServerProcess } from './support/process.js';
import type { TestServer } from './support/server.js';
import { waitFor } from './support/wait.js';

/**
 * A sandbox's processes outlive the Berth process they were started through: each is held inside
 * the environment (berth-hold), so when that process is killed outright, the unmodified `e2b` SDK,
 * pointed at another process on the same database, lists them, follows their output, feeds them
 * input and kills them.
 */
describe('sandbox processes across Berth processes', () => {
  let server: TestServer;
  let other: ServerProcess;
  let through: ConnectionOpts;
  let via: (url: string) => ConnectionOpts;

  beforeAll(async () => {
    const started = await startE2bServer();
    server = started.server;
    const agent = await agentUser(server, started.admin, 'rea');
    via = (url) => ({ apiKey: agent.apiKey, apiUrl: url, sandboxUrl: url });
    through = via(started.url);
    other = await startPeerProcess(server.database.url);
  }, 120_000);
  afterAll(async () => {
    await killProcess(other);
    await server?.close();
  });

  it('lists, follows, feeds and kills them through another process once the one that started them is killed', async () => {
    const first = await Sandbox.create({ ...via(other.url), timeoutMs: 120_000 });
    let ticks = '';
    // Bounded: it ends by itself after a minute at most.
    const ticker = await first.commands.run('i=0; while [ $i -lt 600 ]; do echo tick-$i; i=$((i+1)); sleep 0.1; done', { background: true, onStdout: (d) => void (ticks += d), timeoutMs: 0 });
    const reader = await first.commands.run('read line; echo "got $line"; exit 3', { background: true, stdin: true, timeoutMs: 0 });
    await waitFor('the first tick', async () => ticks.includes('tick-1\n'), 10_000);

    await killProcess(other);

    const again = await Sandbox.connect(first.sandboxId, through);

    const listed = await again.commands.list();
    expect(listed.map((p) => p.pid).sort()).toEqual([ticker.pid, reader.pid].sort());
    expect(listed.find((p) => p.pid === reader.pid)?.args).toEqual(['-l', '-c', 'read line; echo "got $line"; exit 3']);

    // Still ticking: its output reaches the new follower.
    let later = '';
    const followed = await again.commands.connect(ticker.pid, { onStdout: (d) => void (later += d), timeoutMs: 0 });
    await waitFor('ticks through the other process', async () => /tick-\d+\n.*tick-\d+\n/s.test(later), 10_000);
    const seen = Number(/tick-(\d+)/.exec(later)![1]);
    expect(seen).toBeGreaterThan(1);

    // Input to the process that waits for it, and its exit code, through the other process.
    let got = '';
    const answered = await again.commands.connect(reader.pid, { onStdout: (d) => void (got += d), timeoutMs: 0 });
    await again.commands.sendStdin(reader.pid, 'from-the-survivor\n');
    const error = await answered.wait().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CommandExitError);
    expect((error as CommandExitError).exitCode).toBe(3);
    expect(got).toBe('got from-the-survivor\n');

    expect(await again.commands.kill(ticker.pid)).toBe(true);
    const killed = await followed.wait().catch((err: unknown) => err);
    expect((killed as CommandExitError).exitCode).toBe(-1);
    expect(await again.commands.list()).toEqual([]);
    await again.kill();
  }, 90_000);

  it("never reaches another sandbox's processes by their pid", async () => {
    const mine = await Sandbox.create({ ...through, timeoutMs: 60_000 });
    const theirs = await Sandbox.create({ ...through, timeoutMs: 60_000 });
    const held = await mine.commands.run('sleep 60', { background: true, timeoutMs: 0 });
    expect((await theirs.commands.list()).map((p) => p.pid)).not.toContain(held.pid);
    expect(await theirs.commands.kill(held.pid)).toBe(false);
    await expect(theirs.commands.connect(held.pid)).rejects.toThrow();
    expect((await mine.commands.list()).map((p) => p.pid)).toContain(held.pid);
    expect(await held.kill()).toBe(true);
    await held.wait().catch(() => undefined);
    await mine.kill();
    await theirs.kill();
  }, 60_000);
});
