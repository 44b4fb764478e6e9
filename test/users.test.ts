import { randomUUID } from 'node:crypto';
import type { Me, User } from '@berth/contracts';
import { asc, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditLog, users } from '../packages/server/src/db/schema.js';
import { ADMIN, type Caller } from './support/server.js';
import { expectProblem } from './support/problem.js';
import { useTestServer } from './support/test-server.js';

const { server, admin } = useTestServer();

const PASSWORD = 'a-long-enough-password';
/** Usernames are unique per database, and every test here shares one. */
const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

async function createUser(body: { username: string; password: string; email?: string; isAdmin?: boolean }): Promise<User> {
  const res = await admin.post('/api/v1/users', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json<User>();
}

async function createToken(caller: Caller): Promise<string> {
  const res = await caller.post('/api/v1/tokens', { name: 'laptop' });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ token: string }>().token;
}

describe('POST /api/v1/users', () => {
  it('lets an admin create a user and answers 201 with the user and no password or hash', async () => {
    const username = uniqueName('ada');
    const res = await admin.post('/api/v1/users', { username, password: PASSWORD, email: 'ada@example.com' });

    expect(res.statusCode).toBe(201);
    const user = res.json<User>();
    expect(user).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      username,
      email: 'ada@example.com',
      isAdmin: false,
      active: true,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(res.body).not.toContain(PASSWORD);
    expect(res.body).not.toMatch(/argon2|hash/i);
  });

  it('stores the password as an argon2id hash, never as the password itself', async () => {
    const password = 'stored-hashed-not-plain';
    const user = await createUser({ username: uniqueName('hashed'), password });

    const [row] = await server.database.db.select().from(users).where(eq(users.id, user.id));
    expect(row?.passwordHash).toMatch(/^\$argon2id\$/);
    expect(row?.passwordHash).not.toContain(password);
  });

  it('refuses a username that differs from an existing one only in letter case with 409 conflict', async () => {
    const username = uniqueName('grace');
    await createUser({ username, password: PASSWORD });

    const res = await admin.post('/api/v1/users', { username: username.toUpperCase(), password: PASSWORD });
    expectProblem(res, 409, 'conflict');
  });

  it('refuses an 11-character password with validation_failed naming body.password, creating nobody', async () => {
    const username = uniqueName('short');
    const res = await admin.post('/api/v1/users', { username, password: 'x'.repeat(11) });

    const problem = expectProblem(res, 400, 'validation_failed');
    expect(problem.errors?.map((e) => e.field)).toEqual(['body.password']);
    const list = await admin.get('/api/v1/users');
    expect(list.json<{ items: User[] }>().items.map((u) => u.username)).not.toContain(username);
  });
});

describe('admin-only user routes', () => {
  let member: Caller;
  let memberId: string;
  beforeAll(async () => {
    const username = uniqueName('member');
    memberId = (await createUser({ username, password: PASSWORD })).id;
    member = await server.login(username, PASSWORD);
  });

  it.each([
    ['POST /users', () => member.post('/api/v1/users', { username: uniqueName('sneaky'), password: PASSWORD })],
    ['GET /users', () => member.get('/api/v1/users')],
    ['GET /users/:id', () => member.get(`/api/v1/users/${memberId}`)],
    ['PATCH /users/:id', () => member.patch(`/api/v1/users/${memberId}`, { isAdmin: true })],
  ])('answer a non-admin with 403 forbidden: %s', async (_route, send) => {
    expectProblem(await send(), 403, 'forbidden');
  });

  it('leaves a non-admin who tried to promote themselves a non-admin', async () => {
    await member.patch(`/api/v1/users/${memberId}`, { isAdmin: true });
    const me = await member.get('/api/v1/me');
    expect(me.json<User>().isAdmin).toBe(false);
  });
});

