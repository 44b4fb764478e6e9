import { createHash } from 'node:crypto';
import type { RuntimeClass } from '@berth/contracts';
import type { TemplateFile } from '../../db/schema.js';

/** What a pool's environments are made as: the shape a create must ask for to claim one. */
export interface PoolTarget {
  machineType: string;
  image: string;
  vcpus: number;
  memoryMb: number;
  diskGib: number;
  template: { id: string; files: TemplateFile[]; startCommand: string | null } | null;
  /** Labels its node must carry (machine type's and template's). */
  nodeLabels: Record<string, string>;
  runtimeClass: RuntimeClass;
}

/**
 * A digest of everything an unclaimed environment was built with: image, resources, and the
 * template's files and start command (already written and run in the pool). A create claims only
 * an environment of the version it would get if made cold; a changed template or machine type is
 * a new version, and the old one drains.
 */
export function poolVersion(t: PoolTarget): string {
  const template = t.template && { id: t.template.id, files: t.template.files, start: t.template.startCommand };
  // Labels only when there are some: pools of versions made before labels existed keep their version.
  const labels = Object.keys(t.nodeLabels).length > 0 ? [Object.fromEntries(Object.entries(t.nodeLabels).sort(([a], [b]) => (a < b ? -1 : 1)))] : [];
  // The class only when it is not the default, for the same reason.
  const sandboxed = t.runtimeClass === 'standard' ? [] : [t.runtimeClass];
  const canonical = JSON.stringify([t.machineType, t.image, t.vcpus, t.memoryMb, t.diskGib, template, ...labels, ...sandboxed]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** An unclaimed environment of a pool, as the keeper weighs it. */
export interface PoolMember {
  id: string;
  poolVersion: string | null;
  status: string;
  createdAt: Date;
}

/**
 * What the keeper does to one pool: drain what is of another version, drain what is beyond the size
 * (the least ready and the newest first: a ready one is worth keeping), and make what is missing.
 * Failed members keep their place (replacing them would loop on a broken template); resizing the
 * pool replaces them.
 */
export function planPool(members: readonly PoolMember[], version: string | null, size: number): { drain: string[]; make: number } {
  const current = members.filter((m) => version !== null && m.poolVersion === version);
  const stale = members.filter((m) => !current.includes(m));
  const keepFirst = [...current].sort((a, b) => rank(a) - rank(b) || a.createdAt.getTime() - b.createdAt.getTime());
  const surplus = keepFirst.slice(Math.max(0, size));
  return { drain: [...stale, ...surplus].map((m) => m.id), make: version === null ? 0 : Math.max(0, size - current.length) };
}

const rank = (m: PoolMember): number => (m.status === 'running' ? 0 : m.status === 'error' ? 2 : 1);

export type PoolCounts = { ready: number; building: number; failed: number; draining: number; claimed: number };
