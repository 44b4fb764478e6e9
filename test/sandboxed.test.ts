import os from 'node:os';
import type { AuditEntry, Environment, ExecResult, MachineType, Template } from '@berth/contracts';
import { Sandbox } from 'e2b';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerName } from '../packages/server/src/runtime/docker/labels.js';
import { agentUser, startE2bServer } from './support/e2b.js';
import { expectProblem } from './support/problem.js';
import type { Caller, TestServer } from './support/server.js';
import { useTestServer } from './support/test-server.js';
import { waitFor, waitForStatus } from './support/wait.js';

/**
 * The `sandboxed` runtime class end to end, on whichever database the run uses: an administrator
 * marks a machine type, users' environments of it run under gVisor, a template or a create can only
 * add isolation, and an engine without gVisor refuses up front. The suites run again sandboxed in
 * test/sandboxed/ prove every feature under it.
 */

// The engine's gVisor (scripts/setup-docker.sh registers runsc): what CI and a new user get.
const { server, admin, users: { ada, bob }, ids } = useTestServer({ users: ['ada', 'bob'] });
// The same engine seen by a Berth told to use a runtime it does not have: a machine without gVisor.
const bare = useTestServer({ env: { BERTH_SANDBOXED_RUNTIME: 'runsc-not-registered' }, users: ['cyd'] });

async function create(caller: Caller, body: Record<string, unknown>): Promise<Environment> {
  const res = await caller.post('/api/v1/environments', body);
  expect(res.statusCode, res.body).toBe(202);
  return res.json<Environment>();
}

async function exec(caller: Caller, id: string, command: string): Promise<ExecResult> {
  const res = await caller.post(`/api/v1/environments/${id}/exec`, { command, timeoutMs: 15_000 });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<ExecResult>();
}

const runtimeOf = async (s: TestServer, id: string) => (await s.docker.getContainer(containerName(id)).inspect()).HostConfig.Runtime;

