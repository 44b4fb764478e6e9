import type { App as AppView, ConfigVar, CreateAppBody, AppEvent, Release, SetConfigBody, UpdateAppBody } from '@berth/contracts';
import type { Actor, RequestContext } from '../../context.js';
import type { Db } from '../../db/client.js';
import type { AppSource, SealedConfig } from '../../db/schema.js';
import { AppError, NotFoundError } from '../../errors.js';
import type { Keyring } from '../../keyring.js';
import type { AuditService } from '../audit/audit.service.js';
import { authorize } from '../auth/authorize.js';
import type { EnvironmentsService } from '../environments/environments.service.js';
import type { MachineTypesRepo } from '../machine-types/machine-types.repo.js';
import type { OrgAction } from '../auth/auth.policy.js';
import type { AppsAddress } from './apps.address.js';
import { appHostLabel, gitUrlAllowed } from './apps.domain.js';
import type { AppRow, AppsRepo, ReleaseRow } from './apps.repo.js';

/** Secrets are sealed under this purpose (keyring.ts): a value sealed for an app opens for nothing else. */
export const CONFIG_PURPOSE = 'app-config';
const MASK = '••••••••';

interface Deps {
  db: Db;
  appsRepo: AppsRepo;
  machineTypesRepo: Pick<MachineTypesRepo, 'lock'>;
  /** The organization, held (shared) until commit: nothing is made in one being deleted. */
  orgOf: (db: Db, orgId: string) => Promise<{ slug: string; status: string } | undefined>;
  environments: Pick<EnvironmentsService, 'visible'>;
  audit: AuditService;
  keyring: Pick<Keyring, 'seal'>;
  address: AppsAddress;
  /** Whether a git source may be a file:// URL on this machine (BERTH_APPS_ALLOW_LOCAL_SOURCES). */
  allowLocalSources: boolean;
  /** Wakes the apps reconciler (after commit). */
  wake: () => void;
}

/** Who may do what with an app: its organization's roles (auth.policy.ts), through the one authorization function. */
const NEEDS = { view: 'org.read', deploy: 'org.create', manage: 'org.manage' } as const satisfies Record<string, OrgAction>;

/**
 * Apps as their organization sees them: made, configured, deployed and rolled back by intent. Every
 * change is a row (a release, a config variable, the desired state) written with its audit row; the
 * apps reconciler (apps.reconciler.ts) does the building, starting and switching.
 */
