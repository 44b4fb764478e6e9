import type { CreateEnvironmentBody, MoveEnvironmentBody, EgressBody, EgressMode, Environment, EnvironmentEvent, EnvironmentStats, ExecBody, ExecResult, RuntimeClass } from '@berth/contracts';
import { requireActor, type Actor, type RequestContext } from '../../context.js';
import type { Db } from '../../db/client.js';
import { AppError, ConflictError, ForbiddenError, NotFoundError } from '../../errors.js';
import { NotASwarmError, type ExecRequest, type RuntimeDriver } from '../../runtime/driver.js';
import { ineligible, requiredLabels } from '../nodes/placement.js';
import { strongest, type RuntimeClasses } from '../nodes/runtime-classes.js';
import type { AuditService } from '../audit/audit.service.js';
import { authorize, may } from '../auth/authorize.js';
import { environmentLevel, roleMay, type EnvironmentLevel } from '../auth/auth.policy.js';
import type { MachineTypesRepo } from '../machine-types/machine-types.repo.js';
import { refusalToRun, refusalToRunInOrg, type RunOptions } from '../quotas/quotas.domain.js';
import type { QuotaRow, QuotasRepo } from '../quotas/quotas.repo.js';
import type { OrgsRepo } from '../orgs/orgs.repo.js';
import type { ClaimPatch } from '../pools/pools.repo.js';
import type { ClaimTarget } from '../pools/pools.service.js';
import type { EnvironmentEventsRepo } from './environment-events.repo.js';
import { egressChangeNeedsAdmin, normaliseAllow } from './egress.domain.js';
import { randomEnvironmentName } from './environments.domain.js';
import { toEnvironment, toEvent } from './environments.mapper.js';
import type { EnvironmentRow, EnvironmentsRepo, EnvironmentWithOwner } from './environments.repo.js';

/** What a template the actor may use gives its environments: an image of its own (or null), node labels, and a runtime class. */
export interface TemplateTarget {
  image: string | null;
  nodeLabels: Record<string, string>;
  runtimeClass: RuntimeClass;
}

interface Deps {
  db: Db;
  environmentsRepo: EnvironmentsRepo;
  eventsRepo: EnvironmentEventsRepo;
  quotasRepo: Pick<QuotasRepo, 'lock' | 'usage' | 'lockOrg' | 'orgUsage'>;
  machineTypesRepo: Pick<MachineTypesRepo, 'lock'>;
  orgsRepo: Pick<OrgsRepo, 'lock'>;
  runtime: Pick<RuntimeDriver, 'ping' | 'exec' | 'stats' | 'clustered' | 'nodes'>;
  /** Which runtime classes the engines offer now; refuses a class none does. */
  runtimeClasses: Pick<RuntimeClasses, 'offered' | 'check'>;
  /** Checks the actor may use the template; the image its Dockerfile builds, if it has one. */
  templateTarget: (actor: Actor, templateId: string) => Promise<TemplateTarget>;
  /** A ready environment of a warm pool that makes what a create asks for, now the claimant's (pools.service). */
  claimPooled: (tx: Db, target: ClaimTarget, patch: ClaimPatch) => Promise<EnvironmentRow | undefined>;
  audit: AuditService;
  defaultImage: string;
  execMaxOutputBytes: number;
  /** Wakes the reconciler and event followers for these environments (after commit). */
  changed: (environmentId: string) => void;
}

type Lifecycle = 'start' | 'stop' | 'restart' | 'delete';

interface CreateOptions {
  origin?: EnvironmentRow['origin'];
  /** An image an administrator chose elsewhere (an E2B template's), not one the caller names. */
  image?: string;
  attach?: (tx: Db, env: EnvironmentRow) => Promise<void>;
}

const NOTE_ACTIVITY_EVERY_MS = 10_000;

/** An environment with how one caller stands to it, as the repository reads it. */
type Standing = NonNullable<Awaited<ReturnType<EnvironmentsRepo['getStanding']>>>;
/** An environment the caller may act on, with how far (`access`). */
export type VisibleEnvironment = Standing & { access: EnvironmentLevel };

