import type { AuditEntry } from '@berth/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from './support/problem.js';
import { ADMIN, startTestServer, type Caller, type TestServer } from './support/server.js';

/**
 * POST /api/v1/me/password: a user changes their own password by proving the
 * current one. (That the change also closes live sockets is in revocation.test.ts.)
 */
const MAX_FAILURES = 3;
let server: TestServer;
let admin: Caller;

async function audit(action: string, targetId: string): Promise<AuditEntry[]> {
  const res = await admin.get(`/api/v1/audit?action=${action}&targetId=${targetId}&limit=100`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ items: AuditEntry[] }>().items;
}

async function newToken(caller: Caller): Promise<string> {
  const res = await caller.post('/api/v1/tokens', { name: 'cli' });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ token: string }>().token;
}

const canSignIn = async (username: string, password: string) => (await server.anonymous.post('/api/v1/auth/login', { username, password })).statusCode === 200;

beforeAll(async () => {
  server = await startTestServer({ BERTH_LOGIN_MAX_FAILURES_PER_USER: String(MAX_FAILURES) });
  admin = await server.login(ADMIN.username, ADMIN.password);
});
afterAll(() => server.close());

describe('changing one\'s own password', () => {
  it('refuses a wrong current password with 403 wrong_password, audits the refusal, and changes nothing', async () => {
    const { id, caller } = await server.signUp('wanda', 'wanda-password-1234');
    const other = await server.login('wanda', 'wanda-password-1234');
    const res = await caller.post('/api/v1/me/password', { currentPassword: 'not-my-password', newPassword: 'wanda-new-password-1' });
    expectProblem(res, 403, 'wrong_password');
    const [row] = await audit('user.password_change', id);
    expect(row).toMatchObject({ success: false, actorId: id, metadata: { code: 'wrong_password' } });
    expect(await canSignIn('wanda', 'wanda-password-1234')).toBe(true);
    expect(await canSignIn('wanda', 'wanda-new-password-1')).toBe(false);
    expect((await other.get('/api/v1/me')).statusCode).toBe(200);
  });

  it('sets the new password, ends the other sessions but not the asking one, keeps tokens, and audits it', async () => {
    const { id, caller } = await server.signUp('otto', 'otto-password-1234');
    const other = await server.login('otto', 'otto-password-1234');
    const token = await newToken(caller);
    const res = await caller.post('/api/v1/me/password', { currentPassword: 'otto-password-1234', newPassword: 'otto-new-password-1' });
    expect(res.statusCode, res.body).toBe(204);
    expect((await caller.get('/api/v1/me')).statusCode).toBe(200);
    expect((await other.get('/api/v1/me')).statusCode).toBe(401);
    expect((await server.withToken(token).get('/api/v1/me')).statusCode).toBe(200);
    expect(await canSignIn('otto', 'otto-password-1234')).toBe(false);
    expect(await canSignIn('otto', 'otto-new-password-1')).toBe(true);
    const [row] = await audit('user.password_change', id);
    expect(row).toMatchObject({ success: true, actorId: id, metadata: { endedSessions: 1, revokedTokens: 0, revokeTokens: false } });
    expect(JSON.stringify(row)).not.toContain('otto-new-password-1');
  });

  it('with revokeTokens, also revokes every API token of the user', async () => {
    const { id, caller } = await server.signUp('tess', 'tess-password-1234');
    const tokens = [await newToken(caller), await newToken(caller)];
    const res = await caller.post('/api/v1/me/password', { currentPassword: 'tess-password-1234', newPassword: 'tess-new-password-1', revokeTokens: true });
    expect(res.statusCode, res.body).toBe(204);
    for (const token of tokens) expect((await server.withToken(token).get('/api/v1/me')).statusCode).toBe(401);
    expect((await caller.get('/api/v1/tokens')).json<{ items: unknown[] }>().items).toEqual([]);
    const [row] = await audit('user.password_change', id);
    expect(row).toMatchObject({ success: true, metadata: { revokedTokens: 2, revokeTokens: true } });
  });

  it.each([
    ['no body', undefined],
    ['an empty object', {}],
    ['no current password', { newPassword: 'a-long-enough-password' }],
    ['an empty current password', { currentPassword: '', newPassword: 'a-long-enough-password' }],
    ['a new password shorter than 12', { currentPassword: 'vera-password-1234', newPassword: 'short' }],
    ['a new password longer than 256', { currentPassword: 'vera-password-1234', newPassword: 'x'.repeat(257) }],
    ['revokeTokens that is not a boolean', { currentPassword: 'vera-password-1234', newPassword: 'a-long-enough-password', revokeTokens: 'yes' }],
    ['an unknown field', { currentPassword: 'vera-password-1234', newPassword: 'a-long-enough-password', userId: 'someone-else' }],
  ])('refuses %s with 400 and changes nothing', async (_what, body) => {
    const vera = await server.login('vera', 'vera-password-1234').catch(async () => (await server.signUp('vera', 'vera-password-1234')).caller);
    expectProblem(await vera.post('/api/v1/me/password', body), 400, 'validation_failed');
    expect(await canSignIn('vera', 'vera-password-1234')).toBe(true);
  });

  it('refuses a signed-out caller with 401', async () => {
    expectProblem(await server.anonymous.post('/api/v1/me/password', { currentPassword: 'x', newPassword: 'a-long-enough-password' }), 401, 'unauthorized');
  });

  it(`counts wrong current passwords like failed sign-ins: after ${MAX_FAILURES}, even the right one gets 429 rate_limited, audited`, async () => {
    const { id, caller } = await server.signUp('gus', 'gus-password-12345');
    for (let i = 0; i < MAX_FAILURES; i++) {
      expectProblem(await caller.post('/api/v1/me/password', { currentPassword: `guess-${i}`, newPassword: 'gus-new-password-1' }), 403, 'wrong_password');
    }
    const res = await caller.post('/api/v1/me/password', { currentPassword: 'gus-password-12345', newPassword: 'gus-new-password-1' });
    expectProblem(res, 429, 'rate_limited');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect((await audit('user.password_change', id))[0]).toMatchObject({ success: false, metadata: { code: 'rate_limited' } });
    // The guesses spent the sign-in budget too: one limit for the password, whichever door is tried.
    expect((await server.anonymous.post('/api/v1/auth/login', { username: 'gus', password: 'gus-password-12345' })).statusCode).toBe(429);
  });
});

describe('an admin setting a password', () => {
  it('with revokeTokens revokes the user\'s tokens and ends their sessions; a non-admin cannot', async () => {
    const { id, caller } = await server.signUp('ivy', 'ivy-password-12345');
    const token = await newToken(caller);
    expectProblem(await caller.patch(`/api/v1/users/${id}`, { password: 'ivy-password-67890', revokeTokens: true }), 403, 'forbidden');
    expect((await server.withToken(token).get('/api/v1/me')).statusCode).toBe(200);

    const res = await admin.patch(`/api/v1/users/${id}`, { password: 'ivy-password-67890', revokeTokens: true });
    expect(res.statusCode, res.body).toBe(200);
    expect((await server.withToken(token).get('/api/v1/me')).statusCode).toBe(401);
    expect((await caller.get('/api/v1/me')).statusCode).toBe(401);
    expect((await audit('user.update', id))[0]).toMatchObject({ success: true, metadata: { endedSessions: 1, revokedTokens: 1 } });
  });
});
