import type { AuditEntry, Problem, User } from '@berth/contracts';
import { describe, expect, it } from 'vitest';
import { ADMIN } from './support/server.js';
import { useTestServer } from './support/test-server.js';

const LOGIN = '/api/v1/auth/login';
const INVALID = 'Invalid username or password';

const { server, admin } = useTestServer();

const login = (username: string, password: string) => server.anonymous.post(LOGIN, { username, password });

async function auditEntries(action: string): Promise<AuditEntry[]> {
  const res = await admin.get(`/api/v1/audit?action=${encodeURIComponent(action)}&limit=500`);
  expect(res.statusCode).toBe(200);
  return res.json<{ items: AuditEntry[] }>().items;
}

/** A problem body without the parts that differ on every request. */
function stable(problem: Problem): Partial<Problem> {
  return { ...problem, requestId: undefined, instance: undefined };
}

describe('POST /api/v1/auth/login', () => {
  it('answers 200 with the user and sets an HttpOnly, SameSite=Lax session cookie that authenticates', async () => {
    const res = await login(ADMIN.username, ADMIN.password);

    expect(res.statusCode).toBe(200);
    const { user } = res.json<{ user: User }>();
    expect(user).toMatchObject({ username: ADMIN.username, isAdmin: true, active: true });
    expect(user).not.toHaveProperty('passwordHash');
    const cookie = res.cookies.find((c) => c.name === 'berth_session');
    expect(cookie).toBeDefined();
    expect(cookie!.value).not.toBe('');
    expect(cookie!.httpOnly).toBe(true);
    expect(cookie!.sameSite).toBe('Lax');
    expect(cookie!.path).toBe('/');

    const me = await server.anonymous.get('/api/v1/me', { cookie: `berth_session=${cookie!.value}` });
    expect(me.statusCode).toBe(200);
    expect(me.json<User>().id).toBe(user.id);
  });

  it('refuses a wrong password and an unknown user with the same 401 problem, differing only in request id', async () => {
    const wrongPassword = await login(ADMIN.username, 'not-the-admin-password');
    const unknownUser = await login('nobody-by-this-name', 'not-the-admin-password');

    expect(wrongPassword.statusCode).toBe(401);
    expect(unknownUser.statusCode).toBe(401);
    expect(wrongPassword.headers['content-type']).toBe(unknownUser.headers['content-type']);
    expect(wrongPassword.cookies).toEqual([]);
    expect(unknownUser.cookies).toEqual([]);
    const a = wrongPassword.json<Problem>();
    const b = unknownUser.json<Problem>();
    expect(a).toMatchObject({ code: 'unauthorized', status: 401, detail: INVALID });
    expect(a.requestId).not.toBe(b.requestId);
    expect(stable(a)).toEqual(stable(b));
  });

  it('matches the username whatever its letter case', async () => {
    const id = await server.createUser('Ada.Lovelace', 'ada-long-password-1');

    for (const spelling of ['Ada.Lovelace', 'ada.lovelace', 'ADA.LOVELACE']) {
      const res = await login(spelling, 'ada-long-password-1');
      expect(res.statusCode, spelling).toBe(200);
      expect(res.json<{ user: User }>().user).toMatchObject({ id, username: 'Ada.Lovelace' });
    }
  });

  it('refuses an inactive user with the right password, saying no more than for a wrong one', async () => {
    const id = await server.createUser('inactive-ivy', 'ivy-long-password-1');
    expect((await login('inactive-ivy', 'ivy-long-password-1')).statusCode).toBe(200);
    expect((await admin.patch(`/api/v1/users/${id}`, { active: false })).statusCode).toBe(200);

    const res = await login('inactive-ivy', 'ivy-long-password-1');

    expect(res.statusCode).toBe(401);
    expect(res.json<Problem>()).toMatchObject({ code: 'unauthorized', detail: INVALID });
    expect(res.cookies).toEqual([]);
  });
});

describe('POST /api/v1/auth/logout', () => {
  it('answers 204 and ends the session on the server, so the same cookie is then refused', async () => {
    await server.createUser('logout-lou', 'lou-long-password-1');
    const lou = await server.login('logout-lou', 'lou-long-password-1');
    expect((await lou.get('/api/v1/me')).statusCode).toBe(200);

    const res = await lou.post('/api/v1/auth/logout');

    expect(res.statusCode).toBe(204);
    // The caller keeps sending the old cookie: only a server-side end of the session explains a 401.
    const after = await lou.get('/api/v1/me');
    expect(after.statusCode).toBe(401);
    expect(after.json<Problem>().code).toBe('unauthorized');
  });

  it('ends only the session it is called with, not the same user\'s other sessions', async () => {
    await server.createUser('two-tabs-tom', 'tom-long-password-1');
    const first = await server.login('two-tabs-tom', 'tom-long-password-1');
    const second = await server.login('two-tabs-tom', 'tom-long-password-1');

    expect((await first.post('/api/v1/auth/logout')).statusCode).toBe(204);

    expect((await first.get('/api/v1/me')).statusCode).toBe(401);
    expect((await second.get('/api/v1/me')).statusCode).toBe(200);
  });
});

describe('login auditing', () => {
  it('records a successful sign-in as user.login, with the user as actor', async () => {
    const id = await server.createUser('audited-amy', 'amy-long-password-1');
    expect((await login('audited-amy', 'amy-long-password-1')).statusCode).toBe(200);

    const entries = (await auditEntries('user.login')).filter((e) => e.targetId === id);

    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ action: 'user.login', success: true, actorId: id, actorUsername: 'audited-amy', targetType: 'user' });
  });

  it('records failed sign-ins as user.login_failed with success false, for known and unknown usernames', async () => {
    const id = await server.createUser('failing-fay', 'fay-long-password-1');
    expect((await login('failing-fay', 'not-fays-password')).statusCode).toBe(401);
    expect((await login('ghost-of-fay', 'whatever-password')).statusCode).toBe(401);

    const entries = await auditEntries('user.login_failed');

    const wrong = entries.find((e) => e.metadata.username === 'failing-fay');
    expect(wrong).toMatchObject({ success: false, targetId: id, message: 'wrong password' });
    const unknown = entries.find((e) => e.metadata.username === 'ghost-of-fay');
    expect(unknown).toMatchObject({ success: false, targetId: null, message: 'unknown user' });
    // The attempted password is never written down.
    expect(JSON.stringify(entries)).not.toContain('not-fays-password');
  });
});
