import { randomUUID } from 'node:crypto';
import type { AuditEntry, Environment, MachineType } from '@berth/contracts';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, type Caller } from './support/server.js';
import { expectProblem } from './support/problem.js';
import { waitForStatus } from './support/wait.js';
import { useTestServer } from './support/test-server.js';

const PASSWORD = 'a-long-enough-password';

const { server, admin } = useTestServer();

/** Names are unique per database, and every test here shares one. */
const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

/** A machine-type body that passes validation; tests override what they are about. */
const typeBody = (name: string, extra: Record<string, unknown> = {}) => ({ name, vcpus: 2, memoryMb: 512, diskGib: 3, creditsCost: 1, ...extra });

async function createType(body: Record<string, unknown>): Promise<MachineType> {
  const res = await admin.post('/api/v1/machine-types', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json<MachineType>();
}

async function listAs(caller: Caller): Promise<MachineType[]> {
  const res = await caller.get('/api/v1/machine-types');
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ items: MachineType[] }>().items;
}

const namesAs = async (caller: Caller) => (await listAs(caller)).map((t) => t.name);

/** Creates a user through the admin API and signs them in. */
async function newMember(prefix = 'member'): Promise<{ id: string; caller: Caller }> {
  const username = uniqueName(prefix);
  const id = await server.createUser(username, PASSWORD);
  return { id, caller: await server.login(username, PASSWORD) };
}

