import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase } from './support/database.js';

const MIGRATIONS = fileURLToPath(new URL('../packages/server/src/db/migrations', import.meta.url));
/** The last migration before organizations: the shape a database of the previous release has. */
const BEFORE = '0004_trust_boundary';

/** A copy of the migrations folder that stops at `last`. */
async function migrationsUpTo(last: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-migrations-'));
  await fs.cp(MIGRATIONS, dir, { recursive: true });
  const journalFile = path.join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(await fs.readFile(journalFile, 'utf8')) as { entries: { idx: number; tag: string }[] };
  const end = journal.entries.findIndex((e) => e.tag === last);
  expect(end).toBeGreaterThanOrEqual(0);
  journal.entries = journal.entries.slice(0, end + 1);
  await fs.writeFile(journalFile, JSON.stringify(journal));
  return dir;
}

interface Target {
  query<T>(text: string): Promise<T[]>;
  migrate(folder: string): Promise<void>;
  close(): Promise<void>;
}

/** A scratch database on the run's server (the embedded one, or TEST_DATABASE_URL's), as the rest of the suite. */
async function openTarget(): Promise<Target> {
  const scratch = await createScratchDatabase();
  const pool = new pg.Pool({ connectionString: scratch.url, max: 2 });
  // The drop below ends what is left connected to the scratch database (a client of a migration
  // refused on purpose may still be closing): that is its end, not the test's failure.
  pool.on('error', () => undefined);
  const db = drizzlePg({ client: pool });
  return {
    query: async <T>(text: string) => (await pool.query(text)).rows as T[],
    migrate: (migrationsFolder) => migratePg(db, { migrationsFolder }),
    close: async () => {
      await pool.end();
      await scratch.drop();
    },
  };
}

const ids = {
  ada: '00000000-0000-4000-8000-00000000000a',
  bob: '00000000-0000-4000-8000-00000000000b',
  admin: '00000000-0000-4000-8000-0000000000ad',
  adaBox: '00000000-0000-4000-8000-0000000000e1',
  adaGone: '00000000-0000-4000-8000-0000000000e2',
  bobBox: '00000000-0000-4000-8000-0000000000e3',
  bobToken: '00000000-0000-4000-8000-0000000000f1',
  adaTemplate: '00000000-0000-4000-8000-0000000000c1',
  seededTemplate: '00000000-0000-4000-8000-0000000000c2',
};

/** Rows as the previous release wrote them: users with quotas, environments, a token and templates, no organizations. */
const OLD_SHAPE = `
insert into users (id, username, password_hash, is_admin) values
  ('${ids.ada}', 'ada', 'x', false), ('${ids.bob}', 'Bob.Smith', 'x', false), ('${ids.admin}', 'admin', 'x', true);
insert into quotas (user_id, credits, ai_uses_per_day, allowed_types, max_environments, idle_timeout_minutes) values
  ('${ids.ada}', 7, 10, '{small,large}', 4, 30), ('${ids.bob}', 3, 10, '{small}', 5, 60), ('${ids.admin}', 3, 10, '{small}', 5, 60);
insert into environments (id, owner_id, name, machine_type, image, vcpus, memory_mb, disk_gib, credits_cost, desired_state, status) values
  ('${ids.adaBox}', '${ids.ada}', 'box', 'small', 'img', 1, 512, 5, 1, 'running', 'running'),
  ('${ids.adaGone}', '${ids.ada}', 'gone', 'small', 'img', 1, 512, 5, 1, 'deleted', 'deleted'),
  ('${ids.bobBox}', '${ids.bob}', 'box', 'small', 'img', 1, 512, 5, 1, 'stopped', 'stopped');
insert into api_tokens (id, user_id, name, prefix, token_hash) values ('${ids.bobToken}', '${ids.bob}', 'ci', 'berth_ab', 'hash');
insert into templates (id, slug, name, owner_id) values ('${ids.adaTemplate}', 'ada-notes', 'Notes', '${ids.ada}'), ('${ids.seededTemplate}', 'hello', 'Hello', null);
`;

