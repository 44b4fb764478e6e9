import type { ListeningPort, PortSharing, PortSharingResult, PreviewGrant } from '@berth/contracts';
import { PREVIEW_GRANT_PATH } from '@berth/contracts';
import { requireActor, type RequestContext } from '../../context.js';
import type { Db } from '../../db/client.js';
import { AppError, NotFoundError, UnauthorizedError } from '../../errors.js';
import type { RuntimeDriver } from '../../runtime/driver.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Keyring } from '../../keyring.js';
import type { Principal } from '../auth/live-connections.js';
import { hashSecret, newSecret } from '../auth/auth.secrets.js';
import type { EnvironmentsService } from '../environments/environments.service.js';
import type { PreviewAddress } from './previews.address.js';
import { atLeast } from '../auth/auth.policy.js';
import { credentialOfGrant, grantOf, listeningPorts, mayOpen, readPass, signPass, type Credential, type PreviewTarget, type Viewer } from './previews.domain.js';
import type { GrantRow, PreviewsRepo } from './previews.repo.js';

interface Deps {
  db: Db;
  previewsRepo: PreviewsRepo;
  environments: Pick<EnvironmentsService, 'visible' | 'visibleIn' | 'running' | 'levelOf' | 'noteActivity'>;
  runtime: Pick<RuntimeDriver, 'exec' | 'endpoint'>;
  audit: AuditService;
  address: PreviewAddress;
  /** The installation's key; the preview cookie's MAC key is derived from it. */
  keyring: Keyring;
  grantTtlSeconds: number;
  cookieTtlSeconds: number;
  /** Listing ports reads /proc/net/tcp inside: within this time and this many bytes. */
  portsTimeoutMs: number;
  portsMaxBytes: number;
}

/** Whether a preview request may through: open, or the visitor has to come through Berth first. */
export type Admission = { open: false } | { open: true; /** Who opened it with a preview cookie (none for a public port). */ viewer?: Principal };

/**
 * Previews on their own origin: which ports listen and how each is shared, the
 * single-use grants Berth's origin hands a signed-in user, and the cookie a
 * preview host gives for one, checked again on every request.
 */