async function auditOf(caller: Caller, action: string): Promise<AuditEntry[]> {
  const res = await caller.get(`/api/v1/audit?action=${action}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ items: AuditEntry[] }>().items;
}

let sandboxed: Environment;
let standard: Environment;

beforeAll(async () => {
  for (const id of [ids.ada, ids.bob]) expect((await admin.patch(`/api/v1/users/${id}/quota`, { credits: 30, maxEnvironments: 20 })).statusCode).toBe(200);
  const marked = await admin.patch('/api/v1/machine-types/medium', { runtimeClass: 'sandboxed' });
  expect(marked.statusCode, marked.body).toBe(200);
  expect(marked.json<MachineType>().runtimeClass).toBe('sandboxed');
  [sandboxed, standard] = await Promise.all([create(ada, { type: 'medium' }), create(ada, { type: 'small' })]);
  await Promise.all([waitForStatus(ada, sandboxed.id, 'running'), waitForStatus(ada, standard.id, 'running')]);
});

describe('a machine type an administrator marks sandboxed', () => {
  it("runs its environments under gVisor's kernel, not the host's; the others' stay on the host's", async () => {
    expect(sandboxed.runtimeClass).toBe('sandboxed');
    expect(standard.runtimeClass).toBe('standard');
    expect(await runtimeOf(server, sandboxed.id)).toBe('runsc');
    expect(await runtimeOf(server, standard.id)).not.toBe('runsc');
    const [inside, plain] = await Promise.all([exec(ada, sandboxed.id, 'uname -r; dmesg | head -n 1'), exec(ada, standard.id, 'uname -r')]);
    expect(plain.stdout.trim()).toBe(os.release());
    // gVisor answers as a kernel of its own (4.4.0), and its boot log is its own ("Starting gVisor...").
    expect(inside.stdout.split('\n')[0]).not.toBe(os.release());
    expect(inside.stdout).toMatch(/^4\.4\.0\n/);
    expect(inside.stdout).toMatch(/gVisor/);
  });

  it('is audited, and only administrators change it: a user is refused and nothing changes', async () => {
    const refused = await ada.patch('/api/v1/machine-types/medium', { runtimeClass: 'standard' });
    expectProblem(refused, 403, 'forbidden');
    const types = (await admin.get('/api/v1/machine-types')).json<{ items: MachineType[] }>().items;
    expect(types.find((t) => t.name === 'medium')?.runtimeClass).toBe('sandboxed');
    const rows = await auditOf(admin, 'machine_type.update');
    expect(rows.some((r) => r.targetId === 'medium' && r.success && (r.metadata as { runtimeClass?: string }).runtimeClass === 'sandboxed')).toBe(true);
  });

  it('keeps files, exec, streamed exec and the workspace working as under standard', async () => {
    const put = await ada.put(`/api/v1/environments/${sandboxed.id}/files/content?path=notes/hello.txt`, 'written through the API\n', { 'content-type': 'application/octet-stream' });
    expect(put.statusCode, put.body).toBe(201);
    // Written by the sandbox's own processes, read back through the engine, and the other way round.
    expect((await exec(ada, sandboxed.id, 'cat /workspace/notes/hello.txt && echo made inside > /workspace/notes/inside.txt')).stdout).toBe('written through the API\n');
    const read = await ada.get(`/api/v1/environments/${sandboxed.id}/files/content?path=notes/inside.txt`);
    expect(read.statusCode, read.body).toBe(200);
    expect(read.body).toBe('made inside\n');
    const listed = await ada.get(`/api/v1/environments/${sandboxed.id}/files?path=notes`);
    expect(listed.json<{ items: { name: string }[] }>().items.map((e) => e.name).sort()).toEqual(['hello.txt', 'inside.txt']);
    const streamed = await ada.post(`/api/v1/environments/${sandboxed.id}/exec/stream`, { command: 'echo one; echo two >&2; exit 3' });
    const lines = streamed.body.trim().split('\n').map((l) => JSON.parse(l) as { type: string; data?: string; exitCode?: number });
    expect(lines.filter((l) => l.type === 'stdout').map((l) => Buffer.from(l.data!, 'base64').toString()).join('')).toBe('one\n');
    expect(lines.at(-1)).toMatchObject({ type: 'exit', exitCode: 3 });
  });

  it('keeps what is written outside the workspace across a restart, as a container does', async () => {
    expect((await exec(ada, sandboxed.id, 'echo kept > /root/kept.txt && echo $?')).stdout).toBe('0\n');
    const before = (await ada.get(`/api/v1/environments/${sandboxed.id}`)).json<Environment>().startedAt;
    expect((await ada.post(`/api/v1/environments/${sandboxed.id}/restart`)).statusCode).toBe(202);
    // Running again: started anew since, not still running from before the restart was seen.
    await waitFor('the restart', async () => {
      const env = (await ada.get(`/api/v1/environments/${sandboxed.id}`)).json<Environment>();
      return env.status === 'running' && env.startedAt !== before;
    });
    expect((await exec(ada, sandboxed.id, 'cat /root/kept.txt')).stdout).toBe('kept\n');
  });

  it("keeps one owner's sandboxed environments out of another's reach and out of a closed one's, and lets the owner's own through", async () => {
    const [own, closed, bobs] = await Promise.all([create(ada, { type: 'medium' }), create(ada, { type: 'medium', egress: 'none' }), create(bob, { type: 'medium' })]);
    await Promise.all([waitForStatus(ada, own.id, 'running'), waitForStatus(ada, closed.id, 'running'), waitForStatus(bob, bobs.id, 'running')]);
    const started = await exec(ada, sandboxed.id, "printf 'from ada\\n' > /workspace/index.html && httpd -p 8000 -h /workspace && hostname -i");
    expect(started.exitCode, started.stderr).toBe(0);
    const ip = started.stdout.trim();
    // busybox's `wget -T` crashes (see network-isolation.test.ts): `timeout` bounds it instead.
    expect((await exec(ada, own.id, `timeout 5 wget -q -O - http://${ip}:8000/`)).stdout).toBe('from ada\n');
    const reached = await exec(bob, bobs.id, `timeout 3 wget -q -O - http://${ip}:8000/ || echo unreachable`);
    expect(reached.stdout).toBe('unreachable\n');
    // Egress `none` holds under gVisor too: not even the owner's own environment.
    expect((await exec(ada, closed.id, `timeout 3 wget -q -O - http://${ip}:8000/ || echo unreachable`)).stdout).toBe('unreachable\n');
  });
});

describe('a template or a create asks for at least a class, never less', () => {
  it('a create naming sandboxed gets it on a standard type; naming standard on a sandboxed type still gets sandboxed', async () => {
    const [asked, lowered] = await Promise.all([create(bob, { type: 'small', runtimeClass: 'sandboxed' }), create(bob, { type: 'medium', runtimeClass: 'standard' })]);
    expect(asked.runtimeClass).toBe('sandboxed');
    expect(lowered.runtimeClass).toBe('sandboxed');
    await waitForStatus(bob, asked.id, 'running');
    expect(await runtimeOf(server, asked.id)).toBe('runsc');
  });

  it("a user's own template marked sandboxed makes its environments sandboxed", async () => {
    const res = await bob.post('/api/v1/templates', { slug: 'untrusted-homework', name: 'Homework', runtimeClass: 'sandboxed' });
    expect(res.statusCode, res.body).toBe(201);
    const template = res.json<Template>();
    expect(template.runtimeClass).toBe('sandboxed');
    expect((await create(bob, { type: 'small', templateId: template.id })).runtimeClass).toBe('sandboxed');
  });

  it('refuses a class that is not one, changing nothing', async () => {
    const before = (await bob.get('/api/v1/environments')).json<{ items: Environment[] }>().items.length;
    expectProblem(await bob.post('/api/v1/environments', { type: 'small', runtimeClass: 'kata' }), 400, 'validation_failed');
    expectProblem(await bob.post('/api/v1/templates', { slug: 'bad-class', name: 'Bad', runtimeClass: 'vm' }), 400, 'validation_failed');
    expectProblem(await admin.patch('/api/v1/machine-types/small', { runtimeClass: 'gvisor' }), 400, 'validation_failed');
    expectProblem(await admin.post('/api/v1/pools', { machineType: 'small', size: 1, runtimeClass: 'microvm' }), 400, 'validation_failed');
    expect((await bob.get('/api/v1/environments')).json<{ items: Environment[] }>().items.length).toBe(before);
  });
});

