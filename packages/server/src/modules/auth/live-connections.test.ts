import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors.js';
import { createLiveConnections, revokes, type Principal, type Revocation } from './live-connections.js';

const ADA = '00000000-0000-4000-8000-00000000000a';
const BOB = '00000000-0000-4000-8000-00000000000b';
const S1 = '00000000-0000-4000-8000-000000000051';
const S2 = '00000000-0000-4000-8000-000000000052';
const T1 = '00000000-0000-4000-8000-000000000071';

const session = (credentialId: string, userId = ADA): Principal => ({ userId, via: 'session', credentialId });
const token = (credentialId: string, userId = ADA): Principal => ({ userId, via: 'token', credentialId });
const owner: Principal = { userId: ADA };

describe('revokes', () => {
  it.each<[string, Revocation, Principal, boolean]>([
    ['a deactivated user: their session', { scope: 'user', userId: ADA }, session(S1), true],
    ['a deactivated user: their token', { scope: 'user', userId: ADA }, token(T1), true],
    ['a deactivated user: a sandbox stream they own', { scope: 'user', userId: ADA }, owner, true],
    ['a deactivated user: someone else', { scope: 'user', userId: ADA }, session(S1, BOB), false],
    ['ended sessions: a session', { scope: 'sessions', userId: ADA }, session(S1), true],
    ['ended sessions: the one kept', { scope: 'sessions', userId: ADA, except: S1 }, session(S1), false],
    ['ended sessions: another one', { scope: 'sessions', userId: ADA, except: S1 }, session(S2), true],
    ['ended sessions: a token', { scope: 'sessions', userId: ADA }, token(T1), false],
    ['ended sessions: a sandbox stream', { scope: 'sessions', userId: ADA }, owner, false],
    ['revoked tokens: a token', { scope: 'tokens', userId: ADA }, token(T1), true],
    ['revoked tokens: a session', { scope: 'tokens', userId: ADA }, session(S1), false],
    ['revoked tokens: a sandbox stream (its access token is not an API token)', { scope: 'tokens', userId: ADA }, owner, false],
    ['one credential: it', { scope: 'credential', userId: ADA, credentialId: T1 }, token(T1), true],
    ['one credential: another', { scope: 'credential', userId: ADA, credentialId: T1 }, session(S1), false],
  ])('%s → %s', (_what, revocation, principal, expected) => {
    expect(revokes(revocation, principal)).toBe(expected);
  });
});

describe('live connections', () => {
  it('closes only what a revocation covers, once, and forgets it', () => {
    const live = createLiveConnections({ maxSocketsPerUser: 10 });
    const closed: string[] = [];
    live.open(session(S1), 'socket', () => closed.push('s1'));
    live.open(token(T1), 'socket', () => closed.push('t1'));
    live.open(session(S1, BOB), 'socket', () => closed.push('bob'));
    expect(live.revoke({ scope: 'credential', userId: ADA, credentialId: T1 })).toBe(1);
    expect(live.revoke({ scope: 'credential', userId: ADA, credentialId: T1 })).toBe(0);
    expect(closed).toEqual(['t1']);
    expect(live.revoke({ scope: 'user', userId: ADA })).toBe(1);
    expect(closed).toEqual(['t1', 's1']);
    expect(live.count(ADA)).toBe(0);
    expect(live.count(BOB)).toBe(1);
  });

  it('keeps closing the others when one close throws', () => {
    const live = createLiveConnections({ maxSocketsPerUser: 10 });
    let closed = 0;
    live.open(session(S1), 'socket', () => {
      throw new Error('already gone');
    });
    live.open(session(S2), 'socket', () => void closed++);
    expect(live.revoke({ scope: 'user', userId: ADA })).toBe(2);
    expect(closed).toBe(1);
  });

  it('caps WebSockets per user (not streams, not other users), and a released slot is free again', () => {
    const live = createLiveConnections({ maxSocketsPerUser: 2 });
    const first = live.open(session(S1), 'socket', () => undefined);
    live.open(session(S1), 'socket', () => undefined);
    const refused = (() => {
      try {
        live.open(session(S1), 'socket', () => undefined);
      } catch (err) {
        return err;
      }
    })();
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('socket_limit');
    expect(() => live.open(owner, 'stream', () => undefined)).not.toThrow();
    expect(() => live.open(session(S1, BOB), 'socket', () => undefined)).not.toThrow();
    first();
    first(); // releasing twice frees one slot, not two
    live.open(session(S1), 'socket', () => undefined);
    expect(() => live.open(session(S1), 'socket', () => undefined)).toThrow(AppError);
  });

  it('refuses a connection authenticated before a revocation that covers it, and only that', () => {
    const live = createLiveConnections({ maxSocketsPerUser: 10 });
    const since = live.epoch();
    live.revoke({ scope: 'credential', userId: ADA, credentialId: T1 });
    expect(() => live.open(token(T1), 'socket', () => undefined, since)).toThrow(/revoked/);
    expect(() => live.open(session(S1), 'socket', () => undefined, since)).not.toThrow();
    // Authenticated after the revocation: the database said yes, so it stands.
    expect(() => live.open(token(T1), 'socket', () => undefined, live.epoch())).not.toThrow();
  });
});
