import { randomUUID } from 'node:crypto';
import type { AuditEntry, Environment, EnvironmentEvent } from '@berth/contracts';
import { describe, expect, it } from 'vitest';
import { expectProblem } from './support/problem.js';
import { TEST_IMAGE } from './support/images.js';
import type { Caller } from './support/server.js';
import { useTestServer } from './support/test-server.js';
import { waitFor } from './support/wait.js';

/** Users pick machine types; only administrators name images, and what an engine says about one stays with them. */
const { admin, users: { alice }, ids } = useTestServer({ users: ['alice'] });

const countOf = async (caller: Caller) => (await caller.get('/api/v1/environments')).json<{ items: Environment[] }>().items.length;

describe('images only from the catalogue', () => {
  it('refuses a user who names an image with 403 image_not_allowed, audited, and creates nothing', async () => {
    const before = await countOf(alice);
    const name = `named-${randomUUID().slice(0, 8)}`;
    expectProblem(await alice.post('/api/v1/environments', { type: 'small', name, image: TEST_IMAGE }), 403, 'image_not_allowed');
    expect(await countOf(alice)).toBe(before);
    const rows = (await admin.get('/api/v1/audit?action=environment.create')).json<{ items: AuditEntry[] }>().items;
    expect(rows.find((r) => r.metadata.name === name)).toMatchObject({ success: false, metadata: { code: 'image_not_allowed', image: TEST_IMAGE } });
  });

  it('lets an administrator name an image', async () => {
    const res = await admin.post('/api/v1/environments', { type: 'small', image: TEST_IMAGE });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json<Environment>().image).toBe(TEST_IMAGE);
  });

  it("tells the owner of an environment whose image cannot be pulled only that the image is not available, never what the engine said", async () => {
    // A registry on this machine where nothing listens: the engine's error names its address and port.
    const image = `127.0.0.1:1/berth-missing/${randomUUID().slice(0, 8)}:1`;
    const type = await admin.post('/api/v1/machine-types', { name: `ghost-${randomUUID().slice(0, 6)}`, vcpus: 1, memoryMb: 256, diskGib: 1, creditsCost: 1, image });
    expect(type.statusCode, type.body).toBe(201);
    const typeName = type.json<{ name: string }>().name;
    const quota = (await admin.get(`/api/v1/users/${ids.alice}/quota`)).json<{ allowedTypes: string[] }>();
    expect((await admin.patch(`/api/v1/users/${ids.alice}/quota`, { allowedTypes: [...quota.allowedTypes, typeName] })).statusCode).toBe(200);
    const created = await alice.post('/api/v1/environments', { type: typeName });
    expect(created.statusCode, created.body).toBe(202);
    const id = created.json<Environment>().id;

    // An image that cannot be had will not be there on a retry either: the first failure is the last.
    const failed = await waitFor('the failure', async () => {
      const env = (await alice.get(`/api/v1/environments/${id}`)).json<Environment>();
      return env.lastError ? env : undefined;
    });
    expect(failed).toMatchObject({ status: 'error', errorCode: 'image_unavailable', attempts: 1, lastError: `image ${image} is not available` });
    const events = (await alice.get(`/api/v1/environments/${id}/events`)).json<{ items: EnvironmentEvent[] }>().items;
    const said = JSON.stringify(events);
    expect(said).toContain(`image ${image} is not available`);
    for (const engineWords of [/connection refused/i, /dial tcp/i, /127\.0\.0\.1:1\/v2/, /https?:\/\//, /not on this engine/]) expect(said).not.toMatch(engineWords);
  });
});
