import type { CreateUserBody, Me, UpdateUserBody, User } from '@berth/contracts';
import type { QuotaDefaults, QuotasService } from '../quotas/quotas.service.js';
import type { RequestContext } from '../../context.js';
import type { Db } from '../../db/client.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import type { AuditService } from '../audit/audit.service.js';
import { authorize } from '../auth/authorize.js';
import type { Revocation } from '../auth/live-connections.js';
import type { Revocations } from '../auth/revocations.js';
import { hashPassword } from '../auth/auth.secrets.js';
import type { SessionsRepo } from '../auth/sessions.repo.js';
import type { TokensRepo } from '../tokens/tokens.repo.js';
import { toUser } from './users.mapper.js';
import type { NewUserRow, UserRow, UsersRepo } from './users.repo.js';
import type { OrgsRepo } from '../orgs/orgs.repo.js';

interface Deps {
  db: Db;
  usersRepo: UsersRepo;
  orgsRepo: Pick<OrgsRepo, 'insert' | 'addMember'>;
  sessionsRepo: Pick<SessionsRepo, 'deleteForUser'>;
  tokensRepo: Pick<TokensRepo, 'revokeAllForUser'>;
  quotas: Pick<QuotasService, 'defaults' | 'createFor' | 'describe'>;
  audit: AuditService;
  revocations: Pick<Revocations, 'announce' | 'apply'>;
}

export function createUsersService({ db, usersRepo, orgsRepo, sessionsRepo, tokensRepo, quotas, audit, revocations }: Deps) {
  /**
   * A user with what every user has: a personal organization that takes their
   * name and that they own, and a quota. Written in the caller's transaction.
   */
  async function insertNew(tx: Db, row: Omit<NewUserRow, 'personalOrgId'>, quotaDefaults: QuotaDefaults): Promise<UserRow> {
    const org = await orgsRepo.insert(tx, { slug: row.username.toLowerCase(), name: row.username, personal: true, status: 'active' }).catch((err: unknown) => {
      throw err instanceof ConflictError ? new ConflictError(`The username "${row.username}" is taken`) : err;
    });
    const created = await usersRepo.insert(tx, { ...row, personalOrgId: org.id });
    await orgsRepo.addMember(tx, org.id, created.id, 'owner');
    await quotas.createFor(tx, created.id, quotaDefaults);
    return created;
  }

  async function me(ctx: RequestContext): Promise<Me> {
    const actor = authorize(ctx.actor, 'own', ctx.actor ? { ownerId: ctx.actor.id } : undefined, 'User');
    const [row, quota] = await Promise.all([usersRepo.findById(db, actor.id), quotas.describe(actor.id)]);
    if (!row) throw new NotFoundError('User');
    return { ...toUser(row), quota };
  }

  async function create(ctx: RequestContext, body: CreateUserBody): Promise<User> {
    authorize(ctx.actor, 'users.manage');
    const [passwordHash, quotaDefaults] = await Promise.all([hashPassword(body.password), quotas.defaults()]);
    const rec = { targetType: 'user', metadata: { username: body.username, isAdmin: body.isAdmin ?? false } };
    const row = await audit.mutate(ctx, 'user.create', rec, async (tx, r) => {
      const created = await insertNew(tx, { username: body.username, email: body.email ?? null, passwordHash, isAdmin: body.isAdmin ?? false }, quotaDefaults);
      r.targetId = created.id;
      return created;
    });
    return toUser(row);
  }

  async function list(ctx: RequestContext): Promise<User[]> {
    authorize(ctx.actor, 'users.manage');
    return (await usersRepo.list(db)).map(toUser);
  }

  async function get(ctx: RequestContext, id: string): Promise<User> {
    authorize(ctx.actor, 'users.manage');
    const row = await usersRepo.findById(db, id);
    if (!row) throw new NotFoundError('User');
    return toUser(row);
  }

  async function update(ctx: RequestContext, id: string, body: UpdateUserBody): Promise<User> {
    authorize(ctx.actor, 'users.manage');
    const passwordHash = body.password === undefined ? undefined : await hashPassword(body.password);
    // Say what changed, never the password itself.
    const changed = Object.keys(body).filter((k) => body[k as keyof UpdateUserBody] !== undefined);
    const revoked: Revocation[] = [];
    const row = await audit.mutate(ctx, 'user.update', { targetType: 'user', targetId: id, metadata: { changed } }, async (tx, rec) => {
      const before = await usersRepo.findById(tx, id);
      if (!before) throw new NotFoundError('User');
      const losesAdmin = before.isAdmin && before.active && (body.isAdmin === false || body.active === false);
      if (losesAdmin && (await usersRepo.countActiveAdminsForUpdate(tx)) <= 1) {
        throw new ConflictError('This is the last active administrator; make someone else an administrator first');
      }
      const after = await usersRepo.update(tx, id, { email: body.email, isAdmin: body.isAdmin, active: body.active, passwordHash });
      // A deactivated user is signed out everywhere; a new password ends the old sessions.
      const deactivated = body.active === false;
      if (deactivated || passwordHash) rec.metadata = { ...rec.metadata, endedSessions: await sessionsRepo.deleteForUser(tx, id) };
      if (deactivated || body.revokeTokens) rec.metadata = { ...rec.metadata, revokedTokens: await tokensRepo.revokeAllForUser(tx, id) };
      // Whatever they have open ends too: all of it when they lose the user (or the rights they opened it with).
      if (deactivated || (before.isAdmin && body.isAdmin === false)) revoked.push({ scope: 'user', userId: id });
      else {
        if (passwordHash) revoked.push({ scope: 'sessions', userId: id });
        if (body.revokeTokens) revoked.push({ scope: 'tokens', userId: id });
      }
      await revocations.announce(tx, ...revoked);
      return after!;
    });
    revocations.apply(...revoked);
    return toUser(row);
  }

  return { insertNew, me, create, list, get, update };
}

export type UsersService = ReturnType<typeof createUsersService>;