export function createAppsService(deps: Deps) {
  const { db, appsRepo, audit } = deps;

  /** The app if the caller may `need` it: another organization's is a 404, a viewer deploying a 403. */
  async function visible(actor: Actor | null, id: string, need: keyof typeof NEEDS): Promise<AppRow> {
    const found = actor ? await appsRepo.get(db, id, actor.id) : undefined;
    // A token acts in its own organization alone; a session wherever its user is a member.
    const role = (actor?.via === 'token' && found?.app.orgId !== actor.orgId ? undefined : found?.role) ?? undefined;
    if (!found || (!role && !actor?.isAdmin)) throw new NotFoundError('App');
    // Its creator manages it, as an environment's does.
    const action = need === 'manage' && found.app.createdBy === actor?.id ? NEEDS.deploy : NEEDS[need];
    authorize(actor, action, { role, status: found.orgStatus });
    return found.app;
  }

  async function checkSource(actor: Actor, source: AppSource): Promise<void> {
    if (source.kind === 'git' && !gitUrlAllowed(source.url, deps.allowLocalSources)) {
      throw new AppError('source_not_allowed', 'file:// sources are not allowed on this server; use an https://, ssh:// or git:// URL');
    }
    if (source.kind === 'workspace') {
      // Deploying a folder reads it: the caller must be able to use that environment, in this organization.
      const env = await deps.environments.visible(actor, source.environmentId, 'use');
      if (env.orgId !== actor.orgId) throw new NotFoundError('Environment');
    }
  }

  async function toView(app: AppRow): Promise<AppView> {
    const current = app.currentReleaseId ? await appsRepo.releaseById(db, app.currentReleaseId) : undefined;
    return {
      id: app.id,
      orgId: app.orgId,
      name: app.name,
      url: deps.address.url(app.host),
      source: app.source,
      machineType: app.machineType,
      replicas: app.replicas,
      port: app.port,
      healthPath: app.healthPath,
      releaseCommand: app.releaseCommand,
      status: app.status,
      currentRelease: current?.number ?? null,
      lastError: app.lastError,
      createdAt: app.createdAt.toISOString(),
      updatedAt: app.updatedAt.toISOString(),
    };
  }

  const toRelease = (r: ReleaseRow): Release => ({
    number: r.number,
    kind: r.kind,
    status: r.status,
    sourceRef: r.sourceRef,
    buildSummary: r.buildSummary,
    rollbackOf: r.rollbackOf,
    error: r.error,
    createdAt: r.createdAt.toISOString(),
    liveAt: r.liveAt?.toISOString() ?? null,
  });

  const record = (app: Pick<AppRow, 'id' | 'name'>, metadata: Record<string, unknown> = {}) => ({ targetType: 'app', targetId: app.id, metadata: { app: app.name, ...metadata } });

  async function list(ctx: RequestContext): Promise<AppView[]> {
    const actor = authorize(ctx.actor, 'org.read', ctx.actor ? { role: ctx.actor.orgRole, status: 'active' } : undefined);
    return Promise.all((await appsRepo.list(db, actor.orgId)).map(toView));
  }

  async function create(ctx: RequestContext, body: CreateAppBody): Promise<AppView> {
    const actor = authorize(ctx.actor, NEEDS.deploy, ctx.actor ? { role: ctx.actor.orgRole, status: 'active' } : undefined);
    await checkSource(actor, body.source);
    const app = await audit.mutate(ctx, 'app.create', { targetType: 'app', metadata: { name: body.name, source: body.source.kind } }, async (tx, rec) => {
      const org = await deps.orgOf(tx, actor.orgId);
      authorize(actor, NEEDS.deploy, org && { role: actor.orgRole, status: org.status });
      if (!(await deps.machineTypesRepo.lock(tx, body.machineType, 'share'))) throw new AppError('machine_type_not_allowed', `There is no machine type "${body.machineType}"`);
      const row = await appsRepo.insert(tx, {
        orgId: actor.orgId,
        name: body.name,
        host: appHostLabel(body.name, org!.slug),
        createdBy: actor.id,
        source: body.source,
        machineType: body.machineType,
        replicas: body.replicas,
        port: body.port,
        healthPath: body.healthPath,
        releaseCommand: body.releaseCommand,
        status: 'deploying',
      });
      rec.targetId = row.id;
      // The first release builds at once, as a push to a new app does.
      const release = await appsRepo.insertRelease(tx, row.id, { kind: 'build', config: {}, createdBy: actor.id });
      await appsRepo.appendEvent(tx, row.id, { releaseNumber: release.number, type: 'deploy', message: `release ${release.number} requested by ${actor.username}` });
      await appsRepo.markDue(tx, row.id);
      return row;
    });
    deps.wake();
    return toView(app);
  }

  async function get(ctx: RequestContext, id: string): Promise<AppView> {
    return toView(await visible(ctx.actor, id, 'view'));
  }

  async function update(ctx: RequestContext, id: string, body: UpdateAppBody): Promise<AppView> {
    const app = await visible(ctx.actor, id, 'deploy');
    if (body.source) await checkSource(ctx.actor!, body.source);
    const row = await audit.mutate(ctx, 'app.update', record(app, { ...body, source: body.source?.kind }), async (tx) => {
      const updated = await appsRepo.update(tx, id, body);
      // Replicas change now; the rest waits for the next release.
      if (body.replicas !== undefined) await appsRepo.markDue(tx, id);
      return updated;
    });
    deps.wake();
    return toView(row);
  }

  async function remove(ctx: RequestContext, id: string): Promise<AppView> {
    const app = await visible(ctx.actor, id, 'manage');
    const row = await audit.mutate(ctx, 'app.delete', record(app), async (tx) => {
      await appsRepo.appendEvent(tx, id, { releaseNumber: null, type: 'status', message: `deletion requested by ${ctx.actor!.username}` });
      const updated = await appsRepo.update(tx, id, { desiredState: 'deleted', status: 'deleting' });
      await appsRepo.markDue(tx, id);
      return updated;
    });
    deps.wake();
    return toView(row);
  }

  /** A new release of the source as it is now, with the config as it is now. */
  async function deploy(ctx: RequestContext, id: string, actor: Actor | null = ctx.actor): Promise<Release> {
    const app = await visible(actor, id, 'deploy');
    const release = await audit.mutate(ctx, 'app.deploy', record(app), async (tx, rec) => {
      const created = await appsRepo.insertRelease(tx, id, { kind: 'build', config: await appsRepo.config(tx, id), createdBy: actor?.id ?? null });
      rec.metadata = { ...rec.metadata, release: created.number };
      await appsRepo.appendEvent(tx, id, { releaseNumber: created.number, type: 'deploy', message: `release ${created.number} requested by ${actor?.username ?? 'a push'}` });
      await appsRepo.update(tx, id, { status: 'deploying' });
      await appsRepo.markDue(tx, id);
      return created;
    });
    deps.wake();
    return toRelease(release);
  }

  async function releases(ctx: RequestContext, id: string): Promise<Release[]> {
    await visible(ctx.actor, id, 'view');
    return (await appsRepo.releases(db, id)).map(toRelease);
  }

  /** Release N's image and config again, as a new release (no build; the release phase does not run again). */
  async function rollback(ctx: RequestContext, id: string, number: number): Promise<Release> {
    const app = await visible(ctx.actor, id, 'deploy');
    const release = await audit.mutate(ctx, 'app.rollback', record(app, { to: number }), async (tx, rec) => {
      const target = await appsRepo.release(tx, id, number);
      if (!target?.image || !target.liveAt) throw new AppError('nothing_to_roll_back_to', `Release ${number} never went live; roll back to one that did`);
      const created = await appsRepo.insertRelease(tx, id, {
        kind: 'rollback',
        status: 'starting',
        image: target.image,
        config: target.config,
        sourceRef: target.sourceRef,
        buildSummary: target.buildSummary,
        rollbackOf: target.number,
        createdBy: ctx.actor!.id,
      });
      rec.metadata = { ...rec.metadata, release: created.number };
      await appsRepo.appendEvent(tx, id, { releaseNumber: created.number, type: 'deploy', message: `release ${created.number}: rollback to release ${number} by ${ctx.actor!.username}` });
      await appsRepo.update(tx, id, { status: 'deploying' });
      await appsRepo.markDue(tx, id);
      return created;
    });
    deps.wake();
    return toRelease(release);
  }

  const masked = (config: SealedConfig): ConfigVar[] => Object.entries(config).map(([name, v]) => ({ name, value: v.secret ? MASK : v.value, secret: v.secret }));

  async function config(ctx: RequestContext, id: string): Promise<ConfigVar[]> {
    await visible(ctx.actor, id, 'view');
    return masked(await appsRepo.config(db, id));
  }

  /** Sets and unsets variables; an app with a live release gets a new one, of the same image, with them. */
  async function setConfig(ctx: RequestContext, id: string, body: SetConfigBody): Promise<ConfigVar[]> {
    const app = await visible(ctx.actor, id, 'deploy');
    const sealed: SealedConfig = Object.fromEntries(
      Object.entries(body.set).map(([name, v]) => [name, { value: v.secret ? deps.keyring.seal(CONFIG_PURPOSE, v.value) : v.value, secret: v.secret }]),
    );
    // Names only: values (secret or not) stay out of the audit trail.
    const result = await audit.mutate(ctx, 'app.config', record(app, { set: Object.keys(body.set), unset: body.unset }), async (tx) => {
      await appsRepo.setConfig(tx, id, sealed, body.unset);
      const current = app.currentReleaseId ? await appsRepo.releaseById(tx, app.currentReleaseId) : undefined;
      if (current?.image) {
        const created = await appsRepo.insertRelease(tx, id, {
          kind: 'config',
          status: 'releasing',
          image: current.image,
          config: await appsRepo.config(tx, id),
          sourceRef: current.sourceRef,
          buildSummary: current.buildSummary,
          releaseCommand: current.releaseCommand,
          createdBy: ctx.actor!.id,
        });
        await appsRepo.appendEvent(tx, id, { releaseNumber: created.number, type: 'deploy', message: `release ${created.number}: config changed by ${ctx.actor!.username}` });
        await appsRepo.update(tx, id, { status: 'deploying' });
        await appsRepo.markDue(tx, id);
      }
      return appsRepo.config(tx, id);
    });
    deps.wake();
    return masked(result);
  }

  async function events(ctx: RequestContext, id: string, since: number): Promise<AppEvent[]> {
    await visible(ctx.actor, id, 'view');
    return (await appsRepo.events(db, id, since)).map((e) => ({ seq: e.seq, release: e.releaseNumber, type: e.type, message: e.message, createdAt: e.createdAt.toISOString() }));
  }

  /** Whether a host name is an app's (under the apps domain): the edge's question before it gets a certificate. */
  async function servesHost(domain: string): Promise<boolean> {
    const label = deps.address.labelOf(domain);
    return label !== undefined && (await appsRepo.byHost(db, label)) !== undefined;
  }

  return { visible, servesHost, list, create, get, update, remove, deploy, releases, rollback, config, setConfig, events };
}

export type AppsService = ReturnType<typeof createAppsService>;