export function createPreviewsService(deps: Deps) {
  const { db, previewsRepo, audit, address } = deps;
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  /** Whether the viewer, as the database has them now, may use the environment. */
  const mayUse = (tx: Db, environmentId: string) => async (viewer: Viewer) => {
    const level = await deps.environments.levelOf(tx, environmentId, viewer);
    return level !== null && atLeast(level, 'use');
  };

  async function listPorts(ctx: RequestContext, id: string): Promise<ListeningPort[]> {
    await deps.environments.running(ctx, id);
    const result = await deps.runtime.exec(id, { argv: ['cat', '/proc/net/tcp', '/proc/net/tcp6'], timeoutMs: deps.portsTimeoutMs, maxOutputBytes: deps.portsMaxBytes });
    const sharing = await previewsRepo.sharing(db, id);
    return listeningPorts(result.stdout).map((p) => ({ ...p, url: `${address.origin({ environmentId: id, port: p.port })}/`, sharing: sharing.get(p.port) ?? 'owner' }));
  }

  const sharingRecord = (id: string, port: number) => ({ targetType: 'environment', targetId: id, metadata: { port } });

  /** Only the owner (or an admin) shares a port: anyone else is refused (404, audited), before their body is read. */
  async function checkMayShare(ctx: RequestContext, id: string, port: number): Promise<void> {
    await audit.precheck(ctx, 'port.sharing', sharingRecord(id, port), async () => {
      const env = await deps.environments.visibleIn(ctx, id, 'manage');
      if (env.desiredState === 'deleted') throw new NotFoundError('Environment');
    });
  }

  async function setSharing(ctx: RequestContext, id: string, port: number, sharing: PortSharing): Promise<PortSharingResult> {
    await checkMayShare(ctx, id, port);
    await audit.mutate(ctx, 'port.sharing', sharingRecord(id, port), async (tx, rec) => {
      const before = await previewsRepo.setSharing(tx, id, port, sharing);
      rec.metadata = { port, sharing, before };
    });
    return { port, sharing, url: `${address.origin({ environmentId: id, port })}/` };
  }

  /** A grant to open one port, for a caller who may: anyone else learns nothing (404). */
  async function mintGrant(ctx: RequestContext, id: string, port: number): Promise<PreviewGrant> {
    const actor = requireActor(ctx);
    const secret = grantOf(newSecret('bpg'), { via: actor.via, id: actor.credentialId });
    const expiresAt = new Date(Date.now() + deps.grantTtlSeconds * 1000);
    // Asked before the transaction: the embedded database has one connection, which the transaction holds.
    const mayUse = await deps.environments.visible(actor, id, 'use').then(() => true, () => false);
    await audit.mutate(ctx, 'preview.grant', sharingRecord(id, port), async (tx) => {
      const access = await previewsRepo.access(tx, id, port);
      if (!access || !(await mayOpen(access.sharing, actor, () => mayUse))) throw new NotFoundError('Environment');
      await previewsRepo.insertGrant(tx, { tokenHash: hashSecret(secret), userId: actor.id, environmentId: id, port, expiresAt });
    });
    const origin = address.origin({ environmentId: id, port });
    return { grant: secret, action: `${origin}${PREVIEW_GRANT_PATH}`, url: `${origin}/`, expiresAt: expiresAt.toISOString() };
  }

  type Verdict = { refused: string } | { viewer: Viewer & { username: string }; credential: Credential };

  /** Whether a consumed grant opens `target` for its user, as the database has them now. */
  async function verdictOn(tx: Db, row: GrantRow | undefined, target: PreviewTarget, grant: string): Promise<Verdict> {
    if (!row) return { refused: 'the grant is unknown or was used already' };
    if (row.expiresAt.getTime() <= Date.now()) return { refused: 'the grant expired' };
    if (row.environmentId !== target.environmentId || row.port !== target.port) return { refused: 'the grant is for another preview' };
    const credential = credentialOfGrant(grant);
    const viewer = credential && (await previewsRepo.viewer(tx, row.userId, credential));
    if (!credential || !viewer) return { refused: 'the user or their sign-in is no longer active' };
    const access = await previewsRepo.access(tx, target.environmentId, target.port);
    if (!access || !(await mayOpen(access.sharing, viewer, mayUse(tx, target.environmentId)))) return { refused: 'the user may no longer open this preview' };
    return { viewer, credential };
  }

  /**
   * Exchanges a grant on the preview host for the cookie of that host. The grant
   * is spent whatever the outcome (a refusal does not roll its DELETE back), and
   * the outcome is audited in the same transaction.
   */
  async function exchange(ctx: RequestContext, target: PreviewTarget, grant: string): Promise<{ cookie: string; maxAgeSeconds: number }> {
    const verdict = await db.transaction(async (tx) => {
      const row = await previewsRepo.consumeGrant(tx, hashSecret(grant));
      const found = await verdictOn(tx, row, target, grant);
      const refused = 'refused' in found ? found.refused : undefined;
      const rec = sharingRecord(target.environmentId, target.port);
      await audit.record(
        ctx,
        'preview.open',
        { ...rec, ...('viewer' in found ? { actor: found.viewer } : {}), message: refused ?? 'opened', metadata: { ...rec.metadata, userId: row?.userId, ...(refused ? { code: 'unauthorized' } : {}) } },
        !refused,
        tx,
      );
      return found;
    });
    if ('refused' in verdict) throw new UnauthorizedError(`This grant does not open the preview: ${verdict.refused}; open it from Berth again`);
    const pass = signPass(deps.keyring, { ...target, userId: verdict.viewer.id, credential: verdict.credential, expiresAt: nowSeconds() + deps.cookieTtlSeconds });
    return { cookie: pass, maxAgeSeconds: deps.cookieTtlSeconds };
  }

  /**
   * Whether a request on a preview host may reach the app: a public port opens for
   * anyone; any other needs a preview cookie whose user is still active, whose
   * credential still stands, and who may still open the port. Read afresh every time.
   */
  async function admit(target: PreviewTarget, passes: string[]): Promise<Admission> {
    const access = await previewsRepo.access(db, target.environmentId, target.port);
    if (!access) return { open: false };
    let open = access.sharing === 'public';
    let principal: Principal | undefined;
    for (const value of passes) {
      if (open) break;
      const pass = readPass(deps.keyring, value, target, nowSeconds());
      const viewer = pass && (await previewsRepo.viewer(db, pass.userId, pass.credential));
      open = !!viewer && (await mayOpen(access.sharing, viewer, mayUse(db, target.environmentId)));
      if (open && pass) principal = { userId: pass.userId, via: pass.credential.via, credentialId: pass.credential.id };
    }
    if (!open) return { open: false };
    if (!access.running) throw new AppError('environment_not_running', `Environment "${access.name}" is ${access.status}; start it first`);
    return { open: true, viewer: principal };
  }

  /** Where an admitted preview request goes: the port inside the environment. Opening a preview is activity. */
  async function upstream(target: PreviewTarget): Promise<{ host: string; port: number }> {
    const endpoint = await deps.runtime.endpoint(target.environmentId, target.port);
    deps.environments.noteActivity(target.environmentId);
    return endpoint;
  }

  return { listPorts, checkMayShare, setSharing, mintGrant, exchange, admit, upstream, address };
}

export type PreviewsService = ReturnType<typeof createPreviewsService>;
