import type { CreateMachineTypeBody, MachineType, UpdateMachineTypeBody } from '@berth/contracts';
import { requireActor, type RequestContext } from '../../context.js';
import type { Db } from '../../db/client.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import type { AuditService } from '../audit/audit.service.js';
import { authorize, may } from '../auth/authorize.js';
import type { QuotasRepo } from '../quotas/quotas.repo.js';
import type { MachineTypeRow, MachineTypesRepo } from './machine-types.repo.js';

/** Seeded on first start when there are none. */
export const DEFAULT_MACHINE_TYPES = [
  { name: 'small', vcpus: 1, memoryMb: 1024, diskGib: 5, creditsCost: 1 },
  { name: 'medium', vcpus: 2, memoryMb: 2048, diskGib: 10, creditsCost: 2 },
  { name: 'large', vcpus: 4, memoryMb: 4096, diskGib: 25, creditsCost: 4 },
];

interface Deps {
  db: Db;
  machineTypesRepo: MachineTypesRepo;
  quotasRepo: Pick<QuotasRepo, 'get' | 'getOrg'>;
  audit: AuditService;
}

export function createMachineTypesService({ db, machineTypesRepo, quotasRepo, audit }: Deps) {
  async function seedDefaults(): Promise<void> {
    if ((await machineTypesRepo.count(db)) === 0) await machineTypesRepo.seed(db, DEFAULT_MACHINE_TYPES);
  }

  /**
   * Admins see every type; anyone else the types the quota of the organization
   * they act in allows (of a personal one: their own quota).
   */
  async function list(ctx: RequestContext): Promise<MachineType[]> {
    const actor = requireActor(ctx);
    if (may(actor, 'machine-types.manage')) return (await machineTypesRepo.list(db)).map(toMachineType);
    const quota = (await quotasRepo.getOrg(db, actor.orgId)) ?? (await quotasRepo.get(db, actor.id));
    return (await machineTypesRepo.list(db, quota?.allowedTypes ?? [])).map(toMachineType);
  }

  async function create(ctx: RequestContext, body: CreateMachineTypeBody): Promise<MachineType> {
    authorize(ctx.actor, 'machine-types.manage');
    const row = await audit.mutate(ctx, 'machine_type.create', { targetType: 'machine_type', targetId: body.name, metadata: { ...body } }, (tx) =>
      machineTypesRepo.insert(tx, { ...body, private: body.private ?? false, image: body.image ?? null, nodeLabels: body.nodeLabels ?? {}, runtimeClass: body.runtimeClass ?? 'standard' }),
    );
    return toMachineType(row);
  }

  async function update(ctx: RequestContext, name: string, body: UpdateMachineTypeBody): Promise<MachineType> {
    authorize(ctx.actor, 'machine-types.manage');
    const row = await audit.mutate(ctx, 'machine_type.update', { targetType: 'machine_type', targetId: name, metadata: { ...body } }, async (tx) => {
      const updated = await machineTypesRepo.update(tx, name, body);
      if (!updated) throw new NotFoundError(`Machine type "${name}"`);
      return updated;
    });
    return toMachineType(row);
  }

  async function remove(ctx: RequestContext, name: string): Promise<void> {
    authorize(ctx.actor, 'machine-types.manage');
    await audit.mutate(ctx, 'machine_type.delete', { targetType: 'machine_type', targetId: name }, async (tx) => {
      if (!(await machineTypesRepo.lock(tx, name, 'update'))) throw new NotFoundError(`Machine type "${name}"`);
      const inUse = await machineTypesRepo.countInUse(tx, name);
      if (inUse > 0) throw new ConflictError(`${inUse} environment(s) use machine type "${name}"; delete them first`);
      await machineTypesRepo.delete(tx, name);
      await machineTypesRepo.removeFromQuotas(tx, name);
    });
  }

  return { seedDefaults, list, create, update, remove };
}

export type MachineTypesService = ReturnType<typeof createMachineTypesService>;

export const toMachineType = (r: MachineTypeRow): MachineType => ({
  name: r.name,
  vcpus: r.vcpus,
  memoryMb: r.memoryMb,
  diskGib: r.diskGib,
  creditsCost: r.creditsCost,
  private: r.private,
  image: r.image,
  nodeLabels: r.nodeLabels,
  runtimeClass: r.runtimeClass,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});
