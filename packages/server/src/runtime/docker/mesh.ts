import type Docker from 'dockerode';
import { containerName, isMeshNetwork, LABEL_INSTALL, LABEL_OWNER, meshNetworkName } from './labels.js';

const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number }).statusCode;

/**
 * Owners' meshes: an attachable, internal overlay network per owner, made on the swarm's manager,
 * that each of the owner's environments on a shared network joins on whatever node it runs. Its
 * environments reach each other across nodes by name and address; another owner's are on another
 * overlay and reach none of them. Being internal, a mesh has no gateway: egress stays with each
 * node's own network and its rules.
 */
export function createMesh({ manager, installId }: { manager: Docker; installId: string }) {
  const creating = new Map<string, Promise<string>>();

  /** The owner's overlay, made if missing; its id. */
  function ensure(ownerId: string): Promise<string> {
    const name = meshNetworkName(installId, ownerId);
    let pending = creating.get(name);
    if (!pending) {
      pending = findOrCreate(name, ownerId).finally(() => creating.delete(name));
      creating.set(name, pending);
    }
    return pending;
  }

  async function findOrCreate(name: string, ownerId: string): Promise<string> {
    const named = async () => (await manager.listNetworks({ filters: { name: [name] } })).filter((n) => n.Name === name).sort((a, b) => a.Id.localeCompare(b.Id));
    const found = await named();
    if (found[0]) return found[0].Id;
    try {
      const made = await manager.createNetwork({ Name: name, Driver: 'overlay', Attachable: true, Internal: true, CheckDuplicate: true, Labels: { [LABEL_INSTALL]: installId, [LABEL_OWNER]: ownerId } });
      return made.id;
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
      return (await named())[0]!.Id; // made meanwhile by another Berth
    }
  }

  /** Puts the environment's container (on `docker`, its node's engine) on the owner's mesh, or on none when `ownerId` is null. */
  async function join(docker: Docker, environmentId: string, ownerId: string | null): Promise<void> {
    const container = docker.getContainer(containerName(environmentId));
    const attached = Object.entries((await container.inspect()).NetworkSettings.Networks ?? {}).filter(([name]) => isMeshNetwork(installId, name));
    const wanted = ownerId ? meshNetworkName(installId, ownerId) : null;
    for (const [name, endpoint] of attached) {
      if (name !== wanted) await docker.getNetwork(endpoint.NetworkID || name).disconnect({ Container: containerName(environmentId), Force: true });
    }
    if (!wanted || attached.some(([name]) => name === wanted)) return;
    const id = await ensure(ownerId!);
    await docker.getNetwork(id).connect({ Container: containerName(environmentId) });
  }

  /** Removes the meshes of owners no container on any of `dockers` (every node's engine) belongs to. */
  async function prune(dockers: Docker[]): Promise<void> {
    const owners = new Set<string>();
    for (const docker of dockers) {
      for (const c of await docker.listContainers({ all: true, filters: { label: [`${LABEL_INSTALL}=${installId}`, LABEL_OWNER] } })) owners.add(c.Labels[LABEL_OWNER]!);
    }
    const meshes = await manager.listNetworks({ filters: { label: [`${LABEL_INSTALL}=${installId}`, LABEL_OWNER] } });
    for (const n of meshes) {
      if (!isMeshNetwork(installId, n.Name) || owners.has(n.Labels?.[LABEL_OWNER] ?? '')) continue;
      // In use after all (an environment made since the listing): the swarm refuses, and it stays.
      await manager
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined);
    }
  }

  return { join, prune };
}
