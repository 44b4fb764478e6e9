import Docker from 'dockerode';
import type { EnvironmentSpec, ExecOutcome, ExecRequest, InstanceState, RuntimeDriver, RuntimeInstance } from '../driver.js';
import { ImageUnavailableError, InstanceNotRunningError, NotASwarmError, RuntimeUnavailableError } from '../driver.js';
import { openPty, runExec, stoppedMidExec } from './exec.js';
import { spawnProcess } from './spawn.js';
import { toStats } from './stats.js';
import { DevImageError, ensureImage, type ImageOptions } from './images.js';
import { createIptablesFirewall, type Firewall } from './firewall.js';
import { LABEL_ENV, LABEL_INSTALL, ownerLabel, containerName, isMeshNetwork, networkKeyOf, volumeName } from './labels.js';
import { createNetworks } from './networks.js';
import { createNodes, SANDBOXED_RUNTIME } from './nodes.js';
import { createReplicas } from './replicas.js';
import { hardenedHostConfig } from './hardening.js';
import { holderArchive } from '../session-holder.js';

/** What a dev shell needs back after dropping every capability. */
const CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'SETUID', 'SETGID', 'KILL', 'NET_BIND_SERVICE', 'AUDIT_WRITE'];
const PIDS_LIMIT = 1024;
/** Keeps the container alive doing nothing; exits at once on SIGTERM (relayed by the init process). */
const IDLE_COMMAND = ['/bin/sh', '-c', 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done'];

export interface DockerDriverOptions {
  docker: Docker;
  installId: string;
  /** Enforces egress policies; iptables on this machine unless given. */
  firewall?: Firewall;
  /** How missing images are made. */
  images?: ImageOptions;
  /** The OCI runtime registered with the engine that `sandboxed` environments run under (gVisor's runsc). */
  sandboxedRuntime?: string;
}

const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number }).statusCode;

/** Connection failures become RuntimeUnavailableError, so callers can tell "retry later" from a bad request. */
async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Only "cannot reach the engine" is an outage; an engine that answers 500 refused this request, and retrying forever would hide it.
    const status = statusOf(err) ?? 0;
    if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT' || status === 502 || status === 503 || status === 504) {
      throw new RuntimeUnavailableError(`Docker engine unavailable while trying to ${what}: ${(err as Error).message}`);
    }
    throw err;
  }
}

/**
 * For work inside a running environment (exec, files, stats, terminals, processes): an environment
 * that stops (or goes) while the request is on its way makes the engine answer "not running" or "no
 * such container"; that is the caller's 409 environment_not_running, not an internal error.
 */
async function callInside<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await call(what, fn);
  } catch (err) {
    const message = err instanceof Error ? err.message : '';
    const status = statusOf(err);
    // The engine's words vary with the moment: 409 or 500 "is not running", 404 for the container or, once it restarted, the exec.
    if (((status === 409 || status === 500) && /is not running|is restarting|is paused/i.test(message)) || (status === 404 && /no such container|no such exec/i.test(message))) {
      throw new InstanceNotRunningError(`The environment stopped while trying to ${what}; start it again`);
    }
    throw err;
  }
}

async function ignoreMissing(op: Promise<unknown>): Promise<void> {
  try {
    await op;
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
  }
}

