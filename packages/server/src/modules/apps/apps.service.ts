import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { PushEventSchema, type AppSource as AppSourceInput, type App as AppView, type ConfigVar, type CreateAppBody, type AppDomain, type AppEvent, type AppMetrics as AppMetricsView, type AppLogs, type Release, type SetConfigBody, type UpdateAppBody } from '@berth/contracts';
import type { Actor, RequestContext } from '../../context.js';
import type { Db } from '../../db/client.js';
import type { AppHooks, AppSource, SealedConfig } from '../../db/schema.js';
import { AppError, ForbiddenError, NotFoundError, UnauthorizedError, ValidationError } from '../../errors.js';
import type { Keyring } from '../../keyring.js';
import type { RuntimeDriver } from '../../runtime/driver.js';
import type { AuditService } from '../audit/audit.service.js';
import { authorize } from '../auth/authorize.js';
import type { EnvironmentsService } from '../environments/environments.service.js';
import type { MachineTypesRepo } from '../machine-types/machine-types.repo.js';
import type { OrgAction } from '../auth/auth.policy.js';
import type { AppsAddress } from './apps.address.js';
import type { AppMetrics } from './apps.metrics.js';
import { appHostLabel, gitHttpUrl, gitUrlAllowed } from './apps.domain.js';
import type { AppRow, AppsRepo, ReleaseRow } from './apps.repo.js';

/** Secrets are sealed under this purpose (keyring.ts): a value sealed for an app opens for nothing else. */
export const CONFIG_PURPOSE = 'app-config';
const WEBHOOK_PURPOSE = 'app-webhook';
/** A private repository's credentials are sealed under this purpose (and opened by the reconciler, to clone). */
export const GIT_CREDENTIALS_PURPOSE = 'app-git';

