import type { ChangePasswordBody, LoginBody, User } from '@berth/contracts';
import { requireActor, type Actor, type RequestContext } from '../../context.js';
import type { Db } from '../../db/client.js';
import { AppError, ForbiddenError, NotFoundError, RateLimitedError, UnauthorizedError } from '../../errors.js';
import type { OrgsRepo } from '../orgs/orgs.repo.js';
import type { AuditService } from '../audit/audit.service.js';
import type { TokensRepo } from '../tokens/tokens.repo.js';
import { toUser } from '../users/users.mapper.js';
import type { UserRow, UsersRepo } from '../users/users.repo.js';
import type { Revocation } from './live-connections.js';
import type { LoginThrottleRepo } from './login-throttle.repo.js';
import type { Revocations } from './revocations.js';
import { hashPassword, hashSecret, newSecret, verifyPassword } from './auth.secrets.js';
import type { SessionsRepo } from './sessions.repo.js';

interface Deps {
  db: Db;
  usersRepo: Pick<UsersRepo, 'findByUsername' | 'findById' | 'update'>;
  sessionsRepo: SessionsRepo;
  orgsRepo: Pick<OrgsRepo, 'membership'>;
  tokensRepo: Pick<TokensRepo, 'findUsable' | 'touch' | 'revokeAllForUser'>;
  throttleRepo: LoginThrottleRepo;
  audit: AuditService;
  revocations: Pick<Revocations, 'announce' | 'apply'>;
  sessionTtlHours: number;
  throttle: { windowSeconds: number; maxFailuresPerUser: number; maxFailuresPerIp: number };
}

const INVALID = 'Invalid username or password';
/** Token last-use is a hint, not a log: write it at most this often per token. */
const TOUCH_EVERY_MS = 60_000;

