import type { CreateTokenBody, CreatedToken, Token } from '@berth/contracts';
import { requireActor, type RequestContext } from '../../context.js';
import type { Db } from '../../db/client.js';
import { NotFoundError } from '../../errors.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Revocation } from '../auth/live-connections.js';
import type { Revocations } from '../auth/revocations.js';
import { hashSecret, newSecret } from '../auth/auth.secrets.js';
import type { TokenRow, TokensRepo } from './tokens.repo.js';

interface Deps {
  db: Db;
  tokensRepo: TokensRepo;
  audit: AuditService;
  revocations: Pick<Revocations, 'announce' | 'apply'>;
}

export const TOKEN_PREFIX = 'berth';

export function createTokensService({ db, tokensRepo, audit, revocations }: Deps) {
  async function create(ctx: RequestContext, body: CreateTokenBody): Promise<CreatedToken> {
    const actor = requireActor(ctx);
    const secret = newSecret(TOKEN_PREFIX);
    const expiresAt = body.expiresInDays ? new Date(Date.now() + body.expiresInDays * 86_400_000) : null;
    const scope = body.scope ?? 'admin';
    const row = await audit.mutate(ctx, 'token.create', { targetType: 'token', metadata: { name: body.name, scope, expiresAt } }, async (tx, rec) => {
      const created = await tokensRepo.insert(tx, {
        userId: actor.id,
        orgId: actor.orgId,
        name: body.name,
        scope,
        prefix: secret.slice(0, TOKEN_PREFIX.length + 7),
        tokenHash: hashSecret(secret),
        expiresAt,
      });
      rec.targetId = created.id;
      return created;
    });
    return { ...toToken(row), token: secret };
  }

  async function list(ctx: RequestContext): Promise<Token[]> {
    return (await tokensRepo.listUsable(db, requireActor(ctx).id)).map(toToken);
  }

  async function revoke(ctx: RequestContext, id: string): Promise<void> {
    const actor = requireActor(ctx);
    const revoked: Revocation = { scope: 'credential', userId: actor.id, credentialId: id };
    await audit.mutate(ctx, 'token.revoke', { targetType: 'token', targetId: id }, async (tx) => {
      // Only the caller's own tokens can be found here: anyone else's is simply not there.
      if (!(await tokensRepo.revoke(tx, actor.id, id))) throw new NotFoundError('Token');
      await revocations.announce(tx, revoked);
    });
    // What the token opened (WebSockets, streams) ends with it.
    revocations.apply(revoked);
  }

  return { create, list, revoke };
}

export type TokensService = ReturnType<typeof createTokensService>;

const toToken = (r: TokenRow): Token => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  scope: r.scope,
  createdAt: r.createdAt.toISOString(),
  expiresAt: r.expiresAt?.toISOString() ?? null,
  lastUsedAt: r.lastUsedAt?.toISOString() ?? null,
});
