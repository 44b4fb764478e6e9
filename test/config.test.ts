import type { AuditEntry, ConfigFlag } from '@berth/contracts';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog, configFlags } from '../packages/server/src/db/schema.js';
import { expectProblem } from './support/problem.js';
import { ADMIN } from './support/server.js';
import { useTestServer } from './support/test-server.js';

const { server, admin, users: { member } } = useTestServer({ users: ['member'] });

async function flags(): Promise<Record<string, ConfigFlag>> {
  const res = await admin.get('/api/v1/config');
  expect(res.statusCode, res.body).toBe(200);
  return Object.fromEntries(res.json<{ items: ConfigFlag[] }>().items.map((f) => [f.name, f]));
}

async function auditFor(name: string): Promise<AuditEntry[]> {
  const res = await admin.get(`/api/v1/audit?action=config.update&targetId=${name}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ items: AuditEntry[] }>().items;
}

describe('GET /api/v1/config', () => {
  it('lists the seeded defaults, with ai_api_key marked secret', async () => {
    const all = await flags();

    expect(Object.keys(all).sort()).toEqual([
      'ai_api_key',
      'ai_api_url',
      'ai_model',
      'ai_token_input_price',
      'ai_token_output_price',
      'default_ai_uses_per_day',
      'default_credits',
      'e2b_templates',
      'org_default_credits',
      'org_default_max_environments',
    ]);
    expect(all.default_credits).toMatchObject({ value: '3', secret: false });
    expect(all.default_ai_uses_per_day).toMatchObject({ value: '5', secret: false });
    expect(all.ai_api_url).toMatchObject({ value: '', secret: false });
    expect(all.ai_model).toMatchObject({ value: 'gpt-4o-mini', secret: false });
    expect(all.ai_api_key).toMatchObject({ value: '', secret: true });
    expect(all.ai_token_input_price).toMatchObject({ value: '0', secret: false });
    expect(all.ai_token_output_price).toMatchObject({ value: '0', secret: false });
    expect(all.org_default_credits).toMatchObject({ value: '10', secret: false });
    expect(all.org_default_max_environments).toMatchObject({ value: '10', secret: false });
    for (const flag of Object.values(all)) expect(flag.description).not.toBe('');
  });

  it('answers a non-admin with 403 forbidden', async () => {
    expectProblem(await member.get('/api/v1/config'), 403, 'forbidden');
  });
});

describe('PUT /api/v1/config/:name', () => {
  it('sets a value, answers 200 with the flag, and GET reflects it', async () => {
    const res = await admin.put('/api/v1/config/default_ai_uses_per_day', { value: '12' });

    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<ConfigFlag>()).toMatchObject({ name: 'default_ai_uses_per_day', value: '12', secret: false });
    expect((await flags()).default_ai_uses_per_day?.value).toBe('12');
    expect(await server.services.config.value('default_ai_uses_per_day')).toBe('12');
  });

  it('writes a config.update audit row with the new value and who set it', async () => {
    await admin.put('/api/v1/config/ai_model', { value: 'model-for-audit' });

    const [row] = await auditFor('ai_model');
    expect(row).toMatchObject({
      action: 'config.update',
      targetType: 'config',
      targetId: 'ai_model',
      actorUsername: ADMIN.username,
      success: true,
      metadata: { value: 'model-for-audit' },
    });
  });

  it('stores a secret but only ever shows it masked, in the answer, in GET and in the audit log', async () => {
    const secret = 'sk-test-7d1c0e5b2a9f4c33';
    const res = await admin.put('/api/v1/config/ai_api_key', { value: secret });

    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<ConfigFlag>()).toMatchObject({ name: 'ai_api_key', value: '********', secret: true });
    expect(res.body).not.toContain(secret);
    const list = await admin.get('/api/v1/config');
    expect(list.body).not.toContain(secret);
    expect((await flags()).ai_api_key?.value).toBe('********');
    // It is stored for the services that need it.
    expect(await server.services.config.value('ai_api_key')).toBe(secret);

    const [row] = await auditFor('ai_api_key');
    expect(row).toMatchObject({ action: 'config.update', success: true });
    expect(JSON.stringify(row?.metadata)).not.toContain(secret);
    const stored = await server.database.db.select().from(auditLog);
    const serialized = JSON.stringify(stored, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
    expect(serialized).not.toContain(secret);
  });

  it('refuses the mask written back to a secret with 400 validation_failed on body.value, keeping the stored secret', async () => {
    const secret = 'sk-test-kept-3e9a61f0c2d84b57';
    expect((await admin.put('/api/v1/config/ai_api_key', { value: secret })).statusCode).toBe(200);
    // What a settings form shows, and would send back unchanged.
    const shown = (await flags()).ai_api_key?.value;
    expect(shown).toBe('********');

    const res = await admin.put('/api/v1/config/ai_api_key', { value: shown });

    const problem = expectProblem(res, 400, 'validation_failed');
    expect(problem.errors?.map((e) => e.field)).toEqual(['body.value']);
    const [row] = await server.database.db.select().from(configFlags).where(eq(configFlags.name, 'ai_api_key'));
    expect(row?.value).toBe(secret);
  });

  it('refuses an invalid value with 400 validation_failed on body.value and changes nothing', async () => {
    const before = await flags();
    const res = await admin.put('/api/v1/config/default_credits', { value: 'abc' });

    const problem = expectProblem(res, 400, 'validation_failed');
    expect(problem.errors?.map((e) => e.field)).toEqual(['body.value']);
    const after = await flags();
    expect(after.default_credits).toEqual(before.default_credits);
    expect(await auditFor('default_credits')).toEqual([]);
  });

  // Inherited object keys must not pass for flags either.
  it.each(['no_such_flag', 'constructor', '__proto__', 'toString'])('answers 404 not_found for a flag that does not exist: %s', async (name) => {
    expectProblem(await admin.put(`/api/v1/config/${name}`, { value: '1' }), 404, 'not_found');
  });

  it('answers a non-admin with 403 forbidden and leaves the flag alone', async () => {
    const before = (await flags()).default_credits;
    expectProblem(await member.put('/api/v1/config/default_credits', { value: '999' }), 403, 'forbidden');
    expect((await flags()).default_credits).toEqual(before);
  });
});
