import type Docker from 'dockerode';

/**
 * What every container Berth runs gets, environment or app replica alike: an init process, no
 * privileges, every capability dropped but the few named, no-new-privileges, and hard CPU, memory
 * (no swap beyond it) and process limits.
 */
export function hardenedHostConfig(limits: { vcpus: number; memoryMb: number; pids: number; capabilities: readonly string[] }): Docker.HostConfig {
  return {
    Init: true,
    Privileged: false,
    CapDrop: ['ALL'],
    CapAdd: [...limits.capabilities],
    SecurityOpt: ['no-new-privileges:true'],
    Memory: limits.memoryMb * 1024 * 1024,
    MemorySwap: limits.memoryMb * 1024 * 1024,
    NanoCpus: limits.vcpus * 1_000_000_000,
    PidsLimit: limits.pids,
  };
}
