import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { AuditEntry, Environment, EnvironmentEvent, ExecResult, Template, TemplateBuildEvent } from '@berth/contracts';
import { Sandbox } from 'e2b';
import { beforeAll, describe, expect, it } from 'vitest';
import { BERTH_BIN, runBerth } from './support/cli.js';
import { TEST_IMAGE } from './support/images.js';
import { readmeBlock } from './support/readme.js';
import { expectProblem } from './support/problem.js';
import type { Caller } from './support/server.js';
import { useTestServer } from './support/test-server.js';
import { runningEnvironment, waitFor, waitForStatus } from './support/wait.js';

/**
 * Templates that define the environment itself: a Dockerfile built through the
 * Engine API (its output streamed), cached by the Dockerfile's hash, a start
 * command run at every start, and the version each environment runs recorded.
 */
const { server, admin, users: { ada, bob }, ids } = useTestServer({ users: ['ada', 'bob'] });

beforeAll(async () => {
  // Room for this file's environments.
  for (const id of [ids.ada, ids.bob]) expect((await admin.patch(`/api/v1/users/${id}/quota`, { credits: 10, maxEnvironments: 10 })).statusCode).toBe(200);
});

/** Each run makes images of its own: a marker the Dockerfile writes keeps them apart from earlier runs'. */
const RUN = randomUUID().slice(0, 8);
const dockerfile = (step: string) => `FROM ${TEST_IMAGE}\nRUN echo ${step}-${RUN} > /built.txt\n`;

async function sh(caller: Caller, id: string, command: string): Promise<ExecResult> {
  return (await caller.post(`/api/v1/environments/${id}/exec`, { command })).json<ExecResult>();
}
/** The server on a real port (the CLI talks HTTP), started once for the file. */
let address: Promise<string> | undefined;
const listening = () => (address ??= server.app.listen({ host: '127.0.0.1', port: 0 }));
/** What the admin's CLI needs: the server's address, an API token, and a folder of its own (to remove). */
async function cliSetup(name: string): Promise<{ url: string; token: string; dir: string }> {
  const url = await listening();
  const token = (await admin.post('/api/v1/tokens', { name })).json<{ token: string }>().token;
  return { url, token, dir: await mkdtemp(path.join(os.tmpdir(), `berth-${name}-`)) };
}
const events = async (caller: Caller, id: string) => (await caller.get(`/api/v1/environments/${id}/events`)).json<{ items: EnvironmentEvent[] }>().items;

async function buildStream(caller: Caller, id: string): Promise<TemplateBuildEvent[]> {
  const res = await caller.post(`/api/v1/templates/${id}/build`);
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
  return res.body.split('\n').filter(Boolean).map((l) => JSON.parse(l) as TemplateBuildEvent);
}