export function createAuthService(deps: Deps) {
  const { db, audit } = deps;
  // Unknown usernames are checked against this, so they cost the same as a wrong password.
  const dummyHash = hashPassword(newSecret('dummy'));

  /**
   * Counts this attempt against the username and the client address before the
   * password is checked; returns the keys counted and how long to wait if over a limit.
   */
  async function countAttempt(username: string, ip: string | null): Promise<{ keys: string[]; wait: number }> {
    const { windowSeconds, maxFailuresPerUser, maxFailuresPerIp } = deps.throttle;
    const limits: [string, number][] = [[`user:${username}`, maxFailuresPerUser]];
    if (ip) limits.push([`ip:${ip}`, maxFailuresPerIp]);
    const counted = await Promise.all(limits.map(([key]) => deps.throttleRepo.count(db, key, windowSeconds)));
    const waits = counted.map((c, i) => (c.count > limits[i]![1] ? c.resetsIn : 0));
    return { keys: limits.map(([key]) => key), wait: Math.max(...waits) };
  }

  async function login(ctx: RequestContext, body: LoginBody): Promise<{ user: User; secret: string; expiresAt: Date }> {
    const username = body.username.toLowerCase();
    const { keys, wait } = await countAttempt(username, ctx.ip);
    if (wait > 0) {
      await audit.record(ctx, 'user.login_throttled', { message: 'too many failed logins', metadata: { username } }, false);
      throw new RateLimitedError(`Too many failed sign-ins; try again in ${wait} seconds`, wait);
    }

    const user = await deps.usersRepo.findByUsername(db, username);
    const ok = await verifyPassword(user?.passwordHash ?? (await dummyHash), body.password);
    if (!user || !ok || !user.active) {
      const reason = !user ? 'unknown user' : !ok ? 'wrong password' : 'user inactive';
      await audit.record(ctx, 'user.login_failed', { targetType: 'user', targetId: user?.id, message: reason, metadata: { username } }, false);
      throw new UnauthorizedError(INVALID);
    }
    // Only failures count against the limits: give back what this success took.
    await Promise.all(keys.map((key) => deps.throttleRepo.uncount(db, key)));

    const secret = newSecret('bs');
    const expiresAt = new Date(Date.now() + deps.sessionTtlHours * 3_600_000);
    const rec = { targetType: 'user', targetId: user.id, actor: user, message: 'signed in' };
    await audit.mutate(ctx, 'user.login', rec, async (tx) => {
      await deps.sessionsRepo.deleteExpiredForUser(tx, user.id);
      await deps.sessionsRepo.insert(tx, { userId: user.id, tokenHash: hashSecret(secret), ip: ctx.ip, userAgent: ctx.userAgent, expiresAt });
    });
    return { user: toUser(user), secret, expiresAt };
  }

  async function logout(ctx: RequestContext): Promise<void> {
    const actor = ctx.actor;
    // A bearer token is not a session: revoking it is DELETE /tokens/:id.
    if (!actor || actor.via !== 'session') return;
    const ended: Revocation = { scope: 'credential', userId: actor.id, credentialId: actor.credentialId };
    await audit.mutate(ctx, 'user.logout', { targetType: 'user', targetId: actor.id }, async (tx) => {
      await deps.sessionsRepo.delete(tx, actor.credentialId);
      await deps.revocations.announce(tx, ended);
    });
    deps.revocations.apply(ended);
  }

  /**
   * The caller's own password, proven by the current one. Other sessions end
   * (the one asking stays signed in), with `revokeTokens` every API token too,
   * and whatever those opened closes.
   */
  async function changePassword(ctx: RequestContext, body: ChangePasswordBody): Promise<void> {
    const actor = requireActor(ctx);
    const action = 'user.password_change';
    const rec = { targetType: 'user', targetId: actor.id, metadata: { revokeTokens: body.revokeTokens ?? false } };
    let counted: string[] = [];
    await audit.precheck(ctx, action, rec, async () => {
      // Someone holding a stolen session must not learn the password by guessing here: guesses count as failed sign-ins.
      const { keys, wait } = await countAttempt(actor.username.toLowerCase(), ctx.ip);
      counted = keys;
      if (wait > 0) throw new RateLimitedError(`Too many wrong passwords; try again in ${wait} seconds`, wait);
      const user = await deps.usersRepo.findById(db, actor.id);
      if (!user || !(await verifyPassword(user.passwordHash, body.currentPassword))) throw new AppError('wrong_password', 'The current password is wrong');
    });
    await Promise.all(counted.map((key) => deps.throttleRepo.uncount(db, key)));

    const passwordHash = await hashPassword(body.newPassword);
    const keep = actor.via === 'session' ? actor.credentialId : undefined;
    const revoked: Revocation[] = [{ scope: 'sessions', userId: actor.id, ...(keep ? { except: keep } : {}) }];
    if (body.revokeTokens) revoked.push({ scope: 'tokens', userId: actor.id });
    await audit.mutate(ctx, action, rec, async (tx, r) => {
      await deps.usersRepo.update(tx, actor.id, { passwordHash });
      const endedSessions = await deps.sessionsRepo.deleteForUser(tx, actor.id, keep);
      const revokedTokens = body.revokeTokens ? await deps.tokensRepo.revokeAllForUser(tx, actor.id) : 0;
      r.metadata = { ...r.metadata, endedSessions, revokedTokens };
      await deps.revocations.announce(tx, ...revoked);
    });
    deps.revocations.apply(...revoked);
  }

  /**
   * Who the credential belongs to, acting in which organization: a token in its
   * own (naming another is refused), a session in the one named (it must be a
   * member: 404 otherwise, as for anything of an organization one is not in),
   * else in the user's personal organization. A token of a suspended
   * organization is refused any change (`mutating`).
   */
  async function authenticate(credential: { kind: 'session' | 'token'; secret: string; org?: string; mutating?: boolean }): Promise<Actor | null> {
    const tokenHash = hashSecret(credential.secret);
    if (credential.kind === 'session') {
      const found = await deps.sessionsRepo.findLive(db, tokenHash);
      if (!found) return null;
      if (credential.org === undefined) return actorOf(found.user, 'session', found.sessionId, { orgId: found.user.personalOrgId, role: 'owner' });
      const member = await deps.orgsRepo.membership(db, { slug: credential.org }, found.user.id);
      if (!member) throw new NotFoundError('Organization');
      return actorOf(found.user, 'session', found.sessionId, { orgId: member.org.id, role: member.role });
    }
    const found = await deps.tokensRepo.findUsable(db, tokenHash);
    if (!found) return null;
    // A suspended organization keeps its data readable, but its tokens change nothing.
    if (credential.mutating && found.orgStatus === 'suspended') throw new AppError('organization_suspended', "The token's organization is suspended: it may only read");
    if (credential.org !== undefined) {
      const member = await deps.orgsRepo.membership(db, { id: found.token.orgId }, found.user.id);
      if (member?.org.slug.toLowerCase() !== credential.org.toLowerCase()) throw new ForbiddenError('An API token acts only in the organization it was made in');
    }
    if (!found.token.lastUsedAt || Date.now() - found.token.lastUsedAt.getTime() > TOUCH_EVERY_MS) {
      await deps.tokensRepo.touch(db, found.token.id);
    }
    return actorOf(found.user, 'token', found.token.id, { orgId: found.token.orgId, role: found.role }, found.token.scope);
  }

  return { login, logout, changePassword, authenticate };
}

export type AuthService = ReturnType<typeof createAuthService>;

const actorOf = (u: UserRow, via: Actor['via'], credentialId: string, org: { orgId: string; role: Actor['orgRole'] }, scope: Actor['scope'] = 'admin'): Actor => ({
  id: u.id,
  username: u.username,
  isAdmin: u.isAdmin,
  orgId: org.orgId,
  orgRole: org.role,
  via,
  credentialId,
  scope,
});