describe('what the engine offers', () => {
  it('/readyz and the nodes say which classes can be created now', async () => {
    expect((await server.anonymous.get('/readyz')).json()).toMatchObject({ status: 'ready', runtimeClasses: ['standard', 'sandboxed'] });
    expect((await bare.server.anonymous.get('/readyz')).json()).toMatchObject({ status: 'ready', runtimeClasses: ['standard'] });
    const nodes = (await admin.get('/api/v1/nodes')).json<{ items: { runtimeClasses: string[] }[] }>().items;
    expect(nodes.map((n) => n.runtimeClasses)).toEqual([['standard', 'sandboxed']]);
  });

  it('refuses a sandboxed create where the engine lacks gVisor, up front, with its code, and records nothing', async () => {
    const { admin: bareAdmin, users: { cyd } } = bare;
    expect((await bareAdmin.patch('/api/v1/machine-types/medium', { runtimeClass: 'sandboxed' })).statusCode).toBe(200);
    const byType = expectProblem(await cyd.post('/api/v1/environments', { type: 'medium' }), 409, 'runtime_class_unavailable');
    expect(byType.detail).toMatch(/gVisor/);
    expectProblem(await cyd.post('/api/v1/environments', { type: 'small', runtimeClass: 'sandboxed' }), 409, 'runtime_class_unavailable');
    expectProblem(await bareAdmin.post('/api/v1/pools', { machineType: 'small', size: 1, runtimeClass: 'sandboxed' }), 409, 'runtime_class_unavailable');
    expect((await cyd.get('/api/v1/environments')).json<{ items: Environment[] }>().items).toEqual([]);
    expect((await bareAdmin.get('/api/v1/pools')).json<{ items: unknown[] }>().items).toEqual([]);
    const refusals = (await auditOf(bareAdmin, 'environment.create')).filter((r) => !r.success);
    expect(refusals).toHaveLength(2);
    expect(refusals.every((r) => (r.metadata as { code?: string }).code === 'runtime_class_unavailable')).toBe(true);
    // A standard create is not held up by it.
    expect((await cyd.post('/api/v1/environments', { type: 'small' })).statusCode).toBe(202);
  });
});

describe('E2B sandboxes', () => {
  let e2b: Awaited<ReturnType<typeof startE2bServer>>;
  let fallback: Awaited<ReturnType<typeof startE2bServer>>;
  beforeAll(async () => {
    // Berth's own default, not the test runs': sandboxed where the engine has it.
    [e2b, fallback] = await Promise.all([
      startE2bServer({ BERTH_UNTRUSTED_RUNTIME_CLASS: 'sandboxed' }),
      startE2bServer({ BERTH_UNTRUSTED_RUNTIME_CLASS: 'sandboxed', BERTH_SANDBOXED_RUNTIME: 'runsc-not-registered' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([e2b?.server.close(), fallback?.server.close()]);
  });

  it('run under gVisor by default where the engine has it, and on the host kernel where it does not', async () => {
    const [agent, other] = await Promise.all([agentUser(e2b.server, e2b.admin, 'agent'), agentUser(fallback.server, fallback.admin, 'agent')]);
    const [box, plain] = await Promise.all([
      Sandbox.create({ apiKey: agent.apiKey, apiUrl: e2b.url, sandboxUrl: e2b.url }),
      Sandbox.create({ apiKey: other.apiKey, apiUrl: fallback.url, sandboxUrl: fallback.url }),
    ]);
    try {
      expect((await box.commands.run('uname -r')).stdout).toBe('4.4.0\n');
      expect((await plain.commands.run('uname -r')).stdout).toBe(`${os.release()}\n`);
      await box.files.write('/tmp/from-sdk.txt', 'written by the SDK');
      expect((await box.commands.run('cat /tmp/from-sdk.txt')).stdout).toBe('written by the SDK');
    } finally {
      await Promise.all([box.kill(), plain.kill()]);
    }
    // Two sandboxes from cold, one under gVisor, on a machine the other suites keep busy.
  }, 90_000);
});
