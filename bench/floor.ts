import { randomUUID } from 'node:crypto';
import type Docker from 'dockerode';
import { TEST_IMAGE } from '../test/support/images.js';

export async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/**
 * The floor for create → running, on `docker` (this machine's engine, or a node's over TLS): a
 * volume and a hardened container created and started directly, on `network` when given, under the
 * OCI `runtime` when given (runsc: the floor of the sandboxed class).
 */
export async function floorCreate(docker: Docker, network?: string, runtime?: string): Promise<{ ms: number; container: Docker.Container; cleanup: () => Promise<void> }> {
  const id = randomUUID();
  const ms = await time(async () => {
    await docker.createVolume({ Name: `bench-ws-${id}` });
    const c = await docker.createContainer({
      name: `bench-${id}`,
      Image: TEST_IMAGE,
      Cmd: ['/bin/sh', '-c', 'trap "exit 0" TERM; while :; do sleep 3600 & wait $!; done'],
      WorkingDir: '/workspace',
      HostConfig: {
        Init: true,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges:true'],
        Memory: 1024 * 1024 * 1024,
        NanoCpus: 1e9,
        PidsLimit: 1024,
        Mounts: [{ Type: 'volume', Source: `bench-ws-${id}`, Target: '/workspace' }],
        ...(network ? { NetworkMode: network } : {}),
        ...(runtime ? { Runtime: runtime } : {}),
      },
    });
    await c.start();
  });
  return {
    ms,
    container: docker.getContainer(`bench-${id}`),
    cleanup: async () => {
      await docker.getContainer(`bench-${id}`).remove({ force: true });
      await docker.getVolume(`bench-ws-${id}`).remove();
    },
  };
}
