import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import type Docker from 'dockerode';
import type { InstanceState, NetworkSpec, ProgressFn, ReplicaInstance, ReplicaSpec } from '../driver.js';
import { hardenedHostConfig } from './hardening.js';
import { LABEL_APP, LABEL_INSTALL, LABEL_RELEASE } from './labels.js';
import type { createNetworks } from './networks.js';

const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number }).statusCode;
/** What a web process needs after dropping every capability (no CHOWN/SETUID: it does not change users). */
const CAPABILITIES = ['NET_BIND_SERVICE', 'KILL'];
const PIDS_LIMIT = 512;
/** What one replica's logs answer at most. */
const MAX_LOG_CHARS = 256 * 1024;

/** Splits the engine's multiplexed log frames (8-byte headers) of a container without a TTY into text. */
export function demuxLogs(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(at + 4);
    parts.push(buffer.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

/**
 * An app's containers on one engine: its replicas (hardened like environments, on the app's own
 * network, restarted by the engine after a crash), its release-phase runs and its images. All carry
 * the install, app and release labels, so listing and cleaning up never needs a name.
 */
export function createReplicas({ docker, installId, networks }: { docker: Docker; installId: string; networks: ReturnType<typeof createNetworks> }) {
  const installFilter = `${LABEL_INSTALL}=${installId}`;

  async function create(spec: ReplicaSpec, restart: boolean): Promise<Docker.Container> {
    const network = await networks.ensure(spec.network);
    // Creating an existing volume with the same name is a no-op in the Engine API.
    if (spec.volume) await docker.createVolume({ Name: spec.volume.name, Labels: { [LABEL_INSTALL]: installId, [LABEL_APP]: spec.appId } });
    return docker.createContainer({
      name: spec.name,
      Image: spec.image,
      ...(spec.command ? { Cmd: spec.command } : {}),
      Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
      Labels: { [LABEL_INSTALL]: installId, [LABEL_APP]: spec.appId, [LABEL_RELEASE]: spec.releaseId },
      HostConfig: {
        ...hardenedHostConfig({ vcpus: spec.vcpus, memoryMb: spec.memoryMb, pids: PIDS_LIMIT, capabilities: CAPABILITIES }),
        NetworkMode: network.id,
        ...(spec.volume ? { Mounts: [{ Type: 'volume' as const, Source: spec.volume.name, Target: spec.volume.target }] } : {}),
        // The engine restarts a crashed replica with a doubling delay; a stopped one stays stopped.
        RestartPolicy: restart ? { Name: 'unless-stopped' } : { Name: 'no' },
      },
    });
  }

  async function remove(name: string, graceSeconds: number): Promise<void> {
    const container = docker.getContainer(name);
    await container.stop({ t: graceSeconds }).catch((err: unknown) => {
      if (statusOf(err) !== 304 && statusOf(err) !== 404) throw err;
    });
    await container.remove({ force: true }).catch((err: unknown) => {
      if (statusOf(err) !== 404 && statusOf(err) !== 409) throw err; // gone, or already being removed
    });
  }

  return {
    async buildImage(image: string, appId: string, context: NodeJS.ReadableStream, onProgress: ProgressFn, options: { network: NetworkSpec; memoryMb: number; vcpus: number; timeoutMs: number }): Promise<void> {
      // RUN steps reach what the app's replicas may (the public internet), never the host's neighbours.
      const network = await networks.ensure(options.network);
      const stream = await docker.buildImage(context, {
        t: image,
        rm: true,
        forcerm: true,
        networkmode: network.id,
        memory: options.memoryMb * 1024 * 1024,
        memswap: options.memoryMb * 1024 * 1024,
        cpuperiod: 100_000,
        cpuquota: Math.round(options.vcpus * 100_000),
        labels: { [LABEL_INSTALL]: installId, [LABEL_APP]: appId },
      });
      // Ending the build's connection makes the engine cancel it.
      const timer = setTimeout(() => (stream as unknown as { destroy(err: Error): void }).destroy(new Error(`the build ran past ${options.timeoutMs / 1000} s`)), options.timeoutMs);
      try {
        await new Promise<void>((resolve, reject) => {
          (stream as unknown as NodeJS.EventEmitter).once('error', reject);
          docker.modem.followProgress(
            stream,
            (err: Error | null, output: { error?: string }[] = []) => {
              const failed = err?.message ?? output.find((o) => o.error)?.error;
              return failed ? reject(new Error(failed.trim())) : resolve();
            },
            (e: { stream?: string; error?: string }) => {
              for (const line of (e.stream ?? e.error ?? '').split('\n')) if (line.trim()) onProgress(line.trimEnd().slice(0, 500));
            },
          );
        });
      } finally {
        clearTimeout(timer);
      }
    },

    async runReplica(spec: ReplicaSpec): Promise<void> {
      let container = docker.getContainer(spec.name);
      try {
        const info = await container.inspect();
        if (info.State.Running || info.State.Restarting) return;
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
        try {
          container = await create(spec, true);
        } catch (e) {
          if (statusOf(e) !== 409) throw e; // made meanwhile
        }
      }
      await container.start().catch((err: unknown) => {
        if (statusOf(err) !== 304) throw err;
      });
    },

    async runOnce(spec: ReplicaSpec, timeoutMs: number, onOutput: (line: string) => void): Promise<number | null> {
      await remove(spec.name, 0); // what a run that crashed half-way left
      const container = await create(spec, false);
      try {
        const stream = await container.attach({ stream: true, stdout: true, stderr: true });
        const lines = new PassThrough();
        docker.modem.demuxStream(stream, lines, lines);
        stream.on('end', () => lines.end());
        const reading = (async () => {
          for await (const line of createInterface({ input: lines })) onOutput(line.slice(0, 500));
        })();
        await container.start();
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
        const result = await Promise.race([container.wait().then((r: { StatusCode: number }) => r.StatusCode), timedOut]);
        clearTimeout(timer);
        if (result === null) await container.kill().catch(() => undefined);
        lines.end();
        await reading;
        return result;
      } finally {
        await remove(spec.name, 0);
      }
    },

    async listReplicas(appId?: string): Promise<ReplicaInstance[]> {
      const label = [installFilter, appId ? `${LABEL_APP}=${appId}` : LABEL_APP];
      const containers = await docker.listContainers({ all: true, filters: { label } });
      const found = await Promise.all(
        containers.map(async (c) => {
          const info = await docker
            .getContainer(c.Id)
            .inspect()
            .catch(() => null);
          return { c, restartCount: info?.RestartCount ?? 0 };
        }),
      );
      return found.map(({ c, restartCount }) => ({
        name: (c.Names[0] ?? '').replace(/^\//, ''),
        appId: c.Labels[LABEL_APP] ?? '',
        releaseId: c.Labels[LABEL_RELEASE] ?? '',
        state: c.State as InstanceState,
        restartCount,
      }));
    },

    removeReplica: remove,

    async replicaLogs(name: string, tail: number): Promise<string> {
      const output = (await docker.getContainer(name).logs({ stdout: true, stderr: true, tail, follow: false })) as unknown as Buffer;
      const text = demuxLogs(Buffer.isBuffer(output) ? output : Buffer.from(String(output)));
      // Lines are the app's to make as long as it likes: what is answered has a byte bound too.
      return text.length > MAX_LOG_CHARS ? text.slice(-MAX_LOG_CHARS) : text;
    },

    async pruneAppImages(appId: string, keep: ReadonlySet<string>): Promise<string[]> {
      const images = await docker.listImages({ filters: { label: [installFilter, `${LABEL_APP}=${appId}`] } });
      const inUse: string[] = [];
      for (const image of images) {
        for (const tag of image.RepoTags ?? []) {
          if (keep.has(tag)) continue;
          await docker
            .getImage(tag)
            .remove()
            .catch((err: unknown) => {
              if (statusOf(err) === 409) inUse.push(tag); // a container (going, perhaps) still uses it
              else if (statusOf(err) !== 404) throw err;
            });
        }
      }
      return inUse;
    },

    async removeAppVolume(name: string): Promise<void> {
      await docker
        .getVolume(name)
        .remove()
        .catch((err: unknown) => {
          if (statusOf(err) !== 404) throw err;
        });
    },

    async replicaEndpoint(name: string, port: number): Promise<{ host: string; port: number }> {
      const info = await docker.getContainer(name).inspect();
      const address = Object.values(info.NetworkSettings.Networks ?? {}).find((n) => n.IPAddress)?.IPAddress;
      if (!address) throw new Error(`replica ${name} has no network address`);
      return { host: address, port };
    },
  };
}
