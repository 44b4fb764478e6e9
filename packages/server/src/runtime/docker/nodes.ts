import type Docker from 'dockerode';
import type { RuntimeClass } from '@berth/contracts';
import type { NodeAvailability, RuntimeNode } from '../driver.js';
import { ENGINE_LABEL, NotASwarmError } from '../driver.js';

/** A node's engine address as its label gives it: `tcp://host:port` only (Berth speaks TLS to it); anything else is none. */
export function tcpEngine(label: string | undefined): string | null {
  if (!label) return null;
  try {
    const url = new URL(label);
    return url.protocol === 'tcp:' && url.hostname && url.port && url.pathname === '' ? `tcp://${url.host}` : null;
  } catch {
    return null;
  }
}

/** What the engine says of a swarm node (GET /nodes), as far as Berth reads it. */
interface SwarmNode {
  ID: string;
  Version: { Index: number };
  Spec: { Role?: string; Availability?: string; Labels?: Record<string, string>; Name?: string };
  Description?: { Hostname?: string; Resources?: { NanoCPUs?: number; MemoryBytes?: number }; Engine?: { EngineVersion?: string } };
  Status?: { State?: string; Addr?: string };
}

/** The OCI runtime Berth runs `sandboxed` environments with unless configured otherwise (BERTH_SANDBOXED_RUNTIME). */
export const SANDBOXED_RUNTIME = 'runsc';

/** The classes an engine offers, from its info's `Runtimes` (the OCI runtimes registered with it). */
export function runtimeClassesOf(info: { Runtimes?: Record<string, unknown> }, sandboxedRuntime: string): RuntimeClass[] {
  return sandboxedRuntime in (info.Runtimes ?? {}) ? ['standard', 'sandboxed'] : ['standard'];
}

const STATES = new Set(['ready', 'down', 'unknown', 'disconnected']);

function toNode(n: SwarmNode): RuntimeNode {
  return {
    id: n.ID,
    name: n.Description?.Hostname ?? n.ID,
    role: n.Spec.Role === 'manager' ? 'manager' : 'worker',
    state: (STATES.has(n.Status?.State ?? '') ? n.Status!.State : 'unknown') as RuntimeNode['state'],
    availability: (n.Spec.Availability ?? 'active') as NodeAvailability,
    address: n.Status?.Addr ?? null,
    labels: n.Spec.Labels ?? {},
    resources: { vcpus: (n.Description?.Resources?.NanoCPUs ?? 0) / 1e9, memoryMb: Math.floor((n.Description?.Resources?.MemoryBytes ?? 0) / 1024 / 1024) },
    engineVersion: n.Description?.Engine?.EngineVersion ?? null,
    engine: null,
    runtimeClasses: [],
  };
}

interface EngineInfo {
  Name: string;
  NCPU: number;
  MemTotal: number;
  ServerVersion?: string;
  Labels?: string[];
  Runtimes?: Record<string, unknown>;
  Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean; NodeID?: string };
}

/** The engine's own node id when it manages a swarm, else null. */
const managerNodeOf = (info: EngineInfo): string | null => (info.Swarm?.LocalNodeState === 'active' && info.Swarm.ControlAvailable === true ? (info.Swarm.NodeID ?? null) : null);

/**
 * The machines Berth's engine stands for: a swarm's nodes when the engine is one of its managers,
 * else the engine alone (`local`). Changes go to the swarm, which every node obeys. The runtime
 * classes of a swarm's other nodes are their own engines' to say (the cluster driver asks them).
 */
export function createNodes(docker: Docker, sandboxedRuntime = SANDBOXED_RUNTIME) {
  const managerNodeId = async () => managerNodeOf((await docker.info()) as EngineInfo);
  const swarmManager = async () => (await managerNodeId()) !== null;

  async function list(): Promise<{ swarm: boolean; items: RuntimeNode[] }> {
    const info = (await docker.info()) as EngineInfo;
    const self = managerNodeOf(info);
    if (self) {
      const engineOf = (n: SwarmNode) => (n.ID === self ? 'manager' : tcpEngine(n.Spec.Labels?.[ENGINE_LABEL]));
      const classesOf = (n: SwarmNode) => (n.ID === self ? runtimeClassesOf(info, sandboxedRuntime) : []);
      return { swarm: true, items: ((await docker.listNodes()) as SwarmNode[]).map((n) => ({ ...toNode(n), engine: engineOf(n), runtimeClasses: classesOf(n) })) };
    }
    const labels = Object.fromEntries((info.Labels ?? []).map((l) => [l.split('=')[0]!, l.split('=').slice(1).join('=')]));
    const local: RuntimeNode = {
      id: 'local',
      name: info.Name,
      role: 'standalone',
      state: 'ready',
      availability: 'active',
      address: null,
      labels,
      resources: { vcpus: info.NCPU, memoryMb: Math.floor(info.MemTotal / 1024 / 1024) },
      engineVersion: info.ServerVersion ?? null,
      engine: 'manager',
      runtimeClasses: runtimeClassesOf(info, sandboxedRuntime),
    };
    return { swarm: false, items: [local] };
  }

  /** Null when the swarm has no such node. */
  async function update(id: string, change: { availability?: NodeAvailability; labels?: Record<string, string> }): Promise<RuntimeNode | null> {
    if (!(await swarmManager())) throw new NotASwarmError();
    // The swarm refuses an update made against an older version of the node: read it again and retry.
    for (let attempt = 0; ; attempt++) {
      let current: SwarmNode;
      try {
        current = (await docker.getNode(id).inspect()) as SwarmNode;
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return null;
        throw err;
      }
      const spec = { ...current.Spec, ...(change.availability ? { Availability: change.availability } : {}), ...(change.labels ? { Labels: change.labels } : {}) };
      try {
        await docker.getNode(id).update({ version: current.Version.Index, ...spec });
        return (await list()).items.find((n) => n.id === id) ?? null;
      } catch (err) {
        const outOfDate = /update out of sequence|version/i.test((err as Error).message);
        if (!outOfDate || attempt >= 2) throw err;
      }
    }
  }

  return { list, update, managerNodeId };
}