describe('migration 0005: organizations', () => {
  let target: Target;
  beforeAll(async () => {
    target = await openTarget();
    await target.migrate(await migrationsUpTo(BEFORE));
    for (const statement of OLD_SHAPE.split(';').filter((s) => s.trim())) await target.query(statement);
    await target.migrate(MIGRATIONS);
  });
  afterAll(() => target?.close());

  const personalOrg = async (userId: string) =>
    (await target.query<{ id: string; slug: string; name: string; personal: boolean; status: string; desired_state: string }>(
      `select o.* from organizations o join users u on u.personal_org_id = o.id where u.id = '${userId}'`,
    ))[0];

  it('gives every user a personal organization named like them, active, which they alone own', async () => {
    expect(await personalOrg(ids.ada)).toMatchObject({ slug: 'ada', name: 'ada', personal: true, status: 'active', desired_state: 'active' });
    expect(await personalOrg(ids.bob)).toMatchObject({ slug: 'bob.smith', name: 'Bob.Smith', personal: true, status: 'active' });
    expect(await personalOrg(ids.admin)).toMatchObject({ slug: 'admin', personal: true });
    const members = await target.query<{ user_id: string; org_id: string; role: string }>('select user_id, org_id, role from memberships order by user_id');
    expect(members).toHaveLength(3);
    for (const m of members) {
      expect(m.role).toBe('owner');
      expect(m.org_id).toBe((await personalOrg(m.user_id))!.id);
    }
    expect(await target.query('select id from organizations')).toHaveLength(3);
  });

  it("moves each user's environments (deleted ones too), tokens and private templates into their personal organization", async () => {
    const orgOf = async (table: string, id: string) => (await target.query<{ org_id: string | null }>(`select org_id from ${table} where id = '${id}'`))[0]!.org_id;
    const ada = (await personalOrg(ids.ada))!.id;
    const bob = (await personalOrg(ids.bob))!.id;
    expect(await orgOf('environments', ids.adaBox)).toBe(ada);
    expect(await orgOf('environments', ids.adaGone)).toBe(ada);
    expect(await orgOf('environments', ids.bobBox)).toBe(bob);
    expect(await orgOf('api_tokens', ids.bobToken)).toBe(bob);
    expect(await orgOf('templates', ids.adaTemplate)).toBe(ada);
    expect(await orgOf('templates', ids.seededTemplate)).toBeNull();
  });

  it('keeps every quota as it was', async () => {
    const quotas = await target.query<{ user_id: string; credits: number; allowed_types: string[]; max_environments: number; idle_timeout_minutes: number }>(
      'select user_id, credits, allowed_types, max_environments, idle_timeout_minutes from quotas order by credits desc',
    );
    expect(quotas[0]).toEqual({ user_id: ids.ada, credits: 7, allowed_types: ['small', 'large'], max_environments: 4, idle_timeout_minutes: 30 });
    expect(quotas).toHaveLength(3);
  });

  it('makes the organization required from now on: an environment or token without one is refused', async () => {
    // (Since migration 0010 only an unclaimed environment of a warm pool goes without one: a check says so.)
    await expect(
      target.query(`insert into environments (owner_id, name, machine_type, image, vcpus, memory_mb, disk_gib, credits_cost, desired_state) values ('${ids.ada}', 'orphan', 'small', 'img', 1, 512, 5, 1, 'running')`),
    ).rejects.toThrow(/environments_owned_or_pooled/);
    await expect(target.query(`insert into api_tokens (user_id, name, prefix, token_hash) values ('${ids.ada}', 'x', 'p', 'h2')`)).rejects.toThrow(/org_id/);
  });
});

describe('migration 0006: organization quotas and token scopes', () => {
  let target: Target;
  const acme = '00000000-0000-4000-8000-0000000000a1';
  beforeAll(async () => {
    target = await openTarget();
    await target.migrate(await migrationsUpTo('0005_organizations'));
    // A database of the release with organizations: a user with their personal one, a shared one, a token in it, an audit row.
    const adaOrg = '00000000-0000-4000-8000-0000000000a2';
    await target.query(`insert into machine_types (name, vcpus, memory_mb, disk_gib, credits_cost, private) values ('small', 1, 512, 5, 1, false), ('gpu', 4, 8192, 20, 8, true)`);
    await target.query(`insert into organizations (id, slug, name, personal, status, desired_state) values ('${acme}', 'acme', 'Acme', false, 'active', 'active'), ('${adaOrg}', 'ada', 'ada', true, 'active', 'active')`);
    await target.query(`insert into users (id, username, password_hash, personal_org_id) values ('${ids.ada}', 'ada', 'x', '${adaOrg}')`);
    await target.query(`insert into api_tokens (id, user_id, org_id, name, prefix, token_hash) values ('${ids.bobToken}', '${ids.ada}', '${acme}', 'ci', 'berth_ab', 'hash')`);
    await target.query(`insert into audit_log (action, success) values ('user.create', true)`);
    await target.migrate(MIGRATIONS);
  });
  afterAll(() => target?.close());

  it('gives every shared organization the defaults a new one gets, as quota and ceiling, with no cap per member', async () => {
    const rows = await target.query<Record<string, unknown>>('select * from org_quotas');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      org_id: acme,
      credits: 10,
      max_environments: 10,
      member_credit_cap: null,
      allowed_types: ['small'],
      ceiling_credits: 10,
      ceiling_max_environments: 10,
      ceiling_allowed_types: ['small'],
    });
  });

  it('keeps existing tokens able to do all they did (scope admin), and earlier audit rows in no organization', async () => {
    expect(await target.query(`select scope from api_tokens where id = '${ids.bobToken}'`)).toEqual([{ scope: 'admin' }]);
    expect(await target.query(`select org_id from audit_log where action = 'user.create'`)).toEqual([{ org_id: null }]);
  });
});
