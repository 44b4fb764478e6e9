import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import type { RuntimeClass } from '@berth/contracts';
import type { EnvironmentSpec, RuntimeDriver, RuntimeInstance, RuntimeNode } from '../driver.js';
import { NodeUnreachableError, RuntimeUnavailableError } from '../driver.js';
import { createDockerDriver } from './docker-driver.js';
import { createIptablesFirewall } from './firewall.js';
import type { ImageOptions } from './images.js';
import { nodeAgentHost } from './node-agent.js';
import { digestArchive } from './workspace-digest.js';
import { createMesh } from './mesh.js';
import { createNodes, runtimeClassesOf, SANDBOXED_RUNTIME } from './nodes.js';

/** What a node's engine is reached with: the swarm CA and Berth's client certificate (DOCKER_CERT_PATH). */
export interface EngineTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export interface ClusterDriverOptions {
  /** The engine Berth drives: a manager of the swarm. */
  manager: Docker;
  installId: string;
  images?: ImageOptions;
  /** Runs each node's agent (node-agent.ts): an image with `nsenter`, such as the default environment image. */
  agentImage: string;
  /** For nodes' engines on `tcp://`; without it only the manager's node runs environments. */
  tls: EngineTls | undefined;
  /** The node an environment was placed on (its row's node_id); null when none was, or the environment is unknown. */
  locate: (environmentId: string) => Promise<string | null>;
  /** Told of what failed in the background (joining a mesh after a start). */
  onBackgroundError: (err: unknown, what: string) => void;
  /** The OCI runtime `sandboxed` environments run under, on every node that has it registered. */
  sandboxedRuntime?: string;
}

/** How long a listing of the swarm's nodes answers routing and placement before it is read again. */
const NODES_TTL_MS = 2_000;
/** How long what a node's engine said of its runtimes stands: registering one is rare, and needs no restart of Berth. */
const RUNTIMES_TTL_MS = 30_000;
/** How long a node's engine is given to say what it offers. */
const RUNTIMES_ASK_TIMEOUT_MS = 5_000;

/**
 * Environments on the nodes of a Docker Swarm. The swarm says which nodes there are and whether each
 * is up; each environment lives on one node (placed by the control plane, placement.ts) and every
 * call about it goes to that node's own engine: the manager's for its own node, over TLS for the
 * others. Each node is a plain Docker driver with its own networks and egress rules, installed on
 * the node through its agent. Apps run on the manager's node.
 */
