import Docker from 'dockerode';
import type { EnvironmentSpec, ExecOutcome, ExecRequest, InstanceState, ProgressFn, RuntimeDriver, RuntimeInstance } from '../driver.js';
import { RuntimeUnavailableError } from '../driver.js';
import { openPty, runExec } from './exec.js';
import { spawnProcess } from './spawn.js';
import { toStats } from './stats.js';
import { ensureImage } from './images.js';
import { LABEL_ENV, LABEL_INSTALL, LABEL_OWNER, containerName, networkName, volumeName } from './labels.js';

/** What a dev shell needs back after dropping every capability. */
const CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'SETUID', 'SETGID', 'KILL', 'NET_BIND_SERVICE', 'AUDIT_WRITE'];
const PIDS_LIMIT = 1024;
/** Keeps the container alive doing nothing; exits at once on SIGTERM (relayed by the init process). */
const IDLE_COMMAND = ['/bin/sh', '-c', 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done'];

export interface DockerDriverOptions {
  docker: Docker;
  installId: string;
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

async function ignoreConflict(op: Promise<unknown>): Promise<void> {
  try {
    await op;
  } catch (err) {
    if (statusOf(err) !== 409) throw err; // created meanwhile by another process
  }
}

async function ignoreMissing(op: Promise<unknown>): Promise<void> {
  try {
    await op;
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
  }
}

export function createDockerDriver({ docker, installId }: DockerDriverOptions): RuntimeDriver {
  const installFilter = `${LABEL_INSTALL}=${installId}`;

  /**
   * The owner's network id. The engine accepts several networks with one name
   * and then refuses an ambiguous name, so: reconciles in this process share one
   * pending creation, every process picks the oldest network of that name (and
   * removes any later duplicate another process made), and containers attach by id.
   */
  const creatingNetworks = new Map<string, Promise<string>>();
  function ensureNetwork(ownerId: string): Promise<string> {
    const name = networkName(installId, ownerId);
    let pending = creatingNetworks.get(name);
    if (!pending) {
      pending = findOrCreateNetwork(name, ownerId).finally(() => creatingNetworks.delete(name));
      creatingNetworks.set(name, pending);
    }
    return pending;
  }

  async function findOrCreateNetwork(name: string, ownerId: string): Promise<string> {
    const named = async () => (await docker.listNetworks({ filters: { name: [name] } })).filter((n) => n.Name === name);
    let found = await named();
    if (found.length === 0) {
      await ignoreConflict(docker.createNetwork({ Name: name, CheckDuplicate: true, Driver: 'bridge', Labels: { [LABEL_INSTALL]: installId, [LABEL_OWNER]: ownerId } }));
      found = await named();
    }
    const [oldest, ...duplicates] = found.sort((a, b) => String(a.Created).localeCompare(String(b.Created)) || a.Id.localeCompare(b.Id));
    for (const dup of duplicates) await docker.getNetwork(dup.Id).remove().catch(() => undefined); // in use: the next pass removes it
    if (!oldest) throw new Error(`network ${name} vanished while being created`);
    return oldest.Id;
  }

  async function ensureVolume(spec: EnvironmentSpec): Promise<string> {
    const name = volumeName(spec.environmentId);
    // Creating an existing volume with the same name is a no-op in the Engine API.
    await docker.createVolume({ Name: name, Labels: { [LABEL_INSTALL]: installId, [LABEL_ENV]: spec.environmentId, [LABEL_OWNER]: spec.ownerId } });
    return name;
  }

  async function inspect(environmentId: string): Promise<RuntimeInstance | null> {
    try {
      const info = await docker.getContainer(containerName(environmentId)).inspect();
      return { id: info.Id, environmentId, state: info.State.Status as InstanceState, exitCode: info.State.Running ? null : info.State.ExitCode };
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }

  return {
    ping: () => call('ping', async () => void (await docker.ping())),

    ensureImage: (image: string, onProgress: ProgressFn) => call('prepare the image', () => ensureImage(docker, image, onProgress)),

    ensureInstance: (spec) =>
      call('create the environment', async () => {
        const existing = await inspect(spec.environmentId);
        if (existing) return existing.id;
        const network = await ensureNetwork(spec.ownerId);
        const volume = await ensureVolume(spec);
        try {
          const container = await docker.createContainer({
            name: containerName(spec.environmentId),
            Image: spec.image,
            Cmd: IDLE_COMMAND,
            Hostname: spec.name,
            WorkingDir: '/workspace',
            Env: ['TERM=xterm-256color', `BERTH_ENVIRONMENT=${spec.name}`, 'HOME=/root'],
            Labels: { [LABEL_ENV]: spec.environmentId, [LABEL_INSTALL]: installId, [LABEL_OWNER]: spec.ownerId },
            HostConfig: {
              Init: true,
              Privileged: false,
              CapDrop: ['ALL'],
              CapAdd: CAPABILITIES,
              SecurityOpt: ['no-new-privileges:true'],
              Memory: spec.memoryMb * 1024 * 1024,
              MemorySwap: spec.memoryMb * 1024 * 1024,
              NanoCpus: spec.vcpus * 1_000_000_000,
              PidsLimit: PIDS_LIMIT,
              Mounts: [{ Type: 'volume', Source: volume, Target: '/workspace' }],
              NetworkMode: network, // an id: a name may be ambiguous for a moment
              RestartPolicy: { Name: 'no' },
            },
          });
          return container.id;
        } catch (err) {
          if (statusOf(err) === 409) return (await inspect(spec.environmentId))!.id; // created meanwhile
          throw err;
        }
      }),

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
        if (!workspace) return;
        const { Volumes } = await docker.listVolumes({ filters });
        const volumes = new Set([volumeName(environmentId), ...(Volumes ?? []).map((v) => v.Name)]);
        for (const name of volumes) await ignoreMissing(docker.getVolume(name).remove());
      }),

    inspect: (environmentId) => call('inspect the environment', () => inspect(environmentId)),

    list: () =>
      call('list environments', async () => {
        const containers = await docker.listContainers({ all: true, filters: { label: [installFilter] } });
        return containers.map((c) => ({
          id: c.Id,
          environmentId: c.Labels[LABEL_ENV] ?? '',
          state: c.State as InstanceState,
          exitCode: null,
        }));
      }),

    listWorkspaces: () =>
      call('list workspaces', async () => {
        const { Volumes } = await docker.listVolumes({ filters: { label: [installFilter] } });
        return (Volumes ?? []).map((v) => v.Labels?.[LABEL_ENV] ?? '').filter(Boolean);
      }),

    pruneNetworks: (keepOwners) =>
      call('prune networks', async () => {
        const networks = await docker.listNetworks({ filters: { label: [installFilter] } });
        for (const n of networks) {
          if (keepOwners.has(n.Labels?.[LABEL_OWNER] ?? '')) continue;
          const detail = await docker.getNetwork(n.Id).inspect();
          if (Object.keys(detail.Containers ?? {}).length > 0) continue;
          await docker
            .getNetwork(n.Id)
            .remove()
            .catch((err: unknown) => {
              // In use again (a container joined meanwhile) or already gone: both fine.
              if (statusOf(err) !== 403 && statusOf(err) !== 404 && statusOf(err) !== 409) throw err;
            });
        }
      }),

    exec: (environmentId, request: ExecRequest): Promise<ExecOutcome> =>
      call('run a command', () => runExec(docker.getContainer(containerName(environmentId)), docker, request)),

    readArchive: (environmentId, path) => call('read files', () => docker.getContainer(containerName(environmentId)).getArchive({ path })),

    writeArchive: (environmentId, dir, tar) =>
      call('write files', async () => {
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
      call('read resource use', async () => toStats(await docker.getContainer(containerName(environmentId)).stats({ stream: false }))),

    openPty: (environmentId, request) => call('open a terminal', () => openPty(docker.getContainer(containerName(environmentId)), request)),

    spawn: (environmentId, request) => call('start a process', () => spawnProcess(docker.getContainer(containerName(environmentId)), docker, request)),
  };
}
