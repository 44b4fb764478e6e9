import { Sandbox, TimeoutError, type ConnectionOpts } from 'e2b';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngineProxy, type EngineProxy } from './support/engine-proxy.js';
import type { TestServer } from './support/server.js';
import { agentUser, startE2bServer } from './support/e2b.js';

/**
 * The `e2b` SDK against a Berth whose Docker engine answers slowly: a command
 * starts however long the engine takes, since nothing in the sandbox gives up
 * on a Berth that is still there.
 */
let server: TestServer;
let proxy: EngineProxy;
let opts: ConnectionOpts;

beforeAll(async () => {
  proxy = await startEngineProxy();
  const started = await startE2bServer({ DOCKER_HOST: `unix://${proxy.socketPath}` });
  server = started.server;
  const user = await agentUser(server, started.admin, 'slowpoke');
  opts = { apiKey: user.apiKey, apiUrl: started.url, sandboxUrl: started.url };
});

afterAll(async () => {
  await server?.close();
  await proxy?.close();
});

describe('a command on a slow engine', () => {
  it('starts when the engine takes longer than ten seconds to say the process runs', async () => {
    const sbx = await Sandbox.create(opts);
    // A first command: the holder is in place, so what follows is the start alone.
    expect((await sbx.commands.run('echo warm')).stdout).toBe('warm\n');
    // Berth hands a process its command once the engine has said it started (an exec's inspect).
    proxy.delay(/^GET \S*\/exec\/[^/ ]+\/json/, 12_000);
    try {
      const result = await sbx.commands.run('echo slow but there', { requestTimeoutMs: 55_000 });
      expect(result).toMatchObject({ exitCode: 0, stdout: 'slow but there\n' });
    } finally {
      proxy.delay();
    }
    await sbx.kill();
  });

  it('says a list of processes took too long rather than answering that there are none', async () => {
    const sbx = await Sandbox.create(opts);
    const sleeper = await sbx.commands.run('sleep 300', { background: true });
    // Listing is one exec of berth-hold, whose output is held back past its deadline of ten seconds.
    proxy.delayAnswers(/^POST \S*\/exec\/[^/ ]+\/start/, 11_000);
    try {
      const error = await sbx.commands.list().catch((err: unknown) => err);
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as Error).message).toMatch(/could not be listed within 10 s/);
    } finally {
      proxy.delayAnswers();
    }
    expect((await sbx.commands.list()).map((p) => p.pid)).toContain(sleeper.pid);
    await sleeper.kill();
    await sbx.kill();
  });
});
