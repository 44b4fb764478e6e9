import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { CreateWarmPoolBody, RuntimeClass, UpdateWarmPoolBody, WarmPool } from '@berth/contracts';
import type { RequestContext } from '../../context.js';
import type { Db } from '../../db/client.js';
import { AppError, NotFoundError } from '../../errors.js';
import type { AuditService } from '../audit/audit.service.js';
import { authorize } from '../auth/authorize.js';
import type { EnvironmentEventsRepo } from '../environments/environment-events.repo.js';
import type { EnvironmentRow, EnvironmentsRepo } from '../environments/environments.repo.js';
import type { MachineTypesRepo } from '../machine-types/machine-types.repo.js';
import { imageOf } from '../templates/templates.domain.js';
import type { TemplatesRepo } from '../templates/templates.repo.js';
import { requiredLabels } from '../nodes/placement.js';
import { strongest, type RuntimeClasses } from '../nodes/runtime-classes.js';
import { planPool, poolVersion, type PoolTarget } from './pools.domain.js';
import type { ClaimPatch, PoolsRepo, WarmPoolRow } from './pools.repo.js';

interface Deps {
  db: Db;
  poolsRepo: PoolsRepo;
  machineTypesRepo: Pick<MachineTypesRepo, 'lock'>;
  templatesRepo: Pick<TemplatesRepo, 'get'>;
  environmentsRepo: Pick<EnvironmentsRepo, 'setIntent'>;
  eventsRepo: Pick<EnvironmentEventsRepo, 'append'>;
  audit: AuditService;
  defaultImage: string;
  /** Wakes the reconciler and event followers for these environments (after commit). */
  changed: (environmentId: string) => void;
  /** How long after the last claim the pool refills: building beside a burst of claims slows the claimants' first commands. */
  refillDelayMs: number;
  /** A pool of a class no engine offers is refused when it is made (runtime_class_unavailable). */
  runtimeClasses: Pick<RuntimeClasses, 'offered' | 'check'>;
  log: FastifyBaseLogger;
}

/** The keeper's own changes are audited under this name (the system acts, no user). */
const KEEPER = { actor: null, ip: null, userAgent: null, requestId: 'warm-pool' };

/** What a create would make, cold: the environment a claim must match. */
export interface ClaimTarget {
  machineType: string;
  image: string;
  vcpus: number;
  memoryMb: number;
  diskGib: number;
  templateId: string | null;
  nodeLabels: Record<string, string>;
  runtimeClass: RuntimeClass;
}

/**
 * Warm pools: environments built and started ahead of demand, owned by no one and charged to no
 * one, each on a network of its own. A create that matches claims one in its own transaction
 * (environments.service); the keeper tops pools up, drains old versions and what is beyond the
 * size. Every pass is level-triggered over the database, under the pool's row lock, so it is
 * safe to run on any replica, any number of times, and after a crash.
 */
