import type { AuditEntry, Environment, ExecResult, ExecStreamLine } from '@berth/contracts';
import { beforeAll, describe, expect, it } from 'vitest';
import { containerName } from '../packages/server/src/runtime/docker/labels.js';
import { expectProblem } from './support/problem.js';
import { useTestServer } from './support/test-server.js';
import { MIB, rss, stalledRequest, untilStalledOrPast } from './support/stalled.js';
import { runningEnvironment, waitFor, waitForStatus } from './support/wait.js';

/** The per-stream output cap this file's server runs with. */
const MAX_OUTPUT_BYTES = 1000;
/** What a command with a client that reads nothing may get out before it is held (kernel and socket buffers), in MiB. */
const HELD_MIB = 64;
/** Far more than that: what an unheld command gets out in a second or two. */
const FLOOD_MIB = 512;
/** How far the server's memory may grow meanwhile (the output it would otherwise hold is many times this). */
const RSS_BOUND = 64 * MIB;

const {
  server,
  admin,
  users: { 'exec-owner': owner, 'exec-stranger': stranger },
  ids,
} = useTestServer({ env: { BERTH_EXEC_MAX_OUTPUT_BYTES: String(MAX_OUTPUT_BYTES) }, users: ['exec-owner', 'exec-stranger'] });
let envId: string;

beforeAll(async () => {
  // Room for the shared environment plus the ones single tests make.
  expect((await admin.patch(`/api/v1/users/${ids['exec-owner']}/quota`, { credits: 10 })).statusCode).toBe(200);
  envId = await runningId();
});

const runningId = async () => (await runningEnvironment(owner)).id;

async function exec(body: Record<string, unknown>, id = envId, caller = owner): Promise<ExecResult> {
  const res = await caller.post(`/api/v1/environments/${id}/exec`, body);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<ExecResult>();
}

/** Command lines of the processes in the environment whose arguments match `pattern` (busybox ps prints full command lines). */
async function processesMatching(pattern: RegExp): Promise<string[]> {
  const ps = await exec({ command: ['ps'] });
  expect(ps).toMatchObject({ exitCode: 0, truncated: false });
  return ps.stdout.split('\n').filter((line) => pattern.test(line));
}

