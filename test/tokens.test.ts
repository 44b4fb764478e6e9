import type { CreatedToken, Problem, Token, User } from '@berth/contracts';
import { eq, sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { apiTokens } from '../packages/server/src/db/schema.js';
import type { Caller } from './support/server.js';
import { useTestServer } from './support/test-server.js';

const PASSWORD = 'a-long-enough-password';
const DAY_MS = 86_400_000;

const { server, admin } = useTestServer();

/** A new user signed in with a cookie. */
async function newUser(username: string): Promise<{ id: string; session: Caller }> {
  const id = await server.createUser(username, PASSWORD);
  return { id, session: await server.login(username, PASSWORD) };
}

async function createToken(owner: Caller, body: { name: string; expiresInDays?: number }): Promise<CreatedToken> {
  const res = await owner.post('/api/v1/tokens', body);
  expect(res.statusCode).toBe(201);
  return res.json<CreatedToken>();
}

function expectUnauthorized(res: LightMyRequestResponse): void {
  expect(res.statusCode).toBe(401);
  expect(res.json<Problem>().code).toBe('unauthorized');
}

describe('creating and listing API tokens', () => {
  it('POST /tokens answers 201 with the secret, its prefix and no expiry by default', async () => {
    const { session } = await newUser('token-tina');

    const res = await session.post('/api/v1/tokens', { name: 'laptop' });

    expect(res.statusCode).toBe(201);
    const created = res.json<CreatedToken>();
    expect(created).toMatchObject({ name: 'laptop', expiresAt: null, lastUsedAt: null });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.token).toMatch(/^berth_[\w-]{43}$/);
    expect(created.token.startsWith(created.prefix)).toBe(true);
    expect(created.prefix.length).toBeLessThan(created.token.length / 2);
  });

  it('stores only a hash of the secret: no column of the token row, nor the audit log, holds it', async () => {
    const { session } = await newUser('hashed-hal');
    const created = await createToken(session, { name: 'ci' });

    const [row] = await server.database.db.select().from(apiTokens).where(eq(apiTokens.id, created.id));
    expect(row).toBeDefined();
    expect(row!.tokenHash).not.toBe(created.token);
    expect(row!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    for (const [column, value] of Object.entries(row!)) {
      expect(String(value), column).not.toContain(created.token);
    }
    const stored = await server.database.db.execute(sql`
      select t::text as row from api_tokens t
      union all select a::text from audit_log a`);
    const rows = (stored as unknown as { rows: { row: string }[] }).rows;
    expect(rows.length).toBeGreaterThan(1);
    expect(rows.filter((r) => r.row.includes(created.token))).toEqual([]);
  });

  it('GET /tokens lists the caller\'s token without its secret', async () => {
    const { session } = await newUser('listing-lee');
    const created = await createToken(session, { name: 'deploy bot' });

    const res = await session.get('/api/v1/tokens');

    expect(res.statusCode).toBe(200);
    const { items } = res.json<{ items: Token[] }>();
    expect(items).toEqual([
      { id: created.id, name: 'deploy bot', prefix: created.prefix, scope: 'admin', createdAt: created.createdAt, expiresAt: null, lastUsedAt: null },
    ]);
    expect(res.body).not.toContain(created.token);
  });

  it('expiresInDays sets expiresAt that many days from now', async () => {
    const { session } = await newUser('expiring-eve');
    const before = Date.now();

    const created = await createToken(session, { name: 'short-lived', expiresInDays: 30 });

    const after = Date.now();
    expect(created.expiresAt).not.toBeNull();
    const expiresAt = Date.parse(created.expiresAt!);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 30 * DAY_MS);
    expect(expiresAt).toBeLessThanOrEqual(after + 30 * DAY_MS);
  });
});

describe('authenticating with a bearer token', () => {
  it('a created token authenticates GET /me as its owner', async () => {
    const { id, session } = await newUser('bearer-bea');
    const { token } = await createToken(session, { name: 'cli' });

    const res = await server.withToken(token).get('/api/v1/me');

    expect(res.statusCode).toBe(200);
    expect(res.json<User>()).toMatchObject({ id, username: 'bearer-bea' });
  });

  it('refuses a token whose expiry has passed', async () => {
    const { session } = await newUser('stale-stan');
    const created = await createToken(session, { name: 'old', expiresInDays: 1 });
    const bearer = server.withToken(created.token);
    expect((await bearer.get('/api/v1/me')).statusCode).toBe(200);

    await server.database.db
      .update(apiTokens)
      .set({ expiresAt: sql`now() - interval '1 minute'` })
      .where(eq(apiTokens.id, created.id));

    expectUnauthorized(await bearer.get('/api/v1/me'));
    const listed = (await session.get('/api/v1/tokens')).json<{ items: Token[] }>().items;
    expect(listed.map((t) => t.id)).not.toContain(created.id);
  });

  it('refuses a bearer secret that was never issued', async () => {
    expectUnauthorized(await server.withToken('berth_this-is-not-a-real-token-at-all').get('/api/v1/me'));
  });

  it('refuses an Authorization header that is not "Bearer <token>"', async () => {
    for (const authorization of ['Basic x', 'Bearer', 'Bearer two parts']) {
      const res = await server.anonymous.get('/api/v1/me', { authorization });
      expect(res.statusCode, authorization).toBe(401);
      expect(res.json<Problem>().code, authorization).toBe('unauthorized');
    }
  });
});

describe('revoking tokens', () => {
  it('DELETE /tokens/:id answers 204, after which the token is refused and no longer listed', async () => {
    const { session } = await newUser('revoking-rae');
    const created = await createToken(session, { name: 'to revoke' });
    const bearer = server.withToken(created.token);
    expect((await bearer.get('/api/v1/me')).statusCode).toBe(200);

    const res = await session.delete(`/api/v1/tokens/${created.id}`);

    expect(res.statusCode).toBe(204);
    expectUnauthorized(await bearer.get('/api/v1/me'));
    const listed = (await session.get('/api/v1/tokens')).json<{ items: Token[] }>().items;
    expect(listed.map((t) => t.id)).not.toContain(created.id);
  });

  it('answers 404 for another user\'s token id and leaves that token working', async () => {
    const owner = await newUser('owner-olga');
    const other = await newUser('other-otto');
    const created = await createToken(owner.session, { name: 'olga only' });

    const res = await other.session.delete(`/api/v1/tokens/${created.id}`);

    expect(res.statusCode).toBe(404);
    expect(res.json<Problem>().code).toBe('not_found');
    expect((await server.withToken(created.token).get('/api/v1/me')).json<User>().id).toBe(owner.id);
  });

  it('deactivating a user makes both their token and their session refused', async () => {
    const { id, session } = await newUser('leaving-liz');
    const { token } = await createToken(session, { name: 'before leaving' });
    const bearer = server.withToken(token);
    expect((await bearer.get('/api/v1/me')).statusCode).toBe(200);
    expect((await session.get('/api/v1/me')).statusCode).toBe(200);

    const res = await admin.patch(`/api/v1/users/${id}`, { active: false });

    expect(res.statusCode).toBe(200);
    expect(res.json<User>().active).toBe(false);
    expectUnauthorized(await bearer.get('/api/v1/me'));
    expectUnauthorized(await session.get('/api/v1/me'));
  });
});