async function makeTemplate(slug: string, body: Record<string, unknown>): Promise<Template> {
  const res = await admin.post('/api/v1/templates', { slug: `${slug}-${RUN}`, name: slug, public: true, ...body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<Template>();
}

describe('a template with a Dockerfile', () => {
  let template: Template;

  it('builds its image at the first environment, streaming the build as provision events, and runs its start command', async () => {
    template = await makeTemplate('tools', { dockerfile: dockerfile('v1'), startCommand: 'echo started > /tmp/started; sleep 300', files: [{ path: 'hello.txt', content: 'hi\n' }] });
    expect(template.image).toMatch(new RegExp(`^berth/template-${template.id}:[0-9a-f]{12}$`));
    // Kept as given, less the surrounding whitespace.
    expect(template).toMatchObject({ dockerfile: dockerfile('v1').trim(), startCommand: 'echo started > /tmp/started; sleep 300' });

    const env = await runningEnvironment(ada, { type: 'small', templateId: template.id }, 120_000);
    expect(env.image).toBe(template.image);
    expect((await sh(ada, env.id, 'cat /built.txt')).stdout).toBe(`v1-${RUN}\n`);
    // The template's files too, written at the first start.
    await waitFor('the template files', async () => (await sh(ada, env.id, 'cat /workspace/hello.txt')).stdout === 'hi\n');
    await waitFor('the start command to have run', async () => (await sh(ada, env.id, 'cat /tmp/started')).stdout === 'started\n');
    const said = await events(ada, env.id);
    expect(said.filter((e) => e.type === 'provision').map((e) => e.message).join('\n')).toContain(`echo v1-${RUN}`);
    expect(said.some((e) => e.type === 'start_command')).toBe(true);
  });

  it('builds a Dockerfile once: the next environment and the build route find it cached', async () => {
    const env = await runningEnvironment(bob, { type: 'small', templateId: template.id });
    expect((await events(bob, env.id)).filter((e) => e.type === 'provision')).toEqual([]);
    expect(await buildStream(admin, template.id)).toEqual([{ type: 'done', image: template.image, cached: true }]);
  });

  it('makes a changed Dockerfile a new version: new environments run it, the earlier ones keep theirs', async () => {
    const before = (await ada.get('/api/v1/environments')).json<{ items: Environment[] }>().items.find((e) => e.image === template.image)!;
    const changed = await admin.patch(`/api/v1/templates/${template.id}`, { dockerfile: dockerfile('v2') });
    expect(changed.statusCode, changed.body).toBe(200);
    const v2 = changed.json<Template>();
    expect(v2.image).not.toBe(template.image);
    // What the update left out stays as it was.
    expect(v2).toMatchObject({ public: true, fileCount: 1, startCommand: template.startCommand });

    const stream = await buildStream(admin, template.id);
    expect(stream.at(-1)).toEqual({ type: 'done', image: v2.image, cached: false });
    expect(stream.filter((e) => e.type === 'log').map((e) => (e as { line: string }).line).join('\n')).toContain(`echo v2-${RUN}`);
    const audit = (await admin.get('/api/v1/audit?action=template.build')).json<{ items: AuditEntry[] }>().items;
    expect(audit.some((a) => a.targetId === template.id && a.success)).toBe(true);

    const env = await runningEnvironment(ada, { type: 'small', templateId: template.id });
    expect(env.image).toBe(v2.image);
    expect((await sh(ada, env.id, 'cat /built.txt')).stdout).toBe(`v2-${RUN}\n`);
    expect((await sh(ada, before.id, 'cat /built.txt')).stdout).toBe(`v1-${RUN}\n`);
  });

  it('fails an environment whose Dockerfile does not build with image_unavailable and the failing step, at once', async () => {
    const broken = await makeTemplate('broken', { dockerfile: `FROM ${TEST_IMAGE}\nRUN exit 3\n` });
    const created = await ada.post('/api/v1/environments', { type: 'small', templateId: broken.id });
    expect(created.statusCode, created.body).toBe(202);
    const failed = await waitForStatus(ada, created.json<Environment>().id, 'error');
    expect(failed).toMatchObject({ errorCode: 'image_unavailable', attempts: 1 });
    expect(failed.lastError).toMatch(/^the template's image could not be built: .*exit 3/);
    expect((await buildStream(admin, broken.id)).at(-1)).toMatchObject({ type: 'error', message: expect.stringContaining('exit 3') });
  });
});

describe('who may give a template a Dockerfile', () => {
  it('refuses a user a Dockerfile (it names images and runs with the engine\'s network): 403, audited, nothing made', async () => {
    const slug = `mine-${RUN}`;
    expectProblem(await ada.post('/api/v1/templates', { slug, name: 'mine', dockerfile: 'FROM anything:latest\n' }), 403, 'image_not_allowed');
    expectProblem(await admin.post('/api/v1/templates', { slug: `empty-${RUN}`, name: 'empty', dockerfile: ' ' }), 400, 'validation_failed');
    const own = await ada.post('/api/v1/templates', { slug, name: 'mine' });
    expect(own.statusCode, own.body).toBe(201);
    const id = own.json<Template>().id;
    expectProblem(await ada.patch(`/api/v1/templates/${id}`, { dockerfile: 'FROM anything:latest\n' }), 403, 'image_not_allowed');
    expect((await ada.get(`/api/v1/templates/${id}`)).json<Template>()).toMatchObject({ dockerfile: null, image: null });
    const audit = (await admin.get('/api/v1/audit?action=template.create')).json<{ items: AuditEntry[] }>().items;
    expect(audit.some((a) => !a.success && a.actorUsername === 'ada')).toBe(true);
  });

  it("refuses to build another user's template (404) and a template without a Dockerfile (409)", async () => {
    const own = (await ada.get('/api/v1/templates')).json<{ items: Template[] }>().items.find((t) => t.slug === `mine-${RUN}`)!;
    expectProblem(await bob.post(`/api/v1/templates/${own.id}/build`), 404, 'not_found');
    expectProblem(await ada.post(`/api/v1/templates/${own.id}/build`), 409, 'conflict');
    expect(server.problems.filter((p) => p.route === 'templates.build').map((p) => p.code)).toEqual(['not_found', 'conflict']);
  });
});

describe('Berth templates through the E2B SDK', () => {
  it("resolves a templateID to the template of that slug: its image and files; another user's private one is not found", async () => {
    const url = await listening();
    const keyOf = async (caller: Caller) => (await caller.post('/api/v1/tokens', { name: `e2b-${randomUUID().slice(0, 6)}` })).json<{ token: string }>().token;
    const [adaKey, bobKey] = [await keyOf(ada), await keyOf(bob)];
    const sandbox = await Sandbox.create(`tools-${RUN}`, { apiKey: adaKey, apiUrl: url, sandboxUrl: url });
    try {
      expect((await sandbox.commands.run('cat /built.txt /workspace/hello.txt')).stdout).toBe(`v2-${RUN}\nhi\n`);
    } finally {
      await sandbox.kill();
    }
    await expect(Sandbox.create(`mine-${RUN}`, { apiKey: bobKey, apiUrl: url, sandboxUrl: url })).rejects.toThrow(/not found/);
    const own = await Sandbox.create(`mine-${RUN}`, { apiKey: adaKey, apiUrl: url, sandboxUrl: url });
    await own.kill();
  });
});

describe('a template from a devcontainer.json', () => {
  it('builds with its image and containerEnv, and runs postCreateCommand once, at the first start only', async () => {
    const { url, token, dir } = await cliSetup('devcontainer');
    try {
      await mkdir(path.join(dir, 'devbox', '.devcontainer'), { recursive: true });
      const spec = { image: TEST_IMAGE, containerEnv: { GREETING: `hello-${RUN}` }, postCreateCommand: 'echo once >> /workspace/created', forwardPorts: [3000] };
      await writeFile(path.join(dir, 'devbox', '.devcontainer', 'devcontainer.json'), `// a comment, as devcontainer.json allows\n${JSON.stringify(spec)}\n`);
      const run = await runBerth(['templates', 'build', path.join(dir, 'devbox'), '--slug', `devbox-${RUN}`, '--public'], { home: dir, env: { BERTH_URL: url, BERTH_TOKEN: token } });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain('forwardPorts 3000');
      const template = (await ada.get('/api/v1/templates')).json<{ items: Template[] }>().items.find((t) => t.slug === `devbox-${RUN}`)!;
      const env = await runningEnvironment(ada, { type: 'small', templateId: template.id });
      expect((await sh(ada, env.id, 'echo $GREETING')).stdout).toBe(`hello-${RUN}\n`);
      await waitFor('the post-create command', async () => (await sh(ada, env.id, 'cat /workspace/created')).stdout === 'once\n');
      expect((await ada.post(`/api/v1/environments/${env.id}/restart`)).statusCode).toBe(202);
      await waitFor('the restart', async () => (await events(ada, env.id)).filter((e) => e.type === 'start_command').length === 2);
      // The start command is noted just before the environment is called running again.
      await waitForStatus(ada, env.id, 'running');
      expect((await sh(ada, env.id, 'cat /workspace/created')).stdout).toBe('once\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the README', () => {
  it('builds a template from a Dockerfile with the CLI and starts an environment of it, as written', async () => {
    const { url, token, dir } = await cliSetup('readme-templates');
    try {
      // `berth` on PATH, as an installed CLI is.
      await writeFile(path.join(dir, 'berth'), `#!/bin/sh\nexec "${process.execPath}" "${BERTH_BIN}" "$@"\n`);
      await chmod(path.join(dir, 'berth'), 0o755);
      const script = await readmeBlock('### Templates as images', 'sh');
      const run = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], {
        cwd: dir,
        env: { PATH: `${dir}:${process.env.PATH}`, HOME: dir, BERTH_URL: url, BERTH_TOKEN: token },
        timeout: 300_000,
      });
      expect(run.stdout).toContain('created template tools');
      const env = (await admin.get('/api/v1/environments')).json<{ items: Environment[] }>().items.find((e) => e.image.startsWith('berth/template-'))!;
      expect(env.status).toBe('running');
      expect((await sh(admin, env.id, 'jq --version')).stdout).toMatch(/^jq-1\./);
      await waitFor('the start command to serve', async () => (await sh(admin, env.id, 'curl -sf http://127.0.0.1:8000/ >/dev/null && echo up')).stdout === 'up\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 360_000);
});