describe('POST /api/v1/environments/:id/exec', () => {
  it('runs an argv command and returns its exit code, stdout and stderr separately', async () => {
    const result = await exec({ command: ['sh', '-c', 'echo to-out; echo to-err >&2; exit 7'] });
    expect(result).toMatchObject({ exitCode: 7, stdout: 'to-out\n', stderr: 'to-err\n', timedOut: false, truncated: false });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('passes argv elements through verbatim, without a shell interpreting them', async () => {
    const result = await exec({ command: ['echo', '$HOME', '; exit 9', '`id`'] });
    expect(result).toMatchObject({ exitCode: 0, stdout: '$HOME ; exit 9 `id`\n', stderr: '' });
  });

  it('runs a string command through bash -lc', async () => {
    const result = await exec({ command: 'echo $((1+2)); exit 3' });
    expect(result).toMatchObject({ exitCode: 3, stdout: '3\n', stderr: '', timedOut: false });
  });

  it('runs in /workspace by default', async () => {
    expect(await exec({ command: ['pwd'] })).toMatchObject({ exitCode: 0, stdout: '/workspace\n' });
  });

  it('runs in the requested cwd', async () => {
    await exec({ command: 'mkdir -p /workspace/sub/dir' });
    expect(await exec({ command: ['pwd'], cwd: '/workspace/sub/dir' })).toMatchObject({ exitCode: 0, stdout: '/workspace/sub/dir\n' });
    expect(await exec({ command: 'pwd', cwd: '/tmp' })).toMatchObject({ exitCode: 0, stdout: '/tmp\n' });
  });

  it('sets the requested environment variables, values verbatim', async () => {
    const result = await exec({ command: ['sh', '-c', 'printf "%s|%s" "$GREETING" "$OTHER_1"'], env: { GREETING: 'hello world', OTHER_1: 'a=b $x' } });
    expect(result).toMatchObject({ exitCode: 0, stdout: 'hello world|a=b $x' });
  });

  it('feeds stdin to the process and closes it', async () => {
    const input = 'line one\nline two\n';
    expect(await exec({ command: ['cat'], stdin: input })).toMatchObject({ exitCode: 0, stdout: input, timedOut: false });
    expect(await exec({ command: 'wc -l', stdin: input })).toMatchObject({ exitCode: 0, stdout: expect.stringMatching(/^\s*2\n$/) });
  });

  it('kills a command that outlives timeoutMs and reports timedOut with no exit code', async () => {
    const result = await exec({ command: ['sleep', '30'], timeoutMs: 500 });
    expect(result).toMatchObject({ timedOut: true, exitCode: null });

    // The kill is asynchronous inside the kernel; the process would otherwise live 30 s, so 5 s tells them apart.
    await waitFor('the timed-out sleep 30 to be gone', async () => (await processesMatching(/sleep 30\b/)).length === 0, 5000);
  });

  it('kills background children of a timed-out command too (its whole process group), keeping the output it wrote', async () => {
    const result = await exec({ command: 'sleep 47 & echo started; sleep 48', timeoutMs: 2000 });
    expect(result).toMatchObject({ timedOut: true, exitCode: null, stdout: 'started\n' });

    await waitFor('the timed-out command and its background child to be gone', async () => (await processesMatching(/sleep 4[78]\b/)).length === 0, 5000);
  });

  it('keeps output up to the cap and says it truncated the rest', async () => {
    const result = await exec({ command: 'yes 0123456789 | head -c 5000; echo small >&2' });
    expect(result).toMatchObject({ exitCode: 0, truncated: true, stderr: 'small\n' });
    expect(result.stdout).toHaveLength(MAX_OUTPUT_BYTES);
    expect(result.stdout).toBe('0123456789\n'.repeat(100).slice(0, MAX_OUTPUT_BYTES));
  });

  it('does not report truncation for output exactly at the cap', async () => {
    const result = await exec({ command: `yes 0123456789 | head -c ${MAX_OUTPUT_BYTES}` });
    expect(result).toMatchObject({ exitCode: 0, truncated: false });
    expect(result.stdout).toHaveLength(MAX_OUTPUT_BYTES);
  });

  it('answers 409 environment_not_running for a stopped environment', async () => {
    const id = await runningId();
    expect((await owner.post(`/api/v1/environments/${id}/stop`)).statusCode).toBe(202);
    await waitForStatus(owner, id, 'stopped');

    expectProblem(await owner.post(`/api/v1/environments/${id}/exec`, { command: ['true'] }), 409, 'environment_not_running');
  });

  it("answers 404 not_found for someone else's environment, and runs nothing", async () => {
    const res = await stranger.post(`/api/v1/environments/${envId}/exec`, { command: ['touch', '/workspace/stranger-was-here'] });
    expectProblem(res, 404, 'not_found');

    expect(await exec({ command: 'test -e /workspace/stranger-was-here' })).toMatchObject({ exitCode: 1 });
  });

  it('answers 404 not_found for an environment that does not exist', async () => {
    expectProblem(await owner.post('/api/v1/environments/00000000-0000-4000-8000-000000000000/exec', { command: ['true'] }), 404, 'not_found');
  });

  it.each<[string, Record<string, unknown>]>([
    ['an empty argv', { command: [] }],
    ['an empty string command', { command: '' }],
    ['timeoutMs 0', { command: ['true'], timeoutMs: 0 }],
    ['timeoutMs over 600000', { command: ['true'], timeoutMs: 600_001 }],
    ['an unknown field', { command: ['true'], shell: '/bin/sh' }],
    ["an env var name containing '='", { command: ['true'], env: { 'A=B': 'x' } }],
    ['an env var name starting with a digit', { command: ['true'], env: { '1A': 'x' } }],
    ['no command', { cwd: '/tmp' }],
  ])('answers 400 validation_failed for %s', async (_what, body) => {
    expectProblem(await owner.post(`/api/v1/environments/${envId}/exec`, body), 400, 'validation_failed');
  });
});

describe('an environment that stops while a request is on its way', () => {
  it('answers 409 environment_not_running, not an internal error, for exec and files', async () => {
    const id = await runningId();
    // Stopped behind Berth's back, as a stop racing the request leaves it: the row still says running.
    await server.docker.getContainer(containerName(id)).stop({ t: 0 });
    expectProblem(await owner.post(`/api/v1/environments/${id}/exec`, { command: ['true'] }), 409, 'environment_not_running');
    expectProblem(await owner.get(`/api/v1/environments/${id}/files?path=`), 409, 'environment_not_running');
    expect((await owner.delete(`/api/v1/environments/${id}`)).statusCode).toBe(202);
  });

  it('answers 200 with the runtime\'s 126 for a program that does not exist, its environment running all along', async () => {
    const result = await exec({ command: ['no-such-program-here'] });
    expect(result.exitCode).toBe(126);
    expect(result.stdout + result.stderr).toMatch(/no-such-program-here/);
  });

  it('answers 200 for a command that closes its output and carries on, its environment still running', async () => {
    const result = await exec({ command: 'echo closing; exec >&- 2>&-; sleep 2' });
    expect(result).toMatchObject({ stdout: 'closing\n', timedOut: false });
  });

  it('answers an exec racing a restart with the command\'s own outcome or 409, never the runtime\'s refusal as exit code 126', async () => {
    const id = await runningId();
    const answers: { status: number; code?: string; exitCode?: number | null; stdout?: string }[] = [];
    let restarted = false;
    // Execs one after another until a few have run after the restart (bounded either way).
    const execs = (async () => {
      for (let after = 0; answers.length < 400 && after < 5; after += restarted ? 1 : 0) {
        const res = await owner.post(`/api/v1/environments/${id}/exec`, { command: ['echo', 'ok'] });
        answers.push(res.statusCode === 200 ? { status: 200, ...res.json<ExecResult>() } : { status: res.statusCode, code: res.json<{ code: string }>().code });
      }
    })();
    await waitFor('execs under way', async () => answers.length >= 3);
    // Behind Berth's back, as a restart racing the requests leaves it: the row says running throughout.
    await server.docker.getContainer(containerName(id)).restart({ t: 0 });
    restarted = true;
    await execs;
    for (const a of answers) {
      if (a.status === 200) {
        // The command ran (ok), or the restart killed it: it never was the runtime's "stopped" answer.
        expect(a.exitCode, JSON.stringify(a)).not.toBe(126);
        if (a.exitCode === 0) expect(a.stdout).toBe('ok\n');
      } else expect(a, JSON.stringify(answers.filter((x) => x.status !== 200))).toMatchObject({ status: 409, code: 'environment_not_running' });
    }
    // It ran before and after: the restart was in the middle of them.
    expect(answers[0]).toMatchObject({ status: 200, exitCode: 0, stdout: 'ok\n' });
    expect(answers.at(-1)).toMatchObject({ status: 200, exitCode: 0, stdout: 'ok\n' });
    expect((await owner.delete(`/api/v1/environments/${id}`)).statusCode).toBe(202);
  });
});

describe('exec bookkeeping', () => {
  it('records the environment activity', async () => {
    const id = await runningId();
    expect((await owner.get(`/api/v1/environments/${id}`)).json<Environment>().lastActivityAt).toBeNull();

    await exec({ command: ['true'] }, id);

    const after = (await owner.get(`/api/v1/environments/${id}`)).json<Environment>();
    expect(after.lastActivityAt).not.toBeNull();
    expect(Number.isNaN(Date.parse(after.lastActivityAt!))).toBe(false);
  });

  it('writes an environment.exec audit row without the command arguments, env values or stdin', async () => {
    const secret = 'hunter2-argument-secret';
    await exec({ command: ['echo', secret] });
    await exec({ command: `echo ${secret}-string`, env: { TOKEN: `${secret}-env` }, stdin: `${secret}-stdin`, cwd: '/tmp' });

    const res = await admin.get(`/api/v1/audit?action=environment.exec&targetId=${envId}&limit=500`);
    expect(res.statusCode, res.body).toBe(200);
    const [stringRow, argvRow] = res.json<{ items: AuditEntry[] }>().items;
    expect(argvRow).toMatchObject({
      action: 'environment.exec',
      actorUsername: 'exec-owner',
      targetType: 'environment',
      targetId: envId,
      success: true,
      metadata: { program: 'echo', cwd: '/workspace', exitCode: 0, timedOut: false },
    });
    expect(stringRow).toMatchObject({ success: true, metadata: { program: 'bash', cwd: '/tmp', exitCode: 0 } });
    expect(JSON.stringify(res.json())).not.toContain(secret);
  });
});

describe('POST /api/v1/environments/:id/exec/stream', () => {
  /** The server's address (it starts listening the first time) and a fresh API token of the owner. */
  async function overHttp() {
    const base = await server.app.listen({ host: '127.0.0.1', port: 0 }).catch(() => `http://127.0.0.1:${(server.app.server.address() as { port: number }).port}`);
    const token = (await owner.post('/api/v1/tokens', { name: `stream-${Date.now()}` })).json<{ token: string }>().token;
    return { base, token };
  }

  /** Opens a streamed exec over real HTTP and hands out its NDJSON lines as they arrive. */
  async function streamed(body: Record<string, unknown>) {
    const { base, token } = await overHttp();
    const res = await fetch(`${base}/api/v1/environments/${envId}/exec/stream`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const reader = res.body!.getReader();
    const lines: ExecStreamLine[] = [];
    let buffer = '';
    const decoder = new TextDecoder();
    /** Reads until a line matching `predicate` has arrived. */
    const until = async (predicate: (l: ExecStreamLine) => boolean) => {
      while (!lines.some(predicate)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended first; got ${JSON.stringify(lines)}`);
        buffer += decoder.decode(value, { stream: true });
        const parts = buffer.split('\n');
        buffer = parts.pop()!;
        for (const part of parts) if (part) lines.push(JSON.parse(part) as ExecStreamLine);
      }
    };
    return { lines, until };
  }
  const text = (lines: ExecStreamLine[], stream: 'stdout' | 'stderr') =>
    lines
      .filter((l): l is Extract<ExecStreamLine, { data: string }> => l.type === stream)
      .map((l) => Buffer.from(l.data, 'base64').toString())
      .join('');

  it('delivers output while the command is still running, then its exit code', async () => {
    const gate = `/tmp/go-${Date.now()}`;
    const { lines, until } = await streamed({ command: `echo first; echo warn >&2; while [ ! -f ${gate} ]; do sleep 0.05; done; echo second; exit 4` });
    // The command is blocked on the gate: seeing "first" now proves it was streamed, not buffered.
    await until(() => text(lines, 'stdout').includes('first'));
    expect(lines.some((l) => l.type === 'exit')).toBe(false);
    await exec({ command: ['touch', gate] });
    await until((l) => l.type === 'exit');
    expect(text(lines, 'stdout')).toBe('first\nsecond\n');
    expect(text(lines, 'stderr')).toBe('warn\n');
    expect(lines.at(-1)).toMatchObject({ type: 'exit', exitCode: 4, timedOut: false });
  });

  it('holds the command back while its client reads nothing, so server memory stays bounded, and kills it when the client goes', async () => {
    const tag = `flood-${Date.now()}`;
    // `yes` with a meter: a MiB at a time, counting every MiB it got out.
    const script = `i=0; while :; do head -c ${MIB} /dev/zero || exit 1; i=$((i+1)); echo $i > /tmp/${tag}; done`;
    const produced = async () => Number((await exec({ command: ['sh', '-c', 'cat "$1" 2>/dev/null || echo 0', 'sh', `/tmp/${tag}`] })).stdout.trim());
    const { base, token } = await overHttp();
    const before = rss();
    const client = await stalledRequest(`${base}/api/v1/environments/${envId}/exec/stream`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ command: ['sh', '-c', script, tag], timeoutMs: 600_000 }),
    });
    expect(client.status).toBe(200);

    // Unheld, the command gets FLOOD_MIB out in a second or two, all of it piling up in the server.
    const held = await untilStalledOrPast('the command\'s output', produced, FLOOD_MIB);
    expect(held).toBeLessThan(HELD_MIB);
    expect(rss() - before).toBeLessThan(RSS_BOUND);

    client.close();
    await waitFor('the command to be killed once its client went away', async () => (await processesMatching(new RegExp(tag))).length === 0, 20_000);
  }, 180_000);

  it('refuses before streaming: 404 for a stranger, 400 for a bad body', async () => {
    expectProblem(await stranger.post(`/api/v1/environments/${envId}/exec/stream`, { command: ['true'] }), 404, 'not_found');
    expectProblem(await owner.post(`/api/v1/environments/${envId}/exec/stream`, { command: [] }), 400, 'validation_failed');
  });
});
