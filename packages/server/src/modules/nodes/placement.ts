import type { RuntimeClass } from '@berth/contracts';
import type { RuntimeNode } from '../../runtime/driver.js';
import { RuntimeUnavailableError } from '../../runtime/driver.js';

/** What the environments meant to run on a node reserve. */
export interface NodeUsage {
  environments: number;
  vcpus: number;
  memoryMb: number;
}

export interface PlacementRequest {
  vcpus: number;
  memoryMb: number;
  /** Labels the node must carry, each with this value. */
  labels: Record<string, string>;
  /** The class it runs under: the node's engine must offer it. */
  runtimeClass: RuntimeClass;
}

/**
 * The labels an environment's node must carry: its machine type's and its template's, the
 * template's value winning where both name a label (administrators set both).
 */
export function requiredLabels(type: { nodeLabels: Record<string, string> }, template?: { nodeLabels: Record<string, string> } | null): Record<string, string> {
  return { ...type.nodeLabels, ...template?.nodeLabels };
}

const NO_USAGE: NodeUsage = { environments: 0, vcpus: 0, memoryMb: 0 };

/** Why a node takes nothing new, or null when it may. */
export function ineligible(node: RuntimeNode, request: PlacementRequest): string | null {
  if (node.state !== 'ready') return `${node.state}`;
  if (node.availability !== 'active') return `${node.availability === 'drain' ? 'drained' : 'paused'}`;
  if (!node.engine) return 'no engine Berth can reach';
  const missing = Object.entries(request.labels).filter(([k, v]) => node.labels[k] !== v);
  if (missing.length > 0) return `lacks ${missing.map(([k, v]) => `${k}=${v}`).join(', ')}`;
  // Every engine runs plain containers; gVisor only where the node's engine said it has it.
  if (request.runtimeClass !== 'standard' && !node.runtimeClasses.includes(request.runtimeClass)) return `does not offer the ${request.runtimeClass} runtime class`;
  return null;
}

/**
 * How much a node is worth placing on: the mean of the fractions of its processors and memory
 * left free once the environment is on it (Kubernetes' LeastAllocated), less 1/100 per environment
 * it already runs. Environments spread across nodes, the emptiest first; among nodes alike in what
 * is reserved, the one with fewer environments wins, so idle boxes spread as well. Reservations are
 * environments' limits (their machine types), what running them could take; a node can be
 * overcommitted (a score below zero), and is then the last choice, never refused.
 */
export function score(node: RuntimeNode, usage: NodeUsage, request: PlacementRequest): number {
  const free = (capacity: number, used: number) => (capacity > 0 ? (capacity - used) / capacity : 0);
  const cpu = free(node.resources.vcpus, usage.vcpus + request.vcpus);
  const memory = free(node.resources.memoryMb, usage.memoryMb + request.memoryMb);
  return (cpu + memory) / 2 - usage.environments / 100;
}

/** The best node for the request; its id. Ties go to the lower id, so replicas deciding alike choose alike. */
export function choose(nodes: readonly RuntimeNode[], usage: ReadonlyMap<string, NodeUsage>, request: PlacementRequest): string {
  const eligible = nodes.filter((n) => ineligible(n, request) === null);
  if (eligible.length === 0) {
    const why = nodes.map((n) => `${n.name}: ${ineligible(n, request)}`).join('; ');
    throw new NoNodeError(`No node can take this environment now (${why || 'no nodes'}); it waits for one`);
  }
  const ranked = eligible
    .map((n) => ({ id: n.id, score: score(n, usage.get(n.id) ?? NO_USAGE, request) }))
    .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
  return ranked[0]!.id;
}

/** Nowhere to place an environment yet: it waits (retried, never failed) for a node to come up, be activated or labelled. */
export class NoNodeError extends RuntimeUnavailableError {}
