import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { Sandbox, type OutputMessage } from '@e2b/code-interpreter';
import type { ConnectionOpts } from 'e2b';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODE_INTERPRETER_IMAGE } from '../packages/server/src/runtime/docker/images.js';
import { agentUser, startE2bServer } from './support/e2b.js';
import { readmeBlock } from './support/readme.js';
import type { Caller, TestServer } from './support/server.js';

/**
 * The unmodified @e2b/code-interpreter SDK against a real Berth: its default
 * template (`code-interpreter-v1`) runs Berth's code interpreter image, and
 * every call goes through Berth (E2b-Sandbox-Port: 49999), authorized as envd's are.
 */
let server: TestServer;
let url: string;
let alice: ConnectionOpts;
let bob: ConnectionOpts;
let sbx: Sandbox;
let admin: Caller;

beforeAll(async () => {
  ({ server, url, admin } = await startE2bServer());
  alice = { apiKey: (await agentUser(server, admin, 'alice')).apiKey, apiUrl: url, sandboxUrl: url };
  bob = { apiKey: (await agentUser(server, admin, 'bob')).apiKey, apiUrl: url, sandboxUrl: url };
  // The first run on a machine builds the image (Jupyter and matplotlib from Debian): minutes, once,
  // which is what `berth build-image berth/code-interpreter:1` is for; the SDK's create waits 60 s at most.
  await server.services.runtime.ensureImage(CODE_INTERPRETER_IMAGE, () => undefined);
  sbx = await Sandbox.create({ ...alice, timeoutMs: 600_000 });
}, 900_000);

afterAll(async () => {
  await sbx?.kill().catch(() => undefined);
  await server?.close();
});

describe('the README', () => {
  it("runs its code interpreter script unchanged with the three variables, printing what it says", async () => {
    // Inside the repository, so the import resolves as it does in a project that installed the SDK.
    const file = path.resolve('test-artifacts/readme-interpreter.mjs');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, await readmeBlock('### The code interpreter', 'js'));
    const { stdout } = await promisify(execFile)(process.execPath, [file], {
      env: { PATH: process.env.PATH, E2B_API_KEY: alice.apiKey, E2B_API_URL: url, E2B_SANDBOX_URL: url },
      timeout: 120_000,
    });
    expect(stdout).toBe("area 12.566370614359172\nchart [ 'png' ]\njs [ 2, 4, 6 ]\n");
  }, 150_000);
});