export function createEnvironmentsService(deps: Deps) {
  const { db, environmentsRepo, eventsRepo, audit } = deps;

  /**
   * The environment if the caller may act on it at `need` (auth.policy.ts): 404 for
   * whoever may not see it at all, 403 for whoever may see it but not that. A
   * token acts only in its own organization.
   */
  async function visible(actor: Actor | null, id: string, need: EnvironmentLevel = 'view'): Promise<VisibleEnvironment> {
    return decide(actor, actor ? await environmentsRepo.getStanding(db, id, actor.id) : undefined, need);
  }

  /**
   * What the authorization hook read of an environment, kept for the rest of
   * that request: the service decides again on the same read instead of
   * reading it twice (the hook runs before validation; the service is also
   * called from elsewhere, where nothing was read).
   */
  const readByHook = new WeakMap<RequestContext, { id: string; env: Standing | undefined }>();

  /** The hook's check (http/authorization.ts): `visible`, remembering the read for the request. */
  async function visibleForRequest(ctx: RequestContext, id: string, need: EnvironmentLevel): Promise<VisibleEnvironment> {
    const env = ctx.actor ? await environmentsRepo.getStanding(db, id, ctx.actor.id) : undefined;
    readByHook.set(ctx, { id, env });
    return decide(ctx.actor, env, need);
  }

  /** `visible` for a service call of a request, on the hook's read when it made one. */
  async function visibleIn(ctx: RequestContext, id: string, need: EnvironmentLevel = 'view'): Promise<VisibleEnvironment> {
    const read = readByHook.get(ctx);
    return read?.id === id ? decide(ctx.actor, read.env, need) : visible(ctx.actor, id, need);
  }

  function decide(actor: Actor | null, env: Standing | undefined, need: EnvironmentLevel): VisibleEnvironment {
    const foreign = actor?.via === 'token' && env?.orgId !== actor.orgId;
    const standing = env && (foreign ? { ...env.standing, role: undefined } : env.standing);
    authorize(actor, `environment.${need}`, standing);
    return { ...env!, access: environmentLevel({ ...standing!, isInstanceAdmin: actor!.isAdmin })! };
  }

  /** Owners move between internet and none; what concerns an allowlist is an administrator's (egress.domain.ts). */
  function checkEgressChange(actor: Actor, current: EgressMode, next: EgressMode): void {
    const reason = egressChangeNeedsAdmin(current, next);
    if (reason && !may(actor, 'egress.allowlist')) throw new ForbiddenError(reason);
  }

  /** The engine's answer to one ping with a deadline; callers asking while one is out share it. */
  let pinging: Promise<void> | undefined;
  async function pingEngine(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        deps.runtime.ping(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('the engine did not answer within 3 s')), 3000))),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function runtimeHealthy(): Promise<void> {
    // Forty starts at once ask once: a burst of pings is what made a busy engine miss the deadline.
    pinging ??= pingEngine().finally(() => (pinging = undefined));
    try {
      await pinging;
    } catch (err) {
      throw new AppError('runtime_unavailable', `No healthy runtime to run environments: ${(err as Error).message}`);
    }
  }

  /**
   * Records a new environment with its credit check. Another API that fronts
   * environments (E2B) passes its `origin` and `attach`es its own row in the
   * same transaction, so the two exist together or not at all.
   */
  async function create(ctx: RequestContext, body: CreateEnvironmentBody, opts: CreateOptions = {}): Promise<Environment> {
    const actor = requireActor(ctx);
    const origin = opts.origin ?? 'berth';
    const egress = body.egress ?? 'internet';
    const egressAllow = normaliseAllow(body.egressAllow);
    const rec = { targetType: 'environment', metadata: { type: body.type, name: body.name, image: body.image ?? opts.image, origin, egress, egressAllow } };
    let template: TemplateTarget | undefined;
    let offered: RuntimeClass[] = [];
    await audit.precheck(ctx, 'environment.create', rec, async () => {
      // Images come from the catalogue (machine types, E2B templates): a named one could be anything the engine can reach.
      if (body.image) authorize(actor, 'images.name');
      checkEgressChange(actor, 'internet', egress);
      if (body.templateId) template = await deps.templateTarget(actor, body.templateId);
      await runtimeHealthy();
      offered = await deps.runtimeClasses.offered();
    });
    const row = await audit.mutate(ctx, 'environment.create', rec, async (tx, r) => {
      // Held (shared) until commit: a suspension or deletion of the organization waits for this create, or it sees it.
      const org = await deps.orgsRepo.lock(tx, actor.orgId, 'share');
      authorize(actor, 'org.create', org && { role: actor.orgRole, status: org.status });
      if (org!.status !== 'active') throw new AppError('organization_not_active', `The organization is ${org!.status}`);
      const quota = await deps.quotasRepo.lock(tx, actor.id);
      const type = await deps.machineTypesRepo.lock(tx, body.type, 'share');
      if (!type) throw new AppError('machine_type_not_allowed', `There is no machine type "${body.type}"`);
      // The strongest class anything asks for: a create or a template can add isolation, never take it away.
      const runtimeClass = strongest(type.runtimeClass, template?.runtimeClass, body.runtimeClass);
      r.metadata = { ...r.metadata, runtimeClass };
      deps.runtimeClasses.check(runtimeClass, offered);
      await checkCredits(tx, quota, { ownerId: actor.id, orgId: org!.id, orgPersonal: org!.personal, machineType: type.name, creditsCost: type.creditsCost }, { isNew: true });
      const name = body.name ?? (await freeName(tx, actor.id));
      const target = {
        machineType: type.name,
        image: body.image ?? opts.image ?? template?.image ?? type.image ?? deps.defaultImage,
        vcpus: type.vcpus,
        memoryMb: type.memoryMb,
        diskGib: type.diskGib,
        templateId: body.templateId ?? null,
        nodeLabels: requiredLabels(type, template),
        runtimeClass,
      };
      const owner = { ownerId: actor.id, orgId: actor.orgId, name, origin, creditsCost: type.creditsCost };
      const via = origin === 'berth' ? '' : ` through the ${origin.toUpperCase()} API`;
      // A pool's environments wait on `internet`: a create asking for less is made cold, never handed more for a moment.
      const pooled = egress === 'internet' ? await deps.claimPooled(tx, target, owner) : undefined;
      const env =
        pooled ??
        (await environmentsRepo.insert(tx, { ...owner, ...target, desiredState: 'running', status: 'pending', reconcileAfter: new Date(), egress, egressAllow }));
      await opts.attach?.(tx, env);
      await eventsRepo.append(
        tx,
        env.id,
        pooled ? { type: 'status', status: 'running', message: `claimed from a warm pool by ${actor.username}${via}` } : { type: 'status', status: 'pending', message: `requested by ${actor.username}${via}` },
      );
      r.targetId = env.id;
      r.metadata = { ...r.metadata, name, ...(pooled ? { pool: pooled.poolId } : {}) };
      return env;
    });
    deps.changed(row.id);
    return toEnvironment({ ...row, ownerUsername: actor.username }, 'manage');
  }

  async function freeName(tx: Db, ownerId: string): Promise<string> {
    const taken = await environmentsRepo.namesInUse(tx, ownerId);
    for (let i = 0; i < 20; i++) {
      const name = randomEnvironmentName();
      if (!taken.has(name)) return name;
    }
    throw new ConflictError('Could not find a free random name; choose one');
  }

  /** The environments the caller may see in the organization it acts in (admins: ?all=true for every one anywhere). */
  async function list(ctx: RequestContext, all: boolean): Promise<Environment[]> {
    const actor = requireActor(ctx);
    if (all) authorize(actor, 'environments.all');
    if (all) return (await environmentsRepo.list(db, null)).map((row) => toEnvironment(row, 'manage'));
    const rows = await environmentsRepo.listInOrg(db, actor.orgId, actor.id, roleMay(actor.orgRole, 'org.manage'));
    return rows.map((row) => toEnvironment(row, environmentLevel({ ...row.standing, role: actor.orgRole, isInstanceAdmin: actor.isAdmin })!));
  }

  async function get(ctx: RequestContext, id: string): Promise<Environment> {
    const env = await visibleIn(ctx, id);
    return toEnvironment(env, env.access);
  }

  /** start / stop / restart / delete: record the intent with its credit check and audit row, then wake the reconciler. */
  async function lifecycle(ctx: RequestContext, id: string, op: Lifecycle): Promise<Environment> {
    const actor = requireActor(ctx);
    const env = await visibleIn(ctx, id, 'manage');
    const rec = { targetType: 'environment', targetId: id };
    if (op === 'start' || op === 'restart') {
      await audit.precheck(ctx, `environment.${op}`, rec, async () => {
        if (env.orgStatus === 'suspended') throw new AppError('organization_suspended', 'The organization is suspended: its environments cannot start');
        await runtimeHealthy();
        // gVisor unregistered since it was made: refused here, not failed by the reconciler.
        if (env.runtimeClass !== 'standard') deps.runtimeClasses.check(env.runtimeClass, await deps.runtimeClasses.offered());
      });
    }
    await audit.mutate(ctx, `environment.${op}`, rec, async (tx) => {
      // Lock order everywhere: quota, then environment.
      const quota = await deps.quotasRepo.lock(tx, env.ownerId);
      const current = await environmentsRepo.lock(tx, id);
      if (!current || current.desiredState === 'deleted') throw new NotFoundError('Environment');
      // Its owner and organization are the ones read above: once set, they never change.
      if (op === 'start' || op === 'restart') await checkCanRun(tx, quota, { ...current, ownerId: env.ownerId, orgId: env.orgId, orgPersonal: env.orgPersonal });
      const desired = op === 'delete' ? 'deleted' : op === 'stop' ? 'stopped' : 'running';
      await environmentsRepo.setIntent(tx, id, desired, { restart: op === 'restart' });
      await eventsRepo.append(tx, id, { type: 'intent', message: `${op} requested by ${actor.username}`, data: { desiredState: desired } });
    });
    deps.changed(id);
    return toEnvironment((await environmentsRepo.get(db, id))!, 'manage');
  }

  /**
   * An administrator moves a stopped environment to another node. Recorded here, with its audit row;
   * the reconciler copies the workspace, verifies the copy, and only then removes the original.
   */
  async function move(ctx: RequestContext, id: string, body: MoveEnvironmentBody): Promise<Environment> {
    const actor = requireActor(ctx);
    authorize(actor, 'nodes.manage');
    const rec = { targetType: 'environment', targetId: id, metadata: { nodeId: body.nodeId } };
    await audit.mutate(ctx, 'environment.move', rec, async (tx) => {
      if (!deps.runtime.clustered) throw new NotASwarmError();
      // The swarm is asked before the environment's row is locked, not while the lock is held.
      const nodes = (await deps.runtime.nodes()).items;
      const current = await environmentsRepo.lock(tx, id);
      if (!current || current.desiredState === 'deleted') throw new NotFoundError('Environment');
      if (current.desiredState !== 'stopped' || current.status !== 'stopped') throw new ConflictError(`Environment "${current.name}" is ${current.status}: stop it before moving it`);
      const node = nodes.find((n) => n.id === body.nodeId);
      if (!node) throw new NotFoundError('Node');
      if (current.nodeId === node.id) throw new ConflictError(`Environment "${current.name}" is on ${node.name} already`);
      const why = ineligible(node, { vcpus: current.vcpus, memoryMb: current.memoryMb, labels: current.nodeLabels, runtimeClass: current.runtimeClass });
      if (why) throw new ConflictError(`${node.name} cannot take it: ${why}`);
      await environmentsRepo.update(tx, id, { moveToNodeId: node.id, reconcileAfter: new Date() });
      await eventsRepo.append(tx, id, { type: 'intent', message: `move to ${node.name} requested by ${actor.username}`, data: { nodeId: node.id } });
    });
    deps.changed(id);
    return toEnvironment((await environmentsRepo.get(db, id))!, 'manage');
  }

  /**
   * Replaces the egress policy. Recorded here with its audit row; the reconciler applies it, moving a
   * running environment onto its new network without a restart (a stopped one moves when it starts).
   */
  async function setEgress(ctx: RequestContext, id: string, body: EgressBody): Promise<Environment> {
    const actor = requireActor(ctx);
    const env = await visibleIn(ctx, id, 'manage');
    const egressAllow = normaliseAllow(body.egressAllow);
    const rec = { targetType: 'environment', targetId: id, metadata: { egress: body.egress, egressAllow, previous: env.egress } };
    await audit.mutate(ctx, 'environment.egress', rec, async (tx) => {
      const current = await environmentsRepo.lock(tx, id);
      if (!current || current.desiredState === 'deleted') throw new NotFoundError('Environment');
      checkEgressChange(actor, current.egress, body.egress);
      // An environment in error waits for a new lifecycle intent; it gets the policy when it next runs.
      await environmentsRepo.setEgress(tx, id, body.egress, egressAllow, { due: current.status !== 'error' });
      const allow = body.egress === 'allowlist' ? ` (${egressAllow.join(', ')})` : '';
      await eventsRepo.append(tx, id, { type: 'egress', message: `egress policy ${body.egress}${allow} set by ${actor.username}`, data: { egress: body.egress, egressAllow } });
    });
    deps.changed(id);
    return toEnvironment((await environmentsRepo.get(db, id))!, 'manage');
  }

  async function checkCanRun(tx: Db, quota: QuotaRow | undefined, env: EnvironmentRow & { orgPersonal: boolean }): Promise<void> {
    // Already running: already counted in the credits in use; only a switched-off quota stops it.
    const counted = env.desiredState === 'running';
    await checkCredits(tx, quota, { ...env, creditsCost: counted ? 0 : env.creditsCost }, { isNew: false, excludeId: env.id });
  }

  /**
   * Refuses an environment its quotas cannot carry, under the locks that
   * serialise every credit decision (invariant 5): the owner's quota row (taken
   * by the caller: their switch, and the quota of their personal organization),
   * then, in a shared organization, its quota row, so members drawing on one
   * pool are decided one at a time and the pool and the member's cap hold together.
   */
  async function checkCredits(
    tx: Db,
    quota: QuotaRow | undefined,
    env: { ownerId: string; orgId: string; orgPersonal: boolean; machineType: string; creditsCost: number },
    opts: RunOptions & { excludeId?: string; excludeAppId?: string },
  ): Promise<void> {
    if (!quota) throw new NotFoundError('Quota');
    const type = { name: env.machineType, creditsCost: env.creditsCost };
    if (env.orgPersonal || !quota.active) {
      const refusal = refusalToRun(quota, type, await deps.quotasRepo.usage(tx, env.ownerId, opts.excludeId, opts.excludeAppId), opts);
      if (refusal) throw refusal;
      return;
    }
    const orgQuota = await deps.quotasRepo.lockOrg(tx, env.orgId);
    if (!orgQuota) throw new NotFoundError('Quota');
    const refusal = refusalToRunInOrg(orgQuota, type, await deps.quotasRepo.orgUsage(tx, env.orgId, env.ownerId, opts.excludeId, opts.excludeAppId), opts);
    if (refusal) throw refusal;
  }

  /**
   * Refuses an app's replicas (`creditsCost`: all of them) that the quotas cannot carry, under the same
   * locks as an environment's (invariant 5); `excludeAppId`: the app being resized, counted at its new size.
   */
  async function checkAppCredits(tx: Db, actor: Actor, app: { orgId: string; orgPersonal: boolean; machineType: string; creditsCost: number; excludeAppId?: string }): Promise<void> {
    const quota = await deps.quotasRepo.lock(tx, actor.id);
    await checkCredits(tx, quota, { ownerId: actor.id, ...app }, { isNew: true, environment: false, excludeAppId: app.excludeAppId });
  }

  async function events(ctx: RequestContext, id: string, since: number, limit: number): Promise<EnvironmentEvent[]> {
    await visibleIn(ctx, id);
    return (await eventsRepo.list(db, id, since, limit)).map(toEvent);
  }

  /** How far a user (not a token: previews carry the user) may go with an environment today; null: not at all. */
  async function levelOf(tx: Db, id: string, user: { id: string; isAdmin: boolean }): Promise<EnvironmentLevel | null> {
    const env = await environmentsRepo.getStanding(tx, id, user.id);
    return env ? environmentLevel({ ...env.standing, isInstanceAdmin: user.isAdmin }) : null;
  }

  /** The environment, if the caller may act on it at `need` (by default: use it) and it is running. */
  async function running(ctx: RequestContext, id: string, need: EnvironmentLevel = 'use'): Promise<EnvironmentWithOwner> {
    const env = await visibleIn(ctx, id, need);
    if (env.status === 'unreachable') {
      throw new AppError('environment_not_running', `Environment "${env.name}" is unreachable: the node it runs on does not answer; it runs again when the node is back`);
    }
    if (env.status !== 'running' || env.desiredState !== 'running') {
      throw new AppError('environment_not_running', `Environment "${env.name}" is ${env.status}; start it first`);
    }
    return env;
  }

  /** Marks the environment as in use now (idle auto-stop counts from here). */
  async function touch(id: string): Promise<void> {
    await environmentsRepo.touchActivity(db, id);
  }

  /**
   * Activity from a stream of small events (keystrokes, preview requests): at
   * most one write per environment and source (a terminal session, say) every
   * few seconds, never awaited.
   */
  const lastNoted = new Map<string, number>();
  function noteActivity(id: string, source = ''): void {
    const key = `${id}/${source}`;
    if (Date.now() - (lastNoted.get(key) ?? 0) < NOTE_ACTIVITY_EVERY_MS) return;
    lastNoted.set(key, Date.now());
    touch(id).catch(() => lastNoted.delete(key)); // try again with the next event
  }

  /**
   * Runs a command; with `onOutput`, its output is handed over as it comes instead of returned (a
   * promise from it holds the command back until it settles). Aborting `signal` ends the command.
   */
  async function exec(ctx: RequestContext, id: string, body: ExecBody, onOutput?: ExecRequest['onOutput'], signal?: AbortSignal): Promise<ExecResult> {
    await running(ctx, id);
    const argv = typeof body.command === 'string' ? ['bash', '-lc', body.command] : body.command;
    const result = await deps.runtime.exec(id, {
      argv,
      cwd: body.cwd,
      env: body.env,
      stdin: body.stdin,
      timeoutMs: body.timeoutMs,
      maxOutputBytes: deps.execMaxOutputBytes,
      onOutput,
      signal,
    });
    // The command itself is not recorded: it may carry secrets. Which program ran, where, and how it ended is.
    await Promise.all([
      audit.record(
        ctx,
        'environment.exec',
        { targetType: 'environment', targetId: id, metadata: { program: argv[0], cwd: body.cwd ?? '/workspace', exitCode: result.exitCode, timedOut: result.timedOut } },
        true,
      ),
      environmentsRepo.touchActivity(db, id),
    ]);
    return result;
  }

  async function stats(ctx: RequestContext, id: string): Promise<EnvironmentStats> {
    await running(ctx, id, 'view');
    try {
      return await deps.runtime.stats(id);
    } catch (err) {
      // Asked to stop meanwhile (the engine's answers mid-stop vary): say so, not an internal error.
      const now = await environmentsRepo.get(db, id);
      if (!(err instanceof AppError) && now && (now.status !== 'running' || now.desiredState !== 'running')) {
        throw new AppError('environment_not_running', `Environment "${now.name}" is ${now.status}; start it first`);
      }
      throw err;
    }
  }

  return { create, checkAppCredits, list, get, lifecycle, move, setEgress, events, exec, stats, visible, visibleForRequest, visibleIn, levelOf, running, touch, noteActivity };
}

export type EnvironmentsService = ReturnType<typeof createEnvironmentsService>;
