import type { Environment, EnvironmentEvent, ExecResult, MachineType, Template, TemplateSummary } from '@berth/contracts';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { environments } from '../packages/server/src/db/schema.js';
import { expectProblem } from './support/problem.js';
import type { Caller } from './support/server.js';
import { useTestServer } from './support/test-server.js';
import { waitFor, waitForStatus } from './support/wait.js';

const { server, admin, users: { ada, bob }, ids } = useTestServer({ users: ['ada', 'bob'] });

const mine = { slug: 'ada-notes', name: 'Ada notes', files: [{ path: 'notes/todo.txt', content: 'write tests\n' }, { path: 'run.sh', content: '#!/bin/sh\necho ran\n', mode: '755' }] };

async function sh(caller: Caller, id: string, command: string): Promise<ExecResult> {
  return (await caller.post(`/api/v1/environments/${id}/exec`, { command })).json<ExecResult>();
}

describe('templates', () => {
  it('lists the seeded public templates without file contents, and returns one with its files', async () => {
    const items = (await ada.get('/api/v1/templates')).json<{ items: TemplateSummary[] }>().items;
    expect(items.map((t) => t.slug)).toEqual(expect.arrayContaining(['python-hello', 'node-http', 'static-site']));
    expect(items[0]).not.toHaveProperty('files');
    const python = items.find((t) => t.slug === 'python-hello')!;
    const full = (await ada.get(`/api/v1/templates/${python.id}`)).json<Template>();
    expect(full.files.map((f) => f.path)).toContain('hello.py');
  });

  it('keeps a private template to its owner (and admins): 404 for others', async () => {
    const res = await ada.post('/api/v1/templates', mine);
    expect(res.statusCode, res.body).toBe(201);
    const t = res.json<Template>();
    expect(t).toMatchObject({ public: false, owner: { username: 'ada' }, fileCount: 2 });
    expect((await bob.get('/api/v1/templates')).json<{ items: TemplateSummary[] }>().items.map((x) => x.id)).not.toContain(t.id);
    expectProblem(await bob.get(`/api/v1/templates/${t.id}`), 404, 'not_found');
    expectProblem(await bob.patch(`/api/v1/templates/${t.id}`, { name: 'mine now' }), 404, 'not_found');
    expectProblem(await bob.delete(`/api/v1/templates/${t.id}`), 404, 'not_found');
    expect((await admin.get(`/api/v1/templates/${t.id}`)).statusCode).toBe(200);
    expect((await ada.patch(`/api/v1/templates/${t.id}`, { description: 'my notes' })).json<Template>().description).toBe('my notes');
  });

  it('lets only admins publish or change public templates', async () => {
    expectProblem(await ada.post('/api/v1/templates', { ...mine, slug: 'ada-public', public: true }), 403, 'forbidden');
    const seeded = (await ada.get('/api/v1/templates')).json<{ items: TemplateSummary[] }>().items.find((t) => t.slug === 'static-site')!;
    expectProblem(await ada.patch(`/api/v1/templates/${seeded.id}`, { name: 'defaced' }), 403, 'forbidden');
    expectProblem(await ada.delete(`/api/v1/templates/${seeded.id}`), 403, 'forbidden');
    const published = await admin.post('/api/v1/templates', { ...mine, slug: 'team-notes', public: true });
    expect(published.statusCode).toBe(201);
    expect((await bob.get(`/api/v1/templates/${published.json<Template>().id}`)).statusCode).toBe(200);
  });

  it('refuses file paths that leave the folder, duplicate slugs and bad bodies', async () => {
    for (const path of ['../escape.txt', '/etc/passwd', 'a/../../x', '.']) {
      const problem = expectProblem(await ada.post('/api/v1/templates', { slug: 'bad-path', name: 'x', files: [{ path, content: '' }] }), 400, 'validation_failed');
      expect(problem.errors?.[0]?.field).toBe('body.files.0.path');
    }
    expectProblem(await ada.post('/api/v1/templates', { ...mine, slug: 'ada-notes' }), 409, 'conflict');
    expectProblem(await ada.post('/api/v1/templates', { ...mine, slug: 'Bad Slug' }), 400, 'validation_failed');
    expectProblem(await ada.post('/api/v1/templates', { ...mine, slug: 'modes', files: [{ path: 'x', content: '', mode: '999' }] }), 400, 'validation_failed');
  });

  it('writes a template into /workspace when an environment created with it first runs', async () => {
    const t = (await ada.get('/api/v1/templates')).json<{ items: TemplateSummary[] }>().items.find((x) => x.slug === 'ada-notes')!;
    const env = (await ada.post('/api/v1/environments', { type: 'small', templateId: t.id })).json<Environment>();
    await waitForStatus(ada, env.id, 'running');
    await waitFor('the template event', async () =>
      (await ada.get(`/api/v1/environments/${env.id}/events`)).json<{ items: EnvironmentEvent[] }>().items.find((e) => e.type === 'template'),
    );
    const result = await sh(ada, env.id, 'cat /workspace/notes/todo.txt && /workspace/run.sh');
    expect(result.stdout).toBe('write tests\nran\n');
    // Stopping and starting again does not write it a second time over the user's changes.
    await sh(ada, env.id, 'echo changed > /workspace/notes/todo.txt');
    await ada.post(`/api/v1/environments/${env.id}/restart`);
    await waitFor('the restart', async () => (await sh(ada, env.id, 'cat /workspace/notes/todo.txt')).stdout === 'changed\n');
  });

  it("refuses to create an environment from someone else's private template, creating nothing", async () => {
    const t = (await ada.get('/api/v1/templates')).json<{ items: TemplateSummary[] }>().items.find((x) => x.slug === 'ada-notes')!;
    expectProblem(await bob.post('/api/v1/environments', { type: 'small', templateId: t.id }), 404, 'not_found');
    expect((await bob.get('/api/v1/environments')).json<{ items: Environment[] }>().items).toEqual([]);
  });

  it('applies a template later into a folder, optionally emptying it first', async () => {
    const python = (await bob.get('/api/v1/templates')).json<{ items: TemplateSummary[] }>().items.find((x) => x.slug === 'python-hello')!;
    const env = (await bob.post('/api/v1/environments', { type: 'small' })).json<Environment>();
    await waitForStatus(bob, env.id, 'running');
    await sh(bob, env.id, 'mkdir -p /workspace/app && echo old > /workspace/app/old.txt');
    const applied = await bob.post(`/api/v1/environments/${env.id}/apply-template`, { templateId: python.id, path: 'app', clean: true });
    expect(applied.statusCode, applied.body).toBe(200);
    expect(applied.json()).toEqual({ files: 3, path: 'app' });
    expect((await sh(bob, env.id, 'ls /workspace/app | sort | tr "\\n" " "; test -x /workspace/app/serve.sh && echo executable')).stdout).toBe('README.md hello.py serve.sh executable\n');
    expectProblem(await bob.post(`/api/v1/environments/${env.id}/apply-template`, { templateId: python.id, path: '../etc' }), 400, 'path_outside_workspace');
    expectProblem(await ada.post(`/api/v1/environments/${env.id}/apply-template`, { templateId: python.id }), 404, 'not_found');
    const audit = (await admin.get(`/api/v1/audit?action=environment.apply_template&targetId=${env.id}`)).json<{ items: { success: boolean }[] }>().items;
    expect(audit[0]?.success).toBe(true);
  });

  it('keeps node labels to administrators; an environment of the template needs them on top of its type\'s', async () => {
    // A user cannot steer their environments onto the machines kept for something else (the GPU ones).
    expectProblem(await ada.post('/api/v1/templates', { ...mine, slug: 'ada-gpu', nodeLabels: { gpu: 'true' } }), 403, 'forbidden');
    expect((await ada.get('/api/v1/templates')).json<{ items: TemplateSummary[] }>().items.map((t) => t.slug)).not.toContain('ada-gpu');
    const own = (await ada.get('/api/v1/templates')).json<{ items: TemplateSummary[] }>().items.find((x) => x.slug === 'ada-notes')!;
    expectProblem(await ada.patch(`/api/v1/templates/${own.id}`, { nodeLabels: {} }), 403, 'forbidden');
    expect((await ada.get(`/api/v1/templates/${own.id}`)).json<Template>().nodeLabels).toEqual({});
    const badKey = expectProblem(await admin.post('/api/v1/templates', { ...mine, slug: 'bad-labels', nodeLabels: { GPU: 'true' } }), 400, 'validation_failed');
    expect(badKey.errors?.[0]?.field).toBe('body.nodeLabels.GPU');
    const tooMany = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`l${i}`, 'x']));
    expectProblem(await admin.post('/api/v1/templates', { ...mine, slug: 'bad-labels', nodeLabels: tooMany }), 400, 'validation_failed');

    const made = await admin.post('/api/v1/templates', { ...mine, slug: 'gpu-notes', public: true, nodeLabels: { gpu: 'true', zone: 'b' } });
    expect(made.statusCode, made.body).toBe(201);
    const template = made.json<Template>();
    expect(template.nodeLabels).toEqual({ gpu: 'true', zone: 'b' });
    const type = (await admin.post('/api/v1/machine-types', { name: 'ssd-small', vcpus: 1, memoryMb: 512, diskGib: 1, creditsCost: 1, nodeLabels: { disk: 'ssd', zone: 'a' } })).json<MachineType>();
    expect((await admin.patch(`/api/v1/users/${ids.ada}/quota`, { allowedTypes: ['small', type.name] })).statusCode).toBe(200);
    const env = (await ada.post('/api/v1/environments', { type: type.name, templateId: template.id })).json<Environment>();
    const [row] = await server.database.db.select({ nodeLabels: environments.nodeLabels }).from(environments).where(eq(environments.id, env.id));
    expect(row!.nodeLabels).toEqual({ disk: 'ssd', zone: 'b', gpu: 'true' });
    expect((await ada.delete(`/api/v1/environments/${env.id}`)).statusCode).toBe(202);
    const audit = (await admin.get(`/api/v1/audit?action=template.create&targetId=${template.id}`)).json<{ items: { metadata: { nodeLabels?: unknown } }[] }>().items;
    expect(audit[0]?.metadata.nodeLabels).toEqual({ gpu: 'true', zone: 'b' });
  });
});