describe('the code interpreter through @e2b/code-interpreter', () => {
  it('keeps Python state across calls and answers the last expression as the main result', async () => {
    // Right after create: Berth waits for the interpreter inside to listen.
    const first = await sbx.runCode('x = 40\nprint("set x")');
    expect(first.logs.stdout).toEqual(['set x\n']);
    expect(first.error).toBeUndefined();
    const second = await sbx.runCode('x + 2');
    expect(second.text).toBe('42');
    expect(second.results[0]).toMatchObject({ isMainResult: true, text: '42' });
  });

  it('streams stdout to onStdout while the code still runs', async () => {
    const seen: { line: string; at: number }[] = [];
    const execution = await sbx.runCode('import time\nprint("early", flush=True)\ntime.sleep(1.5)\nprint("late")', {
      onStdout: (m: OutputMessage) => void seen.push({ line: m.line, at: Date.now() }),
    });
    const ended = Date.now();
    expect(seen.map((s) => s.line)).toEqual(['early\n', 'late\n']);
    // The first line arrived before the sleep ended, not with the rest at the end.
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThan(1000);
    expect(ended).toBeGreaterThanOrEqual(seen[1]!.at);
    expect(execution.logs.stdout).toEqual(['early\n', 'late\n']);
  });

  it('answers a matplotlib chart as a PNG result, and JSON and HTML as their MIME types', async () => {
    const chart = await sbx.runCode('import matplotlib.pyplot as plt\nplt.plot([1, 2, 3], [1, 4, 9])\nplt.show()');
    const png = chart.results.find((r) => r.png);
    expect(png, JSON.stringify(chart.results.map((r) => r.formats()))).toBeDefined();
    expect(Buffer.from(png!.png!, 'base64').subarray(1, 4).toString()).toBe('PNG');
    const rich = await sbx.runCode('from IPython.display import JSON, HTML, display\ndisplay(HTML("<b>bold</b>"))\nJSON({"a": 1})');
    expect(rich.results.find((r) => r.html)?.html).toBe('<b>bold</b>');
    expect(rich.results.find((r) => r.isMainResult)?.json).toEqual({ a: 1 });
  });

  it('reports an exception with its name, value and traceback, and runs on afterwards', async () => {
    const failed = await sbx.runCode('def boom():\n    raise ValueError("bad value")\nboom()');
    expect(failed.error).toMatchObject({ name: 'ValueError', value: 'bad value' });
    // IPython's traceback, colours (ANSI escapes) included, as E2B's interpreter sends it.
    const plain = failed.error!.traceback.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
    expect(plain).toMatch(/----> 3 boom\(\)[\s\S]*raise ValueError\("bad value"\)[\s\S]*ValueError: bad value/);
    expect((await sbx.runCode('1 + 1')).text).toBe('2');
  });

  it('sets env vars for one run only', async () => {
    const run = await sbx.runCode('import os\nprint(os.environ.get("BERTH_TEST_VAR"))', { envs: { BERTH_TEST_VAR: 'only-now' } });
    expect(run.logs.stdout).toEqual(['only-now\n']);
    expect((await sbx.runCode('import os\nprint(os.environ.get("BERTH_TEST_VAR"))')).logs.stdout).toEqual(['None\n']);
  });

  it('runs JavaScript in a context of its own, keeping its state', async () => {
    const js = await sbx.createCodeContext({ language: 'js' });
    expect(js).toMatchObject({ language: 'javascript' });
    const first = await sbx.runCode('const greeting = "hi"; console.log(greeting + " from node"); 6 * 7', { context: js });
    expect(first.logs.stdout).toEqual(['hi from node\n']);
    expect(first.text).toBe('42');
    expect((await sbx.runCode('greeting.toUpperCase()', { context: js })).text).toBe("'HI'");
    const thrown = await sbx.runCode('null.x', { context: js });
    expect(thrown.error).toMatchObject({ name: 'TypeError' });
  });

  it('lists, restarts (forgetting state) and removes contexts', async () => {
    const ctx = await sbx.createCodeContext({ language: 'python', cwd: '/tmp' });
    expect((await sbx.runCode('import os\nkept = 1\nos.getcwd()', { context: ctx })).text).toBe("'/tmp'");
    expect((await sbx.listCodeContexts()).map((c) => c.id)).toContain(ctx.id);
    await sbx.restartCodeContext(ctx);
    const after = await sbx.runCode('kept', { context: ctx });
    expect(after.error).toMatchObject({ name: 'NameError' });
    await sbx.removeCodeContext(ctx);
    expect((await sbx.listCodeContexts()).map((c) => c.id)).not.toContain(ctx.id);
  });

  it("refuses another user's sandbox: bob cannot connect to it, and its ports do not open without its tokens", async () => {
    await expect(Sandbox.connect(sbx.sandboxId, bob)).rejects.toThrow();
    const execute = (headers: Record<string, string>) =>
      fetch(`${url}/execute`, { method: 'POST', headers: { 'content-type': 'application/json', 'e2b-sandbox-id': sbx.sandboxId, 'e2b-sandbox-port': '49999', ...headers }, body: JSON.stringify({ code: '1' }) });
    expect((await execute({})).status).toBe(401);
    expect((await execute({ 'x-access-token': 'not-the-token', 'e2b-traffic-access-token': 'nor-this' })).status).toBe(401);
    // Bob's own sandbox's tokens do not open Alice's.
    const bobs = await Sandbox.create({ ...bob, timeoutMs: 120_000 });
    try {
      const info = (await (await fetch(`${url}/sandboxes/${bobs.sandboxId}`, { headers: { 'x-api-key': bob.apiKey! } })).json()) as { envdAccessToken: string; trafficAccessToken: string };
      expect((await execute({ 'x-access-token': info.envdAccessToken })).status).toBe(401);
      expect((await execute({ 'e2b-traffic-access-token': info.trafficAccessToken })).status).toBe(401);
    } finally {
      await bobs.kill();
    }
  });

  it("closes a sandbox's ports, tokens and all, when its owner is deactivated", async () => {
    const cy = await agentUser(server, admin, 'cy');
    const theirs = await Sandbox.create({ apiKey: cy.apiKey, apiUrl: url, sandboxUrl: url, timeoutMs: 120_000 });
    expect((await theirs.runCode('1 + 1')).text).toBe('2');
    const info = (await (await fetch(`${url}/sandboxes/${theirs.sandboxId}`, { headers: { 'x-api-key': cy.apiKey } })).json()) as { envdAccessToken: string; trafficAccessToken: string };
    expect((await admin.patch(`/api/v1/users/${cy.id}`, { active: false })).statusCode).toBe(200);
    const contexts = await fetch(`${url}/contexts`, { headers: { 'e2b-sandbox-id': theirs.sandboxId, 'e2b-sandbox-port': '49999', 'x-access-token': info.envdAccessToken, 'e2b-traffic-access-token': info.trafficAccessToken } });
    expect(contexts.status).toBe(401);
    // A sandbox and its first kernel from cold: under gVisor (test/sandboxed/) that alone can take half a minute.
  }, 90_000);
});
