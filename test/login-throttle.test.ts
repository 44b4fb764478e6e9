import type { Problem } from '@berth/contracts';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, startTestServer, type TestServer } from './support/server.js';

const LOGIN = '/api/v1/auth/login';
/** The default window (BERTH_LOGIN_WINDOW_SECONDS): no wait can be longer. */
const WINDOW_SECONDS = 15 * 60;

/** Signs in from a given client address (inject's default is 127.0.0.1). */
function loginFrom(server: TestServer, remoteAddress: string, username: string, password: string) {
  return server.app.inject({ method: 'POST', url: LOGIN, payload: { username, password }, remoteAddress });
}

function expectThrottled(res: LightMyRequestResponse): void {
  expect(res.statusCode).toBe(429);
  expect(res.json<Problem>()).toMatchObject({ code: 'rate_limited', status: 429 });
  const retryAfter = res.headers['retry-after'];
  expect(retryAfter).toMatch(/^\d+$/);
  expect(Number(retryAfter)).toBeGreaterThan(0);
  expect(Number(retryAfter)).toBeLessThanOrEqual(WINDOW_SECONDS);
  expect(res.cookies).toEqual([]);
}

describe('per-username login throttle', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ BERTH_LOGIN_MAX_FAILURES_PER_USER: '3' });
    await server.createUser('bob', 'bobs-long-password-1');
    await server.createUser('carol', 'carols-long-password-1');
  });
  afterAll(() => server.close());

  it('after 3 failures refuses the 4th attempt with 429 and a Retry-After, even with the right password', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await server.anonymous.post(LOGIN, { username: 'bob', password: `wrong-${i}` })).statusCode).toBe(401);
    }

    const res = await server.anonymous.post(LOGIN, { username: 'bob', password: 'bobs-long-password-1' });

    expectThrottled(res);
  });

  it('counts failures under any letter case of the username against the same account', async () => {
    for (const spelling of ['Carol', 'CAROL', 'carol']) {
      expect((await server.anonymous.post(LOGIN, { username: spelling, password: 'wrong-password' })).statusCode).toBe(401);
    }

    expectThrottled(await server.anonymous.post(LOGIN, { username: 'cArOl', password: 'carols-long-password-1' }));
  });

  it('leaves other usernames, from the same address, free to sign in while one is throttled', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await server.anonymous.post(LOGIN, { username: 'dora', password: `wrong-${i}` })).statusCode).toBe(401);
    }
    expectThrottled(await server.anonymous.post(LOGIN, { username: 'dora', password: 'wrong-again' }));

    const res = await server.anonymous.post(LOGIN, { username: ADMIN.username, password: ADMIN.password });

    expect(res.statusCode).toBe(200);
  });

  // Each test below signs in from its own address, so the per-address limit stays out of the way.
  it('of 10 simultaneous wrong-password attempts, answers only 3 with 401 and throttles the other 7 with 429', async () => {
    await server.createUser('erin', 'erins-long-password-1');

    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => loginFrom(server, '192.0.2.10', 'erin', `wrong-${i}`)),
    );

    // Each attempt is counted atomically before its password is checked, so exactly
    // the first 3 counted get that far, however the 10 interleave.
    const statuses = answers.map((res) => res.statusCode).sort((a, b) => a - b);
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
    for (const res of answers.filter((r) => r.statusCode === 429)) expectThrottled(res);
  });

  it('gives back what a successful sign-in counted: after 2 failures and 3 successes, the 3rd failure is still a 401', async () => {
    await server.createUser('fred', 'freds-long-password-1');
    const attempt = (password: string) => loginFrom(server, '192.0.2.11', 'fred', password);
    for (let i = 0; i < 2; i++) expect((await attempt(`wrong-${i}`)).statusCode).toBe(401);
    for (let i = 0; i < 3; i++) expect((await attempt('freds-long-password-1')).statusCode).toBe(200);

    expect((await attempt('wrong-2')).statusCode).toBe(401);

    // The budget was given back exactly, not reset: it is spent now.
    expectThrottled(await attempt('freds-long-password-1'));
  });
});

describe('per-address login throttle', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ BERTH_LOGIN_MAX_FAILURES_PER_IP: '3', BERTH_LOGIN_MAX_FAILURES_PER_USER: '1000' });
  });
  afterAll(() => server.close());

  it('after 3 failures across different usernames refuses the next attempt from that address with 429', async () => {
    for (const username of ['dave', 'erin', 'frank']) {
      expect((await loginFrom(server, '127.0.0.1', username, 'some-password')).statusCode).toBe(401);
    }

    expectThrottled(await loginFrom(server, '127.0.0.1', ADMIN.username, ADMIN.password));
  });

  it('does not throttle requests from another address', async () => {
    for (const username of ['gina', 'hank', 'iris']) {
      expect((await loginFrom(server, '10.0.0.7', username, 'some-password')).statusCode).toBe(401);
    }
    expectThrottled(await loginFrom(server, '10.0.0.7', ADMIN.username, ADMIN.password));

    const res = await loginFrom(server, '10.0.0.9', ADMIN.username, ADMIN.password);

    expect(res.statusCode).toBe(200);
    expect(res.cookies.some((c) => c.name === 'berth_session')).toBe(true);
  });
});
