import { vi } from 'vitest';
import type Docker from 'dockerode';
import { environments } from '../../packages/server/src/db/schema.js';
import type { Database } from '../../packages/server/src/db/client.js';
import { LABEL_ENV, LABEL_INSTALL } from '../../packages/server/src/runtime/docker/labels.js';

/**
 * What makes a suite run sandboxed (test/sandboxed/) prove it: it made sandboxed environments, and
 * each container it has left runs under the runtime its row says (runsc for sandboxed, the engine's
 * default otherwise). Without it, a suite whose environments quietly ran under runc would pass.
 */
export async function checkRuntimeClasses(database: Database, docker: Docker, installId: string, sandboxedRuntime: string): Promise<void> {
  const rows = await database.db.select({ id: environments.id, runtimeClass: environments.runtimeClass }).from(environments);
  if (!rows.some((r) => r.runtimeClass === 'sandboxed')) throw new Error('This suite was to run sandboxed, but it made no sandboxed environment');
  const classOf = new Map(rows.map((r) => [r.id, r.runtimeClass]));
  const containers = await docker.listContainers({ all: true, filters: { label: [`${LABEL_INSTALL}=${installId}`, LABEL_ENV] } });
  for (const c of containers) {
    const { HostConfig } = await docker.getContainer(c.Id).inspect();
    const wanted = classOf.get(c.Labels[LABEL_ENV] ?? '') === 'sandboxed' ? sandboxedRuntime : 'runc';
    if ((HostConfig.Runtime ?? 'runc') !== wanted) throw new Error(`Container ${c.Names[0]} runs under ${HostConfig.Runtime}, not ${wanted} as its environment's class says`);
  }
}

/**
 * Makes the file that calls it (one of test/sandboxed/) run its suite with every environment
 * sandboxed: its server marks every machine type so (support/server.ts), and its tests get the
 * longer timeouts gVisor's slower starts need on a busy machine. Timeouts only: nothing is asserted of time.
 */
export function runSandboxed(): void {
  process.env.BERTH_TEST_RUNTIME_CLASS = 'sandboxed';
  vi.setConfig({ testTimeout: 120_000, hookTimeout: 180_000 });
}

/** How long a wait on a shell's output may take: longer under gVisor, whose processes start slower. */
export const shellWaitMs = (ms: number): number => (process.env.BERTH_TEST_RUNTIME_CLASS === 'sandboxed' ? ms * 3 : ms);