export function createDockerDriver({ docker, installId, firewall = createIptablesFirewall(), images = {}, sandboxedRuntime = SANDBOXED_RUNTIME }: DockerDriverOptions): RuntimeDriver {
  const installFilter = `${LABEL_INSTALL}=${installId}`;
  const networks = createNetworks({ docker, installId, firewall });
  const replicas = createReplicas({ docker, installId, networks });
  const nodes = createNodes(docker, sandboxedRuntime);

  /** A command's outcome; a container that stopped under it is "not running", not an exit code 126 or none at all. */
  async function execChecked(container: Docker.Container, request: ExecRequest): Promise<ExecOutcome> {
    const began = Date.now();
    const outcome = await runExec(container, docker, request);
    // A caller gone (aborted) is told nothing.
    if (request.signal?.aborted) return outcome;
    // Running, and since before the command: not stopped or restarted under it (asked only when the
    // outcome looks like either; a remote engine's clock is taken to agree with this machine's).
    const ranThroughout = async () => {
      const state = (await container.inspect().catch(() => undefined))?.State;
      return state?.Running === true && Date.parse(state.StartedAt) <= began;
    };
    if (await stoppedMidExec(outcome, ranThroughout)) throw new InstanceNotRunningError('The environment stopped while trying to run a command; start it again');
    return outcome;
  }

  /** The keys of an instance's networks, but an owner's mesh across nodes (the cluster driver's, not the policy's). */
  const ownNetworks = (names: string[]) => names.filter((name) => !isMeshNetwork(installId, name)).map((name) => networkKeyOf(installId, name));

  async function ensureVolume(spec: EnvironmentSpec): Promise<string> {
    const name = volumeName(spec.environmentId);
    // Creating an existing volume with the same name is a no-op in the Engine API.
    await docker.createVolume({ Name: name, Labels: { [LABEL_INSTALL]: installId, [LABEL_ENV]: spec.environmentId, ...ownerLabel(spec.ownerId) } });
    return name;
  }

  async function inspect(environmentId: string): Promise<RuntimeInstance | null> {
    try {
      const info = await docker.getContainer(containerName(environmentId)).inspect();
      return {
        id: info.Id,
        environmentId,
        state: info.State.Status as InstanceState,
        exitCode: info.State.Running ? null : info.State.ExitCode,
        networks: ownNetworks(Object.keys(info.NetworkSettings.Networks ?? {})),
      };
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }

  return {
    clustered: false,
    ping: () => call('ping', async () => void (await docker.ping())),
    nodes: () => call('list nodes', () => nodes.list()),
    updateNode: (id, change) => call('change a node', () => nodes.update(id, change)),

    ensureImage: (image, onProgress, recipe) =>
      call('prepare the image', () => ensureImage(docker, image, onProgress, { ...images, dockerfile: recipe?.dockerfile, labels: { [LABEL_INSTALL]: installId } })).catch((err: unknown) => {
        if (err instanceof RuntimeUnavailableError) throw err;
        // A Dockerfile's failure is its author's to read (the failing step and its output).
        if (recipe) throw new ImageUnavailableError(image, (err as Error).message, `the template's image could not be built: ${(err as Error).message.slice(0, 1000)}`);
        // A dev image's failure says what to install: that much anyone may read; the engine's words stay in the detail.
        if (err instanceof DevImageError) throw new ImageUnavailableError(image, String((err.cause as Error | undefined)?.message ?? err.message), err.message);
        throw new ImageUnavailableError(image, `image ${image} is not on this engine and could not be pulled or built: ${(err as Error).message}`);
      }),

    ensureInstance: (spec) =>
      call('create the environment', async () => {
        const existing = await inspect(spec.environmentId);
        if (existing) return existing.id;
        const network = await networks.ensure(spec.network);
        const volume = await ensureVolume(spec);
        try {
          const container = await docker.createContainer({
            name: containerName(spec.environmentId),
            Image: spec.image,
            Cmd: IDLE_COMMAND,
            Hostname: spec.name,
            WorkingDir: '/workspace',
            Env: ['TERM=xterm-256color', `BERTH_ENVIRONMENT=${spec.name}`, 'HOME=/root'],
            Labels: { [LABEL_ENV]: spec.environmentId, [LABEL_INSTALL]: installId, ...ownerLabel(spec.ownerId) },
            HostConfig: {
              ...hardenedHostConfig({ vcpus: spec.vcpus, memoryMb: spec.memoryMb, pids: PIDS_LIMIT, capabilities: CAPABILITIES }),
              Mounts: [{ Type: 'volume', Source: volume, Target: '/workspace' }],
              NetworkMode: network.id, // an id: a name may be ambiguous for a moment
              RestartPolicy: { Name: 'no' },
              // The engine's default (runc) unless sandboxed: gVisor's kernel between its processes and the host's.
              ...(spec.runtimeClass === 'sandboxed' ? { Runtime: sandboxedRuntime } : {}),
            },
          });
          // gVisor's own tmpfs would cover an empty /tmp: Berth's folder in it keeps /tmp the container's.
          if (spec.runtimeClass === 'sandboxed') await container.putArchive(holderArchive(), { path: '/' });
          return container.id;
        } catch (err) {
          if (statusOf(err) === 409) return (await inspect(spec.environmentId))!.id; // created meanwhile
          throw err;
        }
      }),

    attachNetwork: (spec) => call('change the environment\'s network', () => networks.attach(docker.getContainer(containerName(spec.environmentId)), spec.network)),

    start: (environmentId) =>
      call('start the environment', async () => {
        try {
          await docker.getContainer(containerName(environmentId)).start();
        } catch (err) {
          if (statusOf(err) !== 304) throw err; // already running
        }
      }),

    stop: (environmentId, graceSeconds) =>
      call('stop the environment', async () => {
        try {
          await docker.getContainer(containerName(environmentId)).stop({ t: graceSeconds });
        } catch (err) {
          if (statusOf(err) !== 304 && statusOf(err) !== 404) throw err; // already stopped or gone
        }
      }),

    // By label, not by name: whatever carries this environment's labels goes, whatever it is called.
    remove: (environmentId, { workspace }) =>
      call('remove the environment', async () => {
        const filters = { label: [installFilter, `${LABEL_ENV}=${environmentId}`] };
        const containers = await docker.listContainers({ all: true, filters });
        const ids = containers.length > 0 ? containers.map((c) => c.Id) : [containerName(environmentId)];
        for (const id of ids) await ignoreMissing(docker.getContainer(id).remove({ force: true }));
        await networks.removeFor(environmentId);
        if (!workspace) return;
        const { Volumes } = await docker.listVolumes({ filters });
        const volumes = new Set([volumeName(environmentId), ...(Volumes ?? []).map((v) => v.Name)]);
        for (const name of volumes) await ignoreMissing(docker.getVolume(name).remove());
      }),

    copyWorkspace: () => Promise.reject(new NotASwarmError()),

    inspect: (environmentId) => call('inspect the environment', () => inspect(environmentId)),

    list: () =>
      call('list environments', async () => {
        // Environments' containers only: an app's replicas are listed by listReplicas.
        const containers = await docker.listContainers({ all: true, filters: { label: [installFilter, LABEL_ENV] } });
        return containers.map((c) => ({
          id: c.Id,
          environmentId: c.Labels[LABEL_ENV] ?? '',
          state: c.State as InstanceState,
          exitCode: null,
          networks: ownNetworks(Object.keys(c.NetworkSettings?.Networks ?? {})),
        }));
      }),

    listWorkspaces: () =>
      call('list workspaces', async () => {
        const { Volumes } = await docker.listVolumes({ filters: { label: [installFilter] } });
        return (Volumes ?? []).map((v) => v.Labels?.[LABEL_ENV] ?? '').filter(Boolean);
      }),

    pruneNetworks: (keep) =>
      call('prune networks', async () => {
        // A stopped container still names its networks, and could not start without them.
        const containers = await docker.listContainers({ all: true, filters: { label: [installFilter] } });
        await networks.prune(keep, new Set(containers.flatMap((c) => Object.keys(c.NetworkSettings?.Networks ?? {}))));
      }),

    syncNetworks: () => call('enforce egress policies', () => networks.sync()),

    exec: (environmentId, request: ExecRequest): Promise<ExecOutcome> => callInside('run a command', () => execChecked(docker.getContainer(containerName(environmentId)), request)),

    readArchive: (environmentId, path) => callInside('read files', () => docker.getContainer(containerName(environmentId)).getArchive({ path })),

    writeArchive: (environmentId, dir, tar) =>
      callInside('write files', async () => {
        await docker.getContainer(containerName(environmentId)).putArchive(tar, { path: dir });
      }),

    // The engine is local today: its bridge addresses are reachable from this host. A remote
    // engine will need a tunnel here, behind the same method.
    endpoint: (environmentId, port) =>
      call('find the environment address', async () => {
        const info = await docker.getContainer(containerName(environmentId)).inspect();
        const address = Object.values(info.NetworkSettings.Networks ?? {}).find((n) => n.IPAddress)?.IPAddress;
        if (!address) throw new Error('the environment has no network address');
        return { host: address, port };
      }),

    stats: (environmentId) =>
      callInside('read resource use', async () => toStats(await docker.getContainer(containerName(environmentId)).stats({ stream: false }))),

    openPty: (environmentId, request) => callInside('open a terminal', () => openPty(docker.getContainer(containerName(environmentId)), request)),

    spawn: (environmentId, request) => callInside('start a process', () => spawnProcess(docker.getContainer(containerName(environmentId)), docker, request)),

    buildImage: (image, appId, context, onProgress, options) => call('build the app', () => replicas.buildImage(image, appId, context, onProgress, options)),
    runReplica: (spec) => call('start a replica', () => replicas.runReplica(spec)),
    runOnce: (spec, timeoutMs, onOutput) => call('run the release phase', () => replicas.runOnce(spec, timeoutMs, onOutput)),
    listReplicas: (appId) => call('list replicas', () => replicas.listReplicas(appId)),
    removeReplica: (name, graceSeconds) => call('remove a replica', () => replicas.removeReplica(name, graceSeconds)),
    replicaLogs: (name, tail) => call('read a replica\'s logs', () => replicas.replicaLogs(name, tail)),
    pruneAppImages: (appId, keep) => call('remove old release images', () => replicas.pruneAppImages(appId, keep)),
    replicaEndpoint: (name, port) => call('find the replica address', () => replicas.replicaEndpoint(name, port)),
    execReplica: (name, request) => callInside('run a command in a replica', () => execChecked(docker.getContainer(name), request)),
    removeAppVolume: (name) => call('remove an app volume', () => replicas.removeAppVolume(name)),
  };
}