export function createPoolsService(deps: Deps) {
  const { db, poolsRepo, audit } = deps;

  /** What a pool's environments are made as now; null when its machine type or template is gone. */
  async function targetOf(tx: Db, pool: Pick<WarmPoolRow, 'machineType' | 'templateId' | 'image' | 'runtimeClass'>): Promise<PoolTarget | null> {
    const type = await deps.machineTypesRepo.lock(tx, pool.machineType, 'share');
    const template = pool.templateId ? await deps.templatesRepo.get(tx, pool.templateId) : undefined;
    if (!type || (pool.templateId && !template)) return null;
    return {
      machineType: type.name,
      // The order a create picks its image in: one named for it, the template's, the type's, the default.
      image: pool.image ?? (template && imageOf(template)) ?? type.image ?? deps.defaultImage,
      vcpus: type.vcpus,
      memoryMb: type.memoryMb,
      diskGib: type.diskGib,
      template: template ? { id: template.id, files: template.files, startCommand: template.startCommand } : null,
      nodeLabels: requiredLabels(type, template),
      // As a create takes it: the strongest of the pool's, its type's and its template's.
      runtimeClass: strongest(pool.runtimeClass, type.runtimeClass, template?.runtimeClass),
    };
  }

  async function list(ctx: RequestContext): Promise<WarmPool[]> {
    authorize(ctx.actor, 'pools.manage');
    return describe(await poolsRepo.list(db));
  }

  async function describe(pools: WarmPoolRow[]): Promise<WarmPool[]> {
    const versions = new Map<string, string | null>();
    const classes = new Map<string, RuntimeClass>();
    const slugs = new Map<string, string | null>();
    for (const pool of pools) {
      const target = await targetOf(db, pool);
      versions.set(pool.id, target && poolVersion(target));
      if (target) classes.set(pool.id, target.runtimeClass);
      slugs.set(pool.id, pool.templateId ? ((await deps.templatesRepo.get(db, pool.templateId))?.slug ?? null) : null);
    }
    const counts = await poolsRepo.counts(
      db,
      pools.map((p) => p.id),
      versions,
    );
    return pools.map((p) => ({
      id: p.id,
      machineType: p.machineType,
      templateId: p.templateId,
      templateSlug: slugs.get(p.id) ?? null,
      image: p.image,
      size: p.size,
      runtimeClass: classes.get(p.id) ?? p.runtimeClass,
      version: versions.get(p.id) ?? null,
      ...counts.get(p.id)!,
      createdAt: p.createdAt.toISOString(),
      updatedAt: p.updatedAt.toISOString(),
    }));
  }

  async function one(id: string): Promise<WarmPool> {
    const pool = await poolsRepo.get(db, id);
    if (!pool) throw new NotFoundError('Warm pool');
    return (await describe([pool]))[0]!;
  }

  async function create(ctx: RequestContext, body: CreateWarmPoolBody): Promise<WarmPool> {
    authorize(ctx.actor, 'pools.manage');
    const offered = await deps.runtimeClasses.offered();
    const pool = await audit.mutate(ctx, 'pool.create', { targetType: 'pool', metadata: { ...body } }, async (tx, rec) => {
      const type = await deps.machineTypesRepo.lock(tx, body.machineType, 'share');
      if (!type) throw new AppError('machine_type_not_allowed', `There is no machine type "${body.machineType}"`);
      const template = body.templateId ? await deps.templatesRepo.get(tx, body.templateId) : undefined;
      if (body.templateId && !template) throw new NotFoundError('Template');
      deps.runtimeClasses.check(strongest(body.runtimeClass, type.runtimeClass, template?.runtimeClass), offered);
      const row = await poolsRepo.insert(tx, { machineType: body.machineType, templateId: body.templateId ?? null, image: body.image ?? null, size: body.size, runtimeClass: body.runtimeClass ?? 'standard' });
      rec.targetId = row.id;
      return row;
    });
    await keepNow(pool.id);
    return one(pool.id);
  }

  /** A new size; its failed environments go (the keeper makes new ones in their place). */
  async function update(ctx: RequestContext, id: string, body: UpdateWarmPoolBody): Promise<WarmPool> {
    authorize(ctx.actor, 'pools.manage');
    const drained = await audit.mutate(ctx, 'pool.update', { targetType: 'pool', targetId: id, metadata: { ...body } }, async (tx, rec) => {
      const pool = await poolsRepo.lock(tx, id);
      if (!pool) throw new NotFoundError('Warm pool');
      rec.metadata = { ...rec.metadata, previousSize: pool.size };
      await poolsRepo.setSize(tx, id, body.size);
      return drain(tx, await poolsRepo.failedMembers(tx, id), 'replaced: the pool was changed');
    });
    drained.forEach(deps.changed);
    await keepNow(id);
    return one(id);
  }

  async function remove(ctx: RequestContext, id: string): Promise<void> {
    authorize(ctx.actor, 'pools.manage');
    const drained = await audit.mutate(ctx, 'pool.delete', { targetType: 'pool', targetId: id }, async (tx) => {
      const pool = await poolsRepo.lock(tx, id);
      if (!pool) throw new NotFoundError('Warm pool');
      const members = await poolsRepo.members(tx, id);
      await poolsRepo.delete(tx, id);
      return drain(
        tx,
        members.map((m) => m.id),
        'the warm pool was deleted',
      );
    });
    drained.forEach(deps.changed);
  }

  async function drain(tx: Db, ids: string[], why: string): Promise<string[]> {
    for (const id of ids) {
      await deps.environmentsRepo.setIntent(tx, id, 'deleted');
      await deps.eventsRepo.append(tx, id, { type: 'pool', message: `deleting: ${why}` });
    }
    return ids;
  }

  /**
   * Inside a create's transaction (after its credit checks): a ready environment of a pool that
   * makes exactly what the create asks for, now the claimant's, or undefined (then it is made cold).
   */
  async function claim(tx: Db, target: ClaimTarget, patch: ClaimPatch): Promise<EnvironmentRow | undefined> {
    const template = target.templateId ? await deps.templatesRepo.get(tx, target.templateId) : undefined;
    if (target.templateId && !template) return undefined;
    const version = poolVersion({ ...target, template: template ? { id: template.id, files: template.files, startCommand: template.startCommand } : null });
    const row = await poolsRepo.claim(tx, version, patch);
    if (row) keeper.claimed();
    return row;
  }

  /** One pass over one pool: drain what it should not keep, make what it lacks, in one audited transaction. */
  async function keep(poolId: string): Promise<{ made: string[]; drained: string[] }> {
    const made: string[] = [];
    const result = await audit.mutate(KEEPER, 'pool.refill', { targetType: 'pool', targetId: poolId }, async (tx, rec) => {
      const pool = await poolsRepo.lock(tx, poolId);
      if (!pool) {
        rec.unchanged = true;
        return { made, drained: [] };
      }
      const target = await targetOf(tx, pool);
      const version = target && poolVersion(target);
      const plan = planPool(await poolsRepo.members(tx, pool.id), version, pool.size);
      const drained = await drain(tx, plan.drain, version ? 'of an earlier version of its pool, or beyond its size' : "its pool's machine type or template is gone");
      for (let i = 0; i < plan.make && target && version; i++) {
        const id = await poolsRepo.insertMember(tx, {
          poolId: pool.id,
          poolVersion: version,
          name: `pool-${randomBytes(4).toString('hex')}`,
          machineType: target.machineType,
          image: target.image,
          vcpus: target.vcpus,
          memoryMb: target.memoryMb,
          diskGib: target.diskGib,
          creditsCost: 0,
          templateId: target.template?.id ?? null,
          nodeLabels: target.nodeLabels,
          runtimeClass: target.runtimeClass,
        });
        await deps.eventsRepo.append(tx, id, { type: 'status', status: 'pending', message: `made for a warm pool (${pool.machineType}${target.template ? `, template ${target.template.id}` : ''})` });
        made.push(id);
      }
      rec.unchanged = made.length === 0 && drained.length === 0;
      rec.metadata = { made: made.length, drained: drained.length, version };
      return { made, drained };
    });
    [...result.made, ...result.drained].forEach(deps.changed);
    return result;
  }

  /** A pool an administrator just changed, kept at once: the answer shows what is being built. */
  async function keepNow(poolId: string): Promise<void> {
    await keep(poolId).catch((err: unknown) => deps.log.warn({ err, poolId }, 'keeping a warm pool failed; the next pass tries again'));
  }

  /** Every pool, one after another; a pool that fails is logged and the next is kept. */
  async function run(): Promise<void> {
    for (const pool of await poolsRepo.list(db)) {
      await keep(pool.id).catch((err: unknown) => deps.log.warn({ err, poolId: pool.id }, 'keeping a warm pool failed'));
    }
  }

  /**
   * Passes over every pool: periodically, at once after an administrator's change, and `refillDelayMs`
   * after the last of a run of claims (the periodic pass waits for that too); wake-ups during a pass
   * make one more.
   */
  const keeper = (() => {
    let timer: NodeJS.Timeout | undefined;
    let refill: NodeJS.Timeout | undefined;
    let lastClaim = 0;
    let pass: Promise<void> | undefined;
    let again = false;
    let stopped = true;
    function wake(): void {
      if (stopped) return;
      if (pass) {
        again = true;
        return;
      }
      pass = (async () => {
        do {
          again = false;
          await run().catch((err: unknown) => deps.log.warn({ err }, 'keeping warm pools failed'));
        } while (again && !stopped);
      })().finally(() => (pass = undefined));
    }
    function claimed(): void {
      lastClaim = Date.now();
      clearTimeout(refill);
      refill = setTimeout(wake, deps.refillDelayMs);
    }
    return {
      wake,
      claimed,
      start(intervalMs: number): void {
        stopped = false;
        timer = setInterval(() => Date.now() - lastClaim >= deps.refillDelayMs && wake(), intervalMs);
        wake();
      },
      async stop(): Promise<void> {
        stopped = true;
        clearInterval(timer);
        clearTimeout(refill);
        await pass;
      },
    };
  })();

  return { list, create, update, remove, claim, keep, run, start: keeper.start, stop: keeper.stop, wake: keeper.wake };
}

export type PoolsService = ReturnType<typeof createPoolsService>;