describe('GET /api/v1/users and /api/v1/users/:id', () => {
  it('lists every user, the bootstrap admin included', async () => {
    const created = await createUser({ username: uniqueName('listed'), password: PASSWORD });

    const res = await admin.get('/api/v1/users');
    expect(res.statusCode).toBe(200);
    const items = res.json<{ items: User[] }>().items;
    expect(items).toContainEqual(created);
    expect(items.map((u) => u.username)).toContain(ADMIN.username);
    expect(res.body).not.toMatch(/argon2|passwordHash/);
  });

  it('returns one user by id', async () => {
    const created = await createUser({ username: uniqueName('one'), password: PASSWORD });
    const res = await admin.get(`/api/v1/users/${created.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.json<User>()).toEqual(created);
  });

  it('answers 404 not_found for a well-formed id nobody has', async () => {
    expectProblem(await admin.get(`/api/v1/users/${randomUUID()}`), 404, 'not_found');
  });

  it('answers 400 validation_failed naming params.id for an id that is not a uuid', async () => {
    const problem = expectProblem(await admin.get('/api/v1/users/not-a-uuid'), 400, 'validation_failed');
    expect(problem.errors?.map((e) => e.field)).toEqual(['params.id']);
  });
});

describe('PATCH /api/v1/users/:id', () => {
  it('changes the email and the admin flag, and GET shows the change', async () => {
    const user = await createUser({ username: uniqueName('patched'), password: PASSWORD });

    const res = await admin.patch(`/api/v1/users/${user.id}`, { email: 'new@example.com', isAdmin: true });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<User>()).toMatchObject({ id: user.id, email: 'new@example.com', isAdmin: true, active: true });
    const again = await admin.get(`/api/v1/users/${user.id}`);
    expect(again.json<User>()).toMatchObject({ email: 'new@example.com', isAdmin: true });

    // Demoting again is allowed: the bootstrap admin is still an active admin.
    const demoted = await admin.patch(`/api/v1/users/${user.id}`, { isAdmin: false, email: null });
    expect(demoted.json<User>()).toMatchObject({ email: null, isAdmin: false });
  });

  it('sets a new password that signs in, while the old one fails and the old sessions end', async () => {
    const username = uniqueName('rotate');
    const oldPassword = 'the-old-password-1';
    const newPassword = 'the-new-password-2';
    const user = await createUser({ username, password: oldPassword });
    const oldSession = await server.login(username, oldPassword);
    expect((await oldSession.get('/api/v1/me')).statusCode).toBe(200);

    const res = await admin.patch(`/api/v1/users/${user.id}`, { password: newPassword });
    expect(res.statusCode, res.body).toBe(200);

    expectProblem(await oldSession.get('/api/v1/me'), 401, 'unauthorized');
    const withOld = await server.anonymous.post('/api/v1/auth/login', { username, password: oldPassword });
    expectProblem(withOld, 401, 'unauthorized');
    const fresh = await server.login(username, newPassword);
    expect((await fresh.get('/api/v1/me')).json<User>().id).toBe(user.id);
  });

  it('deactivating a user ends their sessions and revokes their tokens, even after reactivation', async () => {
    const username = uniqueName('leaver');
    const user = await createUser({ username, password: PASSWORD });
    const session = await server.login(username, PASSWORD);
    const byToken = server.withToken(await createToken(session));
    expect((await byToken.get('/api/v1/me')).statusCode).toBe(200);

    const res = await admin.patch(`/api/v1/users/${user.id}`, { active: false });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<User>().active).toBe(false);

    expectProblem(await session.get('/api/v1/me'), 401, 'unauthorized');
    expectProblem(await byToken.get('/api/v1/me'), 401, 'unauthorized');
    expectProblem(await server.anonymous.post('/api/v1/auth/login', { username, password: PASSWORD }), 401, 'unauthorized');

    // Had they merely been hidden while inactive, reactivating would bring them back.
    await admin.patch(`/api/v1/users/${user.id}`, { active: true });
    expectProblem(await session.get('/api/v1/me'), 401, 'unauthorized');
    expectProblem(await byToken.get('/api/v1/me'), 401, 'unauthorized');
    const back = await server.login(username, PASSWORD);
    expect((await back.get('/api/v1/me')).statusCode).toBe(200);
  });
});

describe('the last active administrator', () => {
  // A database of its own, so the bootstrap admin really is the only admin.
  const { server: solo, admin: soloAdmin } = useTestServer();
  let adminId: string;
  beforeAll(async () => {
    adminId = (await soloAdmin.get('/api/v1/me')).json<User>().id;
  });

  it.each([
    ['demote', { isAdmin: false }],
    ['deactivate', { active: false }],
    ['demote and deactivate', { isAdmin: false, active: false }],
  ])('cannot %s themselves: 409 conflict, and they stay an active admin', async (_what, patch) => {
    expectProblem(await soloAdmin.patch(`/api/v1/users/${adminId}`, patch), 409, 'conflict');

    const me = await soloAdmin.get('/api/v1/me');
    expect(me.json<User>()).toMatchObject({ id: adminId, isAdmin: true, active: true });
  });

  it('may step down once another active admin exists', async () => {
    const deputyName = uniqueName('deputy');
    const deputyId = await solo.createUser(deputyName, PASSWORD, true);

    const res = await soloAdmin.patch(`/api/v1/users/${adminId}`, { isAdmin: false });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<User>().isAdmin).toBe(false);
    // The deputy is now the last one, and the rule protects them in turn.
    const deputy = await solo.login(deputyName, PASSWORD);
    expectProblem(await deputy.patch(`/api/v1/users/${deputyId}`, { active: false }), 409, 'conflict');
  });
});

describe('two administrators stepping down at once', () => {
  // A database of its own, so these two are the only admins: their two requests race on it.
  const { server: pair } = useTestServer({ admin: false });

  it('lets exactly one of them go (200) and refuses the other with 409 conflict, leaving one active admin', async () => {
    const deputyName = uniqueName('deputy');
    await pair.createUser(deputyName, PASSWORD, true);
    const admins = [await pair.login(ADMIN.username, ADMIN.password), await pair.login(deputyName, PASSWORD)];
    const ids = await Promise.all(admins.map(async (a) => (await a.get('/api/v1/me')).json<User>().id));

    const answers = await Promise.all(admins.map((a, i) => a.patch(`/api/v1/users/${ids[i]}`, { isAdmin: false })));

    expect(answers.map((r) => r.statusCode).sort((a, b) => a - b), answers.map((r) => r.body).join('\n')).toEqual([200, 409]);
    const refused = answers.findIndex((r) => r.statusCode === 409);
    expectProblem(answers[refused]!, 409, 'conflict');
    const remaining = admins[refused]!;
    const list = await remaining.get('/api/v1/users');
    expect(list.statusCode, list.body).toBe(200);
    const activeAdmins = list.json<{ items: User[] }>().items.filter((u) => u.isAdmin && u.active);
    expect(activeAdmins.map((u) => u.id)).toEqual([ids[refused]]);
  });
});

describe('GET /api/v1/me', () => {
  it('returns the signed-in caller, by session and by API token', async () => {
    const username = uniqueName('self');
    const user = await createUser({ username, password: PASSWORD });
    const session = await server.login(username, PASSWORD);

    const bySession = await session.get('/api/v1/me');
    expect(bySession.statusCode).toBe(200);
    const { quota, ...me } = bySession.json<Me>();
    expect(me).toEqual(user);
    // A new user's quota: config defaults (3 credits, 5 AI uses) and every public machine type.
    expect(quota).toEqual({
      credits: 3,
      creditsUsed: 0,
      creditsLeft: 3,
      active: true,
      allowedTypes: expect.arrayContaining(['small', 'medium', 'large']),
      maxEnvironments: 5,
      aiUsesPerDay: 5,
      idleTimeoutMinutes: 60,
    });
    const byToken = await server.withToken(await createToken(session)).get('/api/v1/me');
    expect(byToken.json<Me>()).toEqual(bySession.json<Me>());
  });

  it('answers 401 unauthorized without credentials', async () => {
    expectProblem(await server.anonymous.get('/api/v1/me'), 401, 'unauthorized');
  });
});

describe('audit of user changes', () => {
  it('writes user.create and user.update rows naming actor and target', async () => {
    const adminId = (await admin.get('/api/v1/me')).json<User>().id;
    const user = await createUser({ username: uniqueName('audited'), password: PASSWORD });
    await admin.patch(`/api/v1/users/${user.id}`, { email: 'audited@example.com' });

    const rows = await server.database.db.select().from(auditLog).where(eq(auditLog.targetId, user.id)).orderBy(asc(auditLog.id));
    expect(rows.map((r) => [r.action, r.success, r.actorId])).toEqual([
      ['user.create', true, adminId],
      ['user.update', true, adminId],
    ]);
    expect(rows[1]?.metadata).toEqual({ changed: ['email'] });
  });

  it('never writes a password into any audit row, whether the change succeeds or fails', async () => {
    const username = uniqueName('secretive');
    const passwords = ['pw-on-create-7f3a91', 'pw-on-update-2b8c44', 'pw-on-refused-create-9d1e07', 'pw-on-failed-login-5a6b23'];
    const user = await createUser({ username, password: passwords[0]! });
    expect((await admin.patch(`/api/v1/users/${user.id}`, { password: passwords[1] })).statusCode).toBe(200);
    expect((await admin.post('/api/v1/users', { username, password: passwords[2] })).statusCode).toBe(409);
    expect((await server.anonymous.post('/api/v1/auth/login', { username, password: passwords[3] })).statusCode).toBe(401);

    const rows = await server.database.db.select().from(auditLog);
    const serialized = JSON.stringify(rows, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
    expect(serialized).toContain(username); // the rows are there to search
    for (const password of passwords) expect(serialized).not.toContain(password);
  });
});