/** Whether `signature` (`sha256=<hex>`) is the HMAC-SHA256 of `body` under `secret`, compared in constant time. */
export function signedBy(secret: string, body: Buffer, signature: string | undefined): boolean {
  const given = Buffer.from(signature ?? '');
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
const MASK = '••••••••';

interface Deps {
  db: Db;
  appsRepo: AppsRepo;
  machineTypesRepo: Pick<MachineTypesRepo, 'lock'>;
  /** The organization, held (shared) until commit: nothing is made in one being deleted. */
  orgOf: (db: Db, orgId: string) => Promise<{ slug: string; status: string; personal: boolean } | undefined>;
  /** Environments' visibility (a workspace source), and the credit check apps share with them. */
  environments: Pick<EnvironmentsService, 'visible' | 'checkAppCredits'>;
  audit: AuditService;
  keyring: Pick<Keyring, 'seal' | 'open'>;
  runtime: Pick<RuntimeDriver, 'listReplicas' | 'replicaLogs'>;
  address: AppsAddress;
  /** Whether a git source may be a file:// URL on this machine (BERTH_APPS_ALLOW_LOCAL_SOURCES). */
  allowLocalSources: boolean;
  /** Wakes the apps reconciler (after commit). */
  wake: () => void;
  /** Whether BERTH_PUBLIC_URL names Berth's own host (custom domains need it). */
  knowsOwnName: boolean;
  /** Whether a URL's host resolves to public addresses only (no loopback, private, link-local or metadata range). */
  publicTarget: (url: string) => Promise<boolean>;
  /** Host names no custom domain may take: Berth's own, its previews', the apps domain's, *.localhost. */
  reservedHost: (host: string) => boolean;
  metrics: Pick<AppMetrics, 'minutes'>;
  /** The custom domains changed: routing (Berth's edge, and Caddy's) reads them again. */
  domainsChanged: () => Promise<void>;
}

/** Who may do what with an app: its organization's roles (auth.policy.ts), through the one authorization function. */
const NEEDS = { view: 'org.read', deploy: 'org.create', manage: 'org.manage', domains: 'org.manage' } as const satisfies Record<string, OrgAction>;

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

  /** A hook URL must name a public address, unless an administrator allows local targets (as for file:// sources). */
  async function checkHooks(hooks: AppHooks | undefined): Promise<void> {
    for (const [field, hook] of Object.entries(hooks ?? {}) as [string, { url?: string } | undefined][]) {
      if (hook?.url && !deps.allowLocalSources && !(await deps.publicTarget(hook.url))) {
        throw new AppError('source_not_allowed', `hooks.${field}.url must reach a public address: Berth does not call its own machine or network`);
      }
    }
  }

  /** A source as stored: without its credentials, which are sealed apart (or null: none). */
  function splitSource(source: AppSourceInput): { source: AppSource; gitCredentials: string | null } {
    if (source.kind !== 'git') return { source, gitCredentials: null };
    const { credentials, ...rest } = source;
    return { source: rest, gitCredentials: credentials ? deps.keyring.seal(GIT_CREDENTIALS_PURPOSE, JSON.stringify(credentials)) : null };
  }

  async function checkSource(actor: Actor, source: AppSourceInput, orgId: string = actor.orgId): Promise<void> {
    if (source.kind === 'git' && !gitUrlAllowed(source.url, deps.allowLocalSources)) {
      throw new AppError('source_not_allowed', 'file:// sources are not allowed on this server; use an https://, ssh:// or git:// URL');
    }
    // Cloning is Berth's machine reaching out: never to its own machine or network for a user.
    if (source.kind === 'git' && !deps.allowLocalSources && !(await deps.publicTarget(gitHttpUrl(source.url)))) {
      throw new AppError('source_not_allowed', `${source.url} does not reach a public address: Berth does not clone from its own machine or network`);
    }
    if (source.kind === 'workspace') {
      // Deploying a folder reads it: the caller must be able to use that environment, in this organization.
      const env = await deps.environments.visible(actor, source.environmentId, 'use');
      if (env.orgId !== orgId) throw new NotFoundError('Environment');
    }
  }

  async function toView(app: AppRow): Promise<AppView> {
    const current = app.currentReleaseId ? await appsRepo.releaseById(db, app.currentReleaseId) : undefined;
    return {
      id: app.id,
      orgId: app.orgId,
      name: app.name,
      url: deps.address.url(app.host),
      source: app.source.kind === 'git' ? { ...app.source, credentials: app.gitCredentials !== null } : app.source,
      machineType: app.machineType,
      replicas: app.replicas,
      port: app.port,
      healthPath: app.healthPath,
      releaseCommand: app.releaseCommand,
      hooks: app.hooks,
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
    await checkHooks(body.hooks);
    await checkSource(actor, body.source);
    const app = await audit.mutate(ctx, 'app.create', { targetType: 'app', metadata: { name: body.name, source: body.source.kind, credentials: body.source.kind === 'git' && body.source.credentials !== undefined } }, async (tx, rec) => {
      const org = await deps.orgOf(tx, actor.orgId);
      authorize(actor, NEEDS.deploy, org && { role: actor.orgRole, status: org.status });
      const type = await deps.machineTypesRepo.lock(tx, body.machineType, 'share');
      if (!type) throw new AppError('machine_type_not_allowed', `There is no machine type "${body.machineType}"`);
      // Its replicas draw on the organization's credits while it exists, as running environments do.
      await deps.environments.checkAppCredits(tx, actor, { orgId: actor.orgId, orgPersonal: org!.personal, machineType: type.name, creditsCost: type.creditsCost * body.replicas });
      const row = await appsRepo.insert(tx, {
        orgId: actor.orgId,
        name: body.name,
        host: appHostLabel(body.name, org!.slug),
        createdBy: actor.id,
        ...splitSource(body.source),
        machineType: body.machineType,
        replicas: body.replicas,
        creditsCost: type.creditsCost,
        port: body.port,
        healthPath: body.healthPath,
        releaseCommand: body.releaseCommand,
        hooks: body.hooks,
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
    if (body.source) await checkSource(ctx.actor!, body.source, app.orgId);
    await checkHooks(body.hooks);
    const row = await audit.mutate(ctx, 'app.update', record(app, { ...body, source: body.source?.kind }), async (tx) => {
      if (body.replicas !== undefined && body.replicas > app.replicas) {
        const org = await deps.orgOf(tx, app.orgId);
        await deps.environments.checkAppCredits(tx, ctx.actor!, { orgId: app.orgId, orgPersonal: org!.personal, machineType: app.machineType, creditsCost: app.creditsCost * body.replicas, excludeAppId: app.id });
      }
      const { source, ...rest } = body;
      const updated = await appsRepo.update(tx, id, { ...rest, ...(source ? splitSource(source) : {}) });
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

  /** A new release of the source as it is now, with the config as it is now (in the caller's transaction). */
  async function requestRelease(tx: Db, appId: string, by: { id: string | null; name: string }): Promise<ReleaseRow> {
    const created = await appsRepo.insertRelease(tx, appId, { kind: 'build', config: await appsRepo.config(tx, appId), createdBy: by.id });
    await appsRepo.appendEvent(tx, appId, { releaseNumber: created.number, type: 'deploy', message: `release ${created.number} requested by ${by.name}` });
    await appsRepo.update(tx, appId, { status: 'deploying' });
    await appsRepo.markDue(tx, appId);
    return created;
  }

  async function deploy(ctx: RequestContext, id: string): Promise<Release> {
    const app = await visible(ctx.actor, id, 'deploy');
    const release = await audit.mutate(ctx, 'app.deploy', record(app), async (tx, rec) => {
      const created = await requestRelease(tx, id, { id: ctx.actor!.id, name: ctx.actor!.username });
      rec.metadata = { ...rec.metadata, release: created.number };
      return created;
    });
    deps.wake();
    return toRelease(release);
  }

  /** A new push webhook secret (the old one stops working): its plaintext is in this answer alone. */
  async function webhook(ctx: RequestContext, id: string, origin: string): Promise<{ url: string; secret: string }> {
    const app = await visible(ctx.actor, id, 'deploy');
    const secret = randomBytes(32).toString('base64url');
    await audit.mutate(ctx, 'app.webhook', record(app), (tx) => appsRepo.update(tx, id, { webhookSecret: deps.keyring.seal(WEBHOOK_PURPOSE, secret) }));
    return { url: `${origin}/api/v1/apps/${id}/push`, secret };
  }

  /**
   * A git host's push event. The signature is checked before the body is read (an unsigned or
   * wrongly signed push, or one for an app that does not exist, is the same 401); a push to the
   * app's branch deploys it; a ping or another branch changes nothing.
   */
  async function push(ctx: RequestContext, id: string, body: Buffer, signature: string | undefined): Promise<Release | null> {
    const release = await audit.mutate(ctx, 'app.deploy', { targetType: 'app', targetId: id, metadata: { via: 'push' } }, async (tx, rec) => {
      const found = await appsRepo.get(tx, id);
      const sealed = found?.app.webhookSecret;
      if (!found || !sealed || !signedBy(deps.keyring.open(WEBHOOK_PURPOSE, sealed), body, signature)) {
        throw new UnauthorizedError("The push is not signed with this app's webhook secret");
      }
      const { app } = found;
      if (found.orgStatus !== 'active') throw new AppError('organization_suspended', 'The organization is not active: nothing is deployed');
      let event;
      try {
        event = PushEventSchema.parse(JSON.parse(body.toString('utf8')));
      } catch {
        throw new ValidationError([{ field: 'body', message: 'a push event: a JSON object with "ref"' }]);
      }
      rec.metadata = { app: app.name, via: 'push', ref: event.ref, after: event.after };
      if (app.source.kind !== 'git' || event.ref !== `refs/heads/${app.source.branch}`) {
        rec.unchanged = true;
        return null;
      }
      const created = await requestRelease(tx, id, { id: null, name: `a push to ${app.source.branch}${event.after ? ` (${event.after.slice(0, 12)})` : ''}` });
      rec.metadata = { ...rec.metadata, release: created.number };
      return created;
    });
    if (release) deps.wake();
    return release && toRelease(release);
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

  /**
   * Sets and unsets variables (values already sealed where secret), in the caller's transaction; an
   * app with a live release gets a new one, of the same image, with them. `why` ends up in its event.
   */
  async function applyConfig(tx: Db, app: AppRow, change: { set: SealedConfig; unset: readonly string[] }, by: Actor, why: string): Promise<SealedConfig> {
    await appsRepo.setConfig(tx, app.id, change.set, change.unset);
    const current = app.currentReleaseId ? await appsRepo.releaseById(tx, app.currentReleaseId) : undefined;
    if (current?.image) {
      const created = await appsRepo.insertRelease(tx, app.id, {
        kind: 'config',
        status: 'releasing',
        image: current.image,
        config: await appsRepo.config(tx, app.id),
        sourceRef: current.sourceRef,
        buildSummary: current.buildSummary,
        releaseCommand: current.releaseCommand,
        createdBy: by.id,
      });
      await appsRepo.appendEvent(tx, app.id, { releaseNumber: created.number, type: 'deploy', message: `release ${created.number}: ${why} by ${by.username}` });
      await appsRepo.update(tx, app.id, { status: 'deploying' });
      await appsRepo.markDue(tx, app.id);
    }
    return appsRepo.config(tx, app.id);
  }

  const seal = (value: string, secret: boolean) => ({ value: secret ? deps.keyring.seal(CONFIG_PURPOSE, value) : value, secret });

  async function setConfig(ctx: RequestContext, id: string, body: SetConfigBody): Promise<ConfigVar[]> {
    const app = await visible(ctx.actor, id, 'deploy');
    const set: SealedConfig = Object.fromEntries(Object.entries(body.set).map(([name, v]) => [name, seal(v.value, v.secret)]));
    // Names only: values (secret or not) stay out of the audit trail.
    const result = await audit.mutate(ctx, 'app.config', record(app, { set: Object.keys(body.set), unset: body.unset }), (tx) =>
      applyConfig(tx, app, { set, unset: body.unset }, ctx.actor!, 'config changed'),
    );
    deps.wake();
    return masked(result);
  }

  /** The last lines of each replica of the serving release: what `heroku logs` shows. */
  async function logs(ctx: RequestContext, id: string, tail: number): Promise<AppLogs> {
    const app = await visible(ctx.actor, id, 'view');
    const current = app.currentReleaseId ? await appsRepo.releaseById(db, app.currentReleaseId) : undefined;
    if (!current) return { items: [] };
    const replicas = (await deps.runtime.listReplicas(app.id)).filter((r) => r.releaseId === current.id).sort((a, b) => a.name.localeCompare(b.name));
    return {
      items: await Promise.all(
        replicas.map(async (r) => ({
          replica: Number(r.name.slice(r.name.lastIndexOf('-') + 1)),
          release: current.number,
          state: r.state,
          restarts: r.restartCount,
          output: await deps.runtime.replicaLogs(r.name, tail),
        })),
      ),
    };
  }

  async function events(ctx: RequestContext, id: string, since: number): Promise<AppEvent[]> {
    await visible(ctx.actor, id, 'view');
    return (await appsRepo.events(db, id, since)).map((e) => ({ seq: e.seq, release: e.releaseNumber, type: e.type, message: e.message, createdAt: e.createdAt.toISOString() }));
  }

  /** Whether a host name is an app's (under the apps domain, or a custom domain): the edge's question before it gets a certificate. */
  async function servesHost(domain: string): Promise<boolean> {
    const label = deps.address.labelOf(domain);
    if (label !== undefined) return (await appsRepo.byHost(db, label)) !== undefined;
    return (await appsRepo.byDomain(db, domain.toLowerCase())) !== undefined;
  }

  /** The edge's minutes for the last hour, and how often the serving release's replicas restarted. */
  async function metrics(ctx: RequestContext, id: string): Promise<AppMetricsView> {
    const app = await visible(ctx.actor, id, 'view');
    const replicas = app.currentReleaseId ? (await deps.runtime.listReplicas(app.id)).filter((r) => r.releaseId === app.currentReleaseId) : [];
    return { minutes: deps.metrics.minutes(app.id), restarts: replicas.reduce((n, r) => n + r.restartCount, 0) };
  }

  async function domains(ctx: RequestContext, id: string): Promise<AppDomain[]> {
    await visible(ctx.actor, id, 'view');
    return (await appsRepo.domains(db, id)).map((d) => ({ host: d.host, createdAt: d.createdAt.toISOString() }));
  }

  /** Serves the app at a host of the organization's own too; its admins only (it is the organization's name on the web). */
  async function addDomain(ctx: RequestContext, id: string, host: string): Promise<AppDomain> {
    const app = await visible(ctx.actor, id, 'domains');
    const row = await audit.mutate(ctx, 'app.domain.add', record(app, { host }), async (tx) => {
      if (!deps.knowsOwnName) throw new ForbiddenError('Custom domains need BERTH_PUBLIC_URL set, so that no app can ever take Berth\'s own name');
      if (deps.reservedHost(host)) throw new ValidationError([{ field: 'body.host', message: `${host} is Berth's own (its address, previews or apps domain): pick a domain of your organization's` }]);
      return appsRepo.addDomain(tx, id, host);
    });
    await deps.domainsChanged();
    return { host: row.host, createdAt: row.createdAt.toISOString() };
  }

  async function removeDomain(ctx: RequestContext, id: string, host: string): Promise<void> {
    const app = await visible(ctx.actor, id, 'domains');
    await audit.mutate(ctx, 'app.domain.remove', record(app, { host }), async (tx) => {
      if (!(await appsRepo.removeDomain(tx, id, host))) throw new NotFoundError('Domain');
    });
    await deps.domainsChanged();
  }

  return { visible, applyConfig, seal, record, servesHost, metrics, domains, addDomain, removeDomain, list, create, get, update, remove, deploy, webhook, push, logs, releases, rollback, config, setConfig, events };
}

export type AppsService = ReturnType<typeof createAppsService>;
