import type Docker from 'dockerode';
import type { InstanceStats } from '../driver.js';

/**
 * The Engine API's one-shot stats, as Berth reports them. CPU is the change in
 * the container's CPU time over the change in system CPU time between the two
 * samples Docker includes, scaled to one CPU = 100 %.
 */
export function toStats(s: Docker.ContainerStats): InstanceStats {
  const cpuDelta = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
  const systemDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats.system_cpu_usage ?? 0);
  const cpus = s.cpu_stats.online_cpus ?? s.cpu_stats.cpu_usage.percpu_usage?.length ?? 1;
  const cpuPercent = cpuDelta > 0 && systemDelta > 0 ? (cpuDelta / systemDelta) * cpus * 100 : 0;
  // Page cache is reclaimable; "used" excludes it, as `docker stats` does.
  const memStats = s.memory_stats.stats as Record<string, number> | undefined;
  const cache = memStats?.inactive_file ?? memStats?.total_inactive_file ?? 0;
  const networks = Object.values(s.networks ?? {});
  const io = s.blkio_stats?.io_service_bytes_recursive ?? [];
  const ioSum = (op: string) => io.filter((e) => e.op.toLowerCase() === op).reduce((n, e) => n + e.value, 0);
  return {
    cpuPercent: Math.round(cpuPercent * 100) / 100,
    memoryBytes: Math.max(0, (s.memory_stats.usage ?? 0) - cache),
    memoryLimitBytes: s.memory_stats.limit ?? 0,
    pids: s.pids_stats?.current ?? 0,
    networkRxBytes: networks.reduce((n, x) => n + x.rx_bytes, 0),
    networkTxBytes: networks.reduce((n, x) => n + x.tx_bytes, 0),
    blockReadBytes: ioSum('read'),
    blockWriteBytes: ioSum('write'),
  };
}
