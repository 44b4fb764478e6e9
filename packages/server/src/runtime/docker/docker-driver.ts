import Docker from 'dockerode';
import type { EnvironmentSpec, ExecOutcome, ExecRequest, InstanceState, ProgressFn, RuntimeDriver, RuntimeInstance } from '../driver.js';
import { RuntimeUnavailableError } from '../driver.js';
import { openPty, runExec } from './exec.js';
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
    if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'ECONNRESET' || code === 'EPIPE' || (statusOf(err) ?? 0) >= 500) {
      throw new RuntimeUnavailableError(`Docker engine unavailable while trying to ${what}: ${(err as Error).message}`);
    }
    throw err;
  }
}

export function createDockerDriver({ docker, installId }: DockerDriverOptions): RuntimeDriver {
  const installFilter = `${LABEL_INSTALL}=${installId}`;

  /**
   * The engine accepts several networks with one name unless asked not to, and
   * then refuses to attach a container to the ambiguous name. Reconciles of one
   * owner's environments run side by side, so they share one pending creation.
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
    try {
      await docker.getNetwork(name).inspect();
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
      try {
        await docker.createNetwork({ Name: name, CheckDuplicate: true, Driver: 'bridge', Labels: { [LABEL_INSTALL]: installId, [LABEL_OWNER]: ownerId } });
      } catch (createErr) {
        if (statusOf(createErr) !== 409) throw createErr; // created meanwhile by another process
      }
    }
    return name;
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
              NetworkMode: network,
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

    remove: (environmentId, { workspace }) =>
      call('remove the environment', async () => {
        try {
          await docker.getContainer(containerName(environmentId)).remove({ force: true });
        } catch (err) {
          if (statusOf(err) !== 404) throw err;
        }
        if (!workspace) return;
        try {
          await docker.getVolume(volumeName(environmentId)).remove();
        } catch (err) {
          if (statusOf(err) !== 404) throw err;
        }
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

    stats: (environmentId) =>
      call('read resource use', async () => toStats(await docker.getContainer(containerName(environmentId)).stats({ stream: false }))),

    openPty: (environmentId, request) => call('open a terminal', () => openPty(docker.getContainer(containerName(environmentId)), request)),
  };
}