async function auditFor(action: string, targetId: string): Promise<AuditEntry[]> {
  const res = await admin.get(`/api/v1/audit?action=${action}&targetId=${targetId}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ items: AuditEntry[] }>().items;
}

describe('seeded machine types', () => {
  it('are small (1 vCPU, 1024 MB, 5 GiB, 1 credit), medium (2, 2048, 10, 2) and large (4, 4096, 25, 4), public and on the default image', async () => {
    const seeded = (await listAs(admin)).filter((t) => ['small', 'medium', 'large'].includes(t.name));

    expect(seeded).toEqual([
      { name: 'small', vcpus: 1, memoryMb: 1024, diskGib: 5, creditsCost: 1, private: false, image: null, nodeLabels: {}, runtimeClass: 'standard', createdAt: expect.any(String), updatedAt: expect.any(String) },
      { name: 'medium', vcpus: 2, memoryMb: 2048, diskGib: 10, creditsCost: 2, private: false, image: null, nodeLabels: {}, runtimeClass: 'standard', createdAt: expect.any(String), updatedAt: expect.any(String) },
      { name: 'large', vcpus: 4, memoryMb: 4096, diskGib: 25, creditsCost: 4, private: false, image: null, nodeLabels: {}, runtimeClass: 'standard', createdAt: expect.any(String), updatedAt: expect.any(String) },
    ]);
  });
});

describe('GET /api/v1/machine-types', () => {
  it('shows an admin every type, private ones included', async () => {
    const hidden = await createType(typeBody(uniqueName('private'), { private: true }));

    const all = await listAs(admin);
    expect(all).toContainEqual(hidden);
    expect(hidden.private).toBe(true);
    expect(all.map((t) => t.name)).toEqual(expect.arrayContaining(['small', 'medium', 'large']));
  });

  it('shows a new user every public type but no private one', async () => {
    const hidden = await createType(typeBody(uniqueName('private'), { private: true }));
    const member = await newMember();

    const names = await namesAs(member.caller);
    expect(names).toEqual(expect.arrayContaining(['small', 'medium', 'large']));
    expect(names).not.toContain(hidden.name);
  });

  it('gives a public type to users created after it was added, but not to users created before', async () => {
    const before = await newMember('before');
    const added = await createType(typeBody(uniqueName('public')));
    const after = await newMember('after');

    expect(await namesAs(after.caller)).toContain(added.name);
    expect(await namesAs(before.caller)).not.toContain(added.name);
    expect(await namesAs(admin)).toContain(added.name);
  });

  it("shows a user exactly the types in their quota's allowedTypes, a private one included once allowed", async () => {
    const hidden = await createType(typeBody(uniqueName('private'), { private: true }));
    const member = await newMember();
    const res = await admin.patch(`/api/v1/users/${member.id}/quota`, { allowedTypes: ['medium', hidden.name] });
    expect(res.statusCode, res.body).toBe(200);

    expect((await namesAs(member.caller)).sort()).toEqual(['medium', hidden.name].sort());
  });

  it('answers a caller without credentials with 401 unauthorized', async () => {
    expectProblem(await server.anonymous.get('/api/v1/machine-types'), 401, 'unauthorized');
  });
});

describe('POST /api/v1/machine-types', () => {
  it('lets an admin create a type: 201 with the type, public and on the default image unless told otherwise', async () => {
    const name = uniqueName('created');
    const res = await admin.post('/api/v1/machine-types', { name, vcpus: 8, memoryMb: 16_384, diskGib: 100, creditsCost: 6 });

    expect(res.statusCode, res.body).toBe(201);
    const created = res.json<MachineType>();
    expect(created).toEqual({
      name,
      vcpus: 8,
      memoryMb: 16_384,
      diskGib: 100,
      creditsCost: 6,
      private: false,
      image: null,
      nodeLabels: {},
      runtimeClass: 'standard',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(await listAs(admin)).toContainEqual(created);
  });

  it('stores a private flag and an image when given', async () => {
    const created = await createType(typeBody(uniqueName('custom'), { private: true, image: 'registry.example.com/team/dev:1.2@sha256:abc' }));
    expect(created).toMatchObject({ private: true, image: 'registry.example.com/team/dev:1.2@sha256:abc' });
  });

  it('stores the node labels its environments need', async () => {
    const created = await createType(typeBody(uniqueName('gpu'), { nodeLabels: { gpu: 'true', 'berth.io/zone': 'lab-a' } }));
    expect(created.nodeLabels).toEqual({ gpu: 'true', 'berth.io/zone': 'lab-a' });
    const changed = await admin.patch(`/api/v1/machine-types/${created.name}`, { nodeLabels: { kvm: 'true' } });
    expect(changed.json<MachineType>().nodeLabels).toEqual({ kvm: 'true' });
  });

  it('refuses a second type with the same name with 409 conflict, leaving the first as it was', async () => {
    const first = await createType(typeBody(uniqueName('twice')));

    expectProblem(await admin.post('/api/v1/machine-types', typeBody(first.name, { vcpus: 16 })), 409, 'conflict');
    expect((await listAs(admin)).filter((t) => t.name === first.name)).toEqual([first]);
  });

  it.each([
    ['vcpus 0', { vcpus: 0 }, 'body.vcpus'],
    ['a fractional vcpus', { vcpus: 1.5 }, 'body.vcpus'],
    ['memoryMb below 128', { memoryMb: 64 }, 'body.memoryMb'],
    ['a negative creditsCost', { creditsCost: -1 }, 'body.creditsCost'],
    ['a name with uppercase letters', { name: 'Big' }, 'body.name'],
    ['a name with a space', { name: 'big box' }, 'body.name'],
    ['an unknown field', { gpus: 1 }, 'body.gpus'],
    ['an image with a space', { image: 'debian bookworm' }, 'body.image'],
    ['an image with a shell ";"', { image: 'debian;rm -rf /' }, 'body.image'],
    ['an image with a shell "$( )"', { image: 'debian$(id)' }, 'body.image'],
    ['a node label key with capitals', { nodeLabels: { GPU: 'true' } }, 'body.nodeLabels.GPU'],
    ['a node label value with a space', { nodeLabels: { gpu: 'yes please' } }, 'body.nodeLabels.gpu'],
    ['17 node labels', { nodeLabels: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`l${i}`, 'x'])) }, 'body.nodeLabels'],
  ])('refuses %s with 400 validation_failed naming the field, creating nothing', async (_what, override, field) => {
    const body = typeBody(uniqueName('bad'), override);

    const problem = expectProblem(await admin.post('/api/v1/machine-types', body), 400, 'validation_failed');
    expect(problem.errors?.map((e) => e.field)).toEqual([field]);
    expect(await namesAs(admin)).not.toContain(body.name);
  });

  it('refuses a body missing required fields with 400 validation_failed naming each', async () => {
    const problem = expectProblem(await admin.post('/api/v1/machine-types', { name: uniqueName('bare') }), 400, 'validation_failed');
    expect(problem.errors?.map((e) => e.field).sort()).toEqual(['body.creditsCost', 'body.diskGib', 'body.memoryMb', 'body.vcpus']);
  });
});

describe('PATCH /api/v1/machine-types/:name', () => {
  it('changes the given fields, answers 200 with the type, and leaves the others alone', async () => {
    const before = await createType(typeBody(uniqueName('patched')));

    const res = await admin.patch(`/api/v1/machine-types/${before.name}`, { vcpus: 6, creditsCost: 3, private: true, image: 'debian:bookworm' });
    expect(res.statusCode, res.body).toBe(200);
    const after = res.json<MachineType>();
    expect(after).toEqual({ ...before, vcpus: 6, creditsCost: 3, private: true, image: 'debian:bookworm', updatedAt: expect.any(String) });
    expect(Date.parse(after.updatedAt)).toBeGreaterThanOrEqual(Date.parse(before.updatedAt));
    expect(await listAs(admin)).toContainEqual(after);

    // null puts the type back on the default image.
    const cleared = await admin.patch(`/api/v1/machine-types/${before.name}`, { image: null });
    expect(cleared.json<MachineType>()).toMatchObject({ image: null, vcpus: 6 });
  });

  it('answers 404 not_found for a type that does not exist', async () => {
    expectProblem(await admin.patch(`/api/v1/machine-types/${uniqueName('ghost')}`, { vcpus: 2 }), 404, 'not_found');
  });

  it.each([
    ['vcpus 0', { vcpus: 0 }, 'body.vcpus'],
    ['an image with a shell ";"', { image: 'busybox; reboot' }, 'body.image'],
    ['an unknown field', { name: 'renamed' }, 'body.name'],
    ['a node label key with a space', { nodeLabels: { 'g pu': 'true' } }, 'body.nodeLabels.g pu'],
  ])('refuses %s with 400 validation_failed naming the field, changing nothing', async (_what, body, field) => {
    const before = await createType(typeBody(uniqueName('kept')));

    const problem = expectProblem(await admin.patch(`/api/v1/machine-types/${before.name}`, body), 400, 'validation_failed');
    expect(problem.errors?.map((e) => e.field)).toEqual([field]);
    expect(await listAs(admin)).toContainEqual(before);
  });

  it('refuses a type name with uppercase letters in the path with 400 validation_failed naming params.name', async () => {
    const problem = expectProblem(await admin.patch('/api/v1/machine-types/Small', { vcpus: 2 }), 400, 'validation_failed');
    expect(problem.errors?.map((e) => e.field)).toEqual(['params.name']);
  });
});

describe('DELETE /api/v1/machine-types/:name', () => {
  it('deletes a type nobody uses with 204 and no body; it is gone from the list', async () => {
    const doomed = await createType(typeBody(uniqueName('doomed')));

    const res = await admin.delete(`/api/v1/machine-types/${doomed.name}`);
    expect(res.statusCode, res.body).toBe(204);
    expect(res.body).toBe('');
    expect(await namesAs(admin)).not.toContain(doomed.name);
  });

  it('takes a deleted type out of every quota, so a new type of the same name is not granted by accident', async () => {
    const name = uniqueName('reborn');
    await createType(typeBody(name));
    const member = await newMember('holder');
    expect(await namesAs(member.caller)).toContain(name);
    expect((await admin.delete(`/api/v1/machine-types/${name}`)).statusCode).toBe(204);
    expect((await admin.get(`/api/v1/users/${member.id}/quota`)).json<{ allowedTypes: string[] }>().allowedTypes).not.toContain(name);
    await createType(typeBody(name, { private: true }));
    expect(await namesAs(member.caller)).not.toContain(name);
  });

  it('answers 404 not_found for a type that does not exist', async () => {
    expectProblem(await admin.delete(`/api/v1/machine-types/${uniqueName('ghost')}`), 404, 'not_found');
  });

  it('refuses with 409 conflict while an environment of the type exists, and deletes once that environment is deleted', async () => {
    const inUse = await createType(typeBody(uniqueName('in-use'), { creditsCost: 1 }));
    const owner = await newMember('owner'); // created after the type, so their quota allows it
    const created = await owner.caller.post('/api/v1/environments', { type: inUse.name });
    expect(created.statusCode, created.body).toBe(202);
    const env = created.json<Environment>();
    expect(env.type).toBe(inUse.name);

    const refused = expectProblem(await admin.delete(`/api/v1/machine-types/${inUse.name}`), 409, 'conflict');
    expect(refused.detail).toContain(inUse.name);
    expect(await namesAs(admin)).toContain(inUse.name);

    const removing = await owner.caller.delete(`/api/v1/environments/${env.id}`);
    expect(removing.statusCode, removing.body).toBe(202);
    await waitForStatus(owner.caller, env.id, 'deleted');

    expect((await admin.delete(`/api/v1/machine-types/${inUse.name}`)).statusCode).toBe(204);
    expect(await namesAs(admin)).not.toContain(inUse.name);
  });
});

describe('machine-type management by a non-admin', () => {
  let member: Caller;
  let existing: MachineType;
  beforeAll(async () => {
    member = (await newMember()).caller;
    existing = await createType(typeBody(uniqueName('guarded')));
  });

  it('answers POST with 403 forbidden and creates nothing', async () => {
    const name = uniqueName('sneaky');
    expectProblem(await member.post('/api/v1/machine-types', typeBody(name)), 403, 'forbidden');
    expect(await namesAs(admin)).not.toContain(name);
  });

  it('answers PATCH with 403 forbidden and changes nothing', async () => {
    expectProblem(await member.patch(`/api/v1/machine-types/${existing.name}`, { creditsCost: 0 }), 403, 'forbidden');
    expect(await listAs(admin)).toContainEqual(existing);
  });

  it('answers DELETE with 403 forbidden and deletes nothing', async () => {
    expectProblem(await member.delete(`/api/v1/machine-types/${existing.name}`), 403, 'forbidden');
    expect(await listAs(admin)).toContainEqual(existing);
  });
});

describe('machine-type audit', () => {
  it('records machine_type.create, .update and .delete with the admin as actor and what changed', async () => {
    const name = uniqueName('audited');
    await createType(typeBody(name, { vcpus: 3 }));
    await admin.patch(`/api/v1/machine-types/${name}`, { creditsCost: 5 });
    await admin.delete(`/api/v1/machine-types/${name}`);

    const [create] = await auditFor('machine_type.create', name);
    expect(create).toMatchObject({
      actorUsername: ADMIN.username,
      targetType: 'machine_type',
      success: true,
      metadata: { name, vcpus: 3, memoryMb: 512, diskGib: 3, creditsCost: 1 },
    });
    const [update] = await auditFor('machine_type.update', name);
    expect(update).toMatchObject({ actorUsername: ADMIN.username, targetType: 'machine_type', success: true, metadata: { creditsCost: 5 } });
    const [remove] = await auditFor('machine_type.delete', name);
    expect(remove).toMatchObject({ actorUsername: ADMIN.username, targetType: 'machine_type', success: true });
  });

  it('records a refused create as a failed machine_type.create with its code', async () => {
    const existing = await createType(typeBody(uniqueName('dup')));
    await admin.post('/api/v1/machine-types', typeBody(existing.name));

    const rows = await auditFor('machine_type.create', existing.name);
    expect(rows.map((r) => r.success)).toEqual([false, true]);
    expect(rows[0]?.metadata).toMatchObject({ code: 'conflict' });
  });
});
