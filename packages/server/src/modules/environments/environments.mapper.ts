import type { DesiredState, Environment, EnvironmentAccess, EnvironmentEvent, EnvironmentStatus } from '@berth/contracts';
import type { EnvironmentEventRow } from './environment-events.repo.js';
import type { EnvironmentWithOwner } from './environments.repo.js';

export const toEnvironment = (r: EnvironmentWithOwner, access: EnvironmentAccess): Environment => ({
  id: r.id,
  name: r.name,
  owner: { id: r.ownerId, username: r.ownerUsername },
  orgId: r.orgId,
  type: r.machineType,
  image: r.image,
  desiredState: r.desiredState as DesiredState,
  status: r.status as EnvironmentStatus,
  vcpus: r.vcpus,
  memoryMb: r.memoryMb,
  diskGib: r.diskGib,
  creditsCost: r.creditsCost,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
  startedAt: r.startedAt?.toISOString() ?? null,
  lastActivityAt: r.lastActivityAt?.toISOString() ?? null,
  lastError: r.lastError,
  nodeId: r.nodeId,
  errorCode: r.errorCode,
  attempts: r.attempts,
  origin: r.origin,
  egress: r.egress,
  egressAllow: r.egressAllow,
  runtimeClass: r.runtimeClass,
  access,
});

export const toEvent = (r: EnvironmentEventRow): EnvironmentEvent => ({
  seq: r.seq,
  type: r.type,
  status: (r.status as EnvironmentStatus | null) ?? null,
  message: r.message,
  data: r.data,
  createdAt: r.createdAt.toISOString(),
});