export function createClusterDriver(options: ClusterDriverOptions): RuntimeDriver {
  const { manager, installId, images = {}, tls, locate, sandboxedRuntime = SANDBOXED_RUNTIME } = options;
  const nodes = createNodes(manager, sandboxedRuntime);

  let listing: { at: number; self: string; items: RuntimeNode[] } | undefined;
  async function swarmNodes(fresh = false): Promise<{ self: string; items: RuntimeNode[] }> {
    if (!fresh && listing && Date.now() - listing.at < NODES_TTL_MS) return listing;
    // The listing already says which node is the manager's own (its engine is `manager`).
    const { items } = await nodes.list();
    // What each node's own engine offers, as last heard (the manager's own is in the listing already).
    const withClasses = items.map((n) => (n.engine && n.engine !== 'manager' && n.state === 'ready' ? { ...n, runtimeClasses: runtimeClassesOn(n) } : n));
    listing = { at: Date.now(), self: items.find((n) => n.engine === 'manager')?.id ?? '', items: withClasses };
    return listing;
  }

  /**
   * What a node's own engine offers, as last heard: asked in the background at most every
   * RUNTIMES_TTL_MS, never in the way of a listing (an engine that stopped answering would hold up
   * every call routed through the swarm's nodes). None until first heard: nothing sandboxed is placed
   * there until then (placement waits for it), while standard environments need nothing to be heard.
   */
  const runtimesSeen = new Map<string, { at: number; classes: RuntimeClass[]; asking?: boolean }>();
  function runtimeClassesOn(node: RuntimeNode): RuntimeClass[] {
    const seen = runtimesSeen.get(node.id);
    if (!seen?.asking && (!seen || Date.now() - seen.at >= RUNTIMES_TTL_MS)) {
      const entry = { at: seen?.at ?? 0, classes: seen?.classes ?? [], asking: true };
      runtimesSeen.set(node.id, entry);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no answer')), RUNTIMES_ASK_TIMEOUT_MS)));
      void Promise.race([engineOn(node).docker.info() as Promise<{ Runtimes?: Record<string, unknown> }>, timeout])
        .then((info) => runtimesSeen.set(node.id, { at: Date.now(), classes: runtimeClassesOf(info, sandboxedRuntime) }))
        // Not heard: asked again a few seconds on, not at every listing.
        .catch(() => runtimesSeen.set(node.id, { classes: entry.classes, at: Date.now() - RUNTIMES_TTL_MS + RUNTIMES_ASK_TIMEOUT_MS }))
        .finally(() => clearTimeout(timer));
    }
    return seen?.classes ?? [];
  }

  interface NodeEngine {
    engine: string;
    docker: Docker;
    driver: RuntimeDriver;
  }
  const engines = new Map<string, NodeEngine>();
  /** The node's engine (the listing says `manager` for the manager's own node), its driver made once. */
  function engineOn(node: Pick<RuntimeNode, 'id' | 'engine'>): NodeEngine {
    const { engine } = node;
    if (!engine) throw new NodeUnreachableError(node.id, `node ${node.id} has no engine Berth can reach (set its berth.engine label to tcp://address:port)`);
    const known = engines.get(node.id);
    if (known?.engine === engine) return known;
    let docker = manager;
    if (engine !== 'manager') {
      if (!tls) throw new NodeUnreachableError(node.id, `node ${node.id}'s engine needs a client certificate: set DOCKER_CERT_PATH`);
      const url = new URL(engine);
      docker = new Docker({ protocol: 'https', host: url.hostname, port: Number(url.port), ca: tls.ca, cert: tls.cert, key: tls.key });
    }
    const firewall = createIptablesFirewall({ host: nodeAgentHost({ docker, installId, image: options.agentImage }) });
    const driver = unreachableOnOutage(node.id, createDockerDriver({ docker, installId, firewall, images, sandboxedRuntime }));
    const made = { engine, docker, driver };
    engines.set(node.id, made);
    return made;
  }

  /** The driver of a node by id (null: the manager's own), refusing one the swarm reports down. */
  async function onNode(nodeId: string | null): Promise<RuntimeDriver> {
    return (await engineFor(nodeId)).driver;
  }

  async function engineFor(nodeId: string | null): Promise<NodeEngine> {
    const { self, items } = await swarmNodes();
    const id = nodeId && nodeId !== 'local' ? nodeId : self;
    let node = items.find((n) => n.id === id);
    if (!node || node.state !== 'ready') node = (await swarmNodes(true)).items.find((n) => n.id === id); // joined or came back a moment ago
    if (!node) throw new NodeUnreachableError(id, `node ${id} is not in the swarm`);
    if (node.state !== 'ready') throw new NodeUnreachableError(id, `node ${node.name} is ${node.state}: its environments wait for it`);
    return engineOn(node);
  }

  const mesh = createMesh({ manager, installId });
  /** Instances made by this process and not started yet, with their specs: they join a mesh once started. */
  const newInstances = new Map<string, EnvironmentSpec>();
  /** On an owner's shared network, the environment is on the owner's mesh as well; on any other, on none. */
  async function meshFor(spec: EnvironmentSpec): Promise<void> {
    const { docker } = await engineFor(spec.nodeId);
    const shared = spec.network.environmentId === null && spec.network.ownerId !== null;
    await mesh.join(docker, spec.environmentId, shared ? spec.network.ownerId : null);
  }

  const forEnv = async (environmentId: string) => onNode(await locate(environmentId));
  const managerDriver = () => onNode(null);

  /** Runs `fn` on every node that is up and reachable; the others' environments are left as they are. */
  async function eachReachable<T>(fn: (driver: RuntimeDriver, nodeId: string) => Promise<T>): Promise<T[]> {
    const { items } = await swarmNodes();
    const up = items.filter((n) => n.state === 'ready' && n.engine);
    const results = await Promise.allSettled(up.map((n) => fn(engineOn(n).driver, n.id)));
    // One node lost is its environments' concern (they turn unreachable); every node lost is an outage.
    const failed = results.find((r) => r.status === 'rejected');
    if (failed && results.every((r) => r.status === 'rejected')) throw failed.reason;
    return results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  }

  return {
    clustered: true,
    ping: async () => void (await manager.ping()),
    nodes: async () => {
      const { items } = await swarmNodes(true);
      return { swarm: true, items };
    },
    updateNode: async (id, change) => {
      const node = await nodes.update(id, change);
      listing = undefined;
      return node;
    },
    ensureImage: async (image, onProgress, recipe, nodeId) => (await onNode(nodeId ?? null)).ensureImage(image, onProgress, recipe),
    ensureInstance: async (spec) => {
      const id = await (await onNode(spec.nodeId)).ensureInstance(spec);
      // A container on an overlay starts slowly (the swarm allocates its attachment first): a new one
      // joins its owner's mesh right after its first start instead, without holding the start up.
      newInstances.set(spec.environmentId, spec);
      return id;
    },
    attachNetwork: async (spec) => {
      const moved = await (await onNode(spec.nodeId)).attachNetwork(spec);
      await meshFor(spec);
      return moved;
    },
    start: async (id) => {
      await (await forEnv(id)).start(id);
      const spec = newInstances.get(id);
      newInstances.delete(id);
      if (spec) void meshFor(spec).catch((err: unknown) => options.onBackgroundError(err, `join environment ${id} to its owner's mesh`));
    },
    stop: async (id, grace) => (await forEnv(id)).stop(id, grace),
    remove: async (id, opts) => {
      if (opts.nodeId) return (await onNode(opts.nodeId)).remove(id, opts);
      const home = await forEnv(id); // its own node must answer; the others, if they can
      await home.remove(id, opts);
      await eachReachable(async (d) => {
        if (d !== home) await d.remove(id, opts);
      });
    },
    copyWorkspace: async (id, target) => {
      const [source, destination] = [await forEnv(id), await onNode(target.nodeId)];
      if (source === destination) throw new Error('the environment is on that node already');
      await destination.ensureInstance(target);
      // One read of the original feeds the copy and its digest; the copy is then read back and compared.
      const archive = await source.readArchive(id, '/workspace');
      const [toCopy, toDigest] = [new PassThrough(), new PassThrough()];
      archive.pipe(toCopy);
      archive.pipe(toDigest);
      const [original] = await Promise.all([digestArchive(toDigest), destination.writeArchive(id, '/', toCopy)]);
      const copy = await digestArchive(await destination.readArchive(id, '/workspace'));
      if (copy.digest !== original.digest) {
        await destination.remove(id, { workspace: true });
        throw new Error(`the copy of the workspace differs from the original (${copy.files} entries, ${copy.bytes} bytes, not ${original.files} and ${original.bytes}); it was removed, and the original is untouched`);
      }
      return { files: original.files, bytes: original.bytes };
    },
    inspect: async (id) => (await forEnv(id)).inspect(id),
    list: async () => (await eachReachable(async (d, nodeId) => (await d.list()).map((i): RuntimeInstance => ({ ...i, nodeId })))).flat(),
    listWorkspaces: async () => (await eachReachable((d) => d.listWorkspaces())).flat(),
    pruneNetworks: async (keep) => {
      await eachReachable((d) => d.pruneNetworks(keep));
      // Owners' meshes go once no node holds a container of theirs; with a node away, none do.
      const { items } = await swarmNodes();
      if (items.some((n) => n.state !== 'ready' && n.engine)) return;
      const dockers = items.filter((n) => n.engine).map((n) => engineOn(n).docker);
      await mesh.prune(dockers);
    },
    syncNetworks: async () => void (await eachReachable((d) => d.syncNetworks())),
    exec: async (id, request) => (await forEnv(id)).exec(id, request),
    readArchive: async (id, path) => (await forEnv(id)).readArchive(id, path),
    writeArchive: async (id, dir, tar) => (await forEnv(id)).writeArchive(id, dir, tar),
    endpoint: async (id, port) => (await forEnv(id)).endpoint(id, port),
    stats: async (id) => (await forEnv(id)).stats(id),
    openPty: async (id, request) => (await forEnv(id)).openPty(id, request),
    spawn: async (id, request) => (await forEnv(id)).spawn(id, request),

    buildImage: async (...args) => (await managerDriver()).buildImage(...args),
    runReplica: async (spec) => (await managerDriver()).runReplica(spec),
    runOnce: async (...args) => (await managerDriver()).runOnce(...args),
    listReplicas: async (appId) => (await managerDriver()).listReplicas(appId),
    removeReplica: async (...args) => (await managerDriver()).removeReplica(...args),
    replicaLogs: async (...args) => (await managerDriver()).replicaLogs(...args),
    pruneAppImages: async (...args) => (await managerDriver()).pruneAppImages(...args),
    replicaEndpoint: async (...args) => (await managerDriver()).replicaEndpoint(...args),
    execReplica: async (...args) => (await managerDriver()).execReplica(...args),
    removeAppVolume: async (name) => (await managerDriver()).removeAppVolume(name),
  };
}

/** A node's engine that stops answering makes its environments unreachable (not failed): they wait for it. */
function unreachableOnOutage(nodeId: string, driver: RuntimeDriver): RuntimeDriver {
  const wrapped = {} as Record<string, unknown>;
  for (const [name, fn] of Object.entries(driver) as [string, (...args: unknown[]) => Promise<unknown>][]) {
    if (typeof fn !== 'function') {
      wrapped[name] = fn;
      continue;
    }
    wrapped[name] = (...args: unknown[]) =>
      fn(...args).catch((err: unknown) => {
        if (err instanceof RuntimeUnavailableError && !(err instanceof NodeUnreachableError)) throw new NodeUnreachableError(nodeId, err.message);
        throw err;
      });
  }
  return wrapped as unknown as RuntimeDriver;
}
