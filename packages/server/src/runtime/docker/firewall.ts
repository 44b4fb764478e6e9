import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { parseListing, parseResolvers, planRules, type FirewallPlan, type Table } from './egress-rules.js';

const run = promisify(execFile);

export type Desired = Omit<FirewallPlan, 'resolvers'>;

/** What enforces egress policies on the engine's host. */
export interface Firewall {
  /**
   * Takes the host's rules to what `desired` says; returns the changes it made (none when they were
   * right). `desired` is asked after the rules are read, so a network it reports as gone was gone
   * after any rule of it was written (a network is created before its rules).
   */
  apply(desired: () => Promise<Desired>): Promise<string[]>;
}

export interface IptablesOptions {
  iptables?: string;
  iptablesRestore?: string;
  /** Where the engine takes its upstream DNS servers from, in the order it looks. */
  resolvConf?: readonly string[];
}

/** A batch iptables-restore refused (and so applied nothing of). */
class RestoreError extends Error {}

/** Feeds a batch to iptables-restore: one transaction, never a shell. */
function restore(command: string, batch: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, ['-w', '--noflush'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', (err) => reject(new Error(`cannot run ${command}: ${err.message}`)));
    child.once('close', (code) => (code === 0 ? resolve() : reject(new RestoreError(`iptables-restore failed (${code}): ${stderr.trim()}`))));
    child.stdin.end(batch);
  });
}

/**
 * iptables on this machine: Berth and the engine share a host (DOCKER_HOST is a local socket). A
 * remote engine enforces policies behind the same driver method, on its own host. Changes within
 * this process go one at a time; two processes racing at most duplicate a jump, which the next
 * pass repairs without ever leaving none (egress-rules.ts, exactlyOne).
 */
export function createIptablesFirewall(options: IptablesOptions = {}): Firewall {
  const iptables = options.iptables ?? 'iptables';
  const iptablesRestore = options.iptablesRestore ?? 'iptables-restore';
  const resolvConf = options.resolvConf ?? ['/etc/resolv.conf', '/run/systemd/resolve/resolv.conf'];

  /** The engine's upstream resolvers: like dockerd, the first file that names a non-loopback one. */
  async function resolvers(): Promise<string[]> {
    for (const file of resolvConf) {
      const found = parseResolvers(await readFile(file, 'utf8').catch(() => ''));
      if (found.length > 0) return found;
    }
    return [];
  }

  let queue: Promise<unknown> = Promise.resolve();
  /** Another Berth process may change the rules between our read and our write: its batch then fails whole; read again. */
  async function applyNow(desired: () => Promise<Desired>): Promise<string[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await applyOnce(desired);
      } catch (err) {
        if (attempt >= 3 || !(err instanceof RestoreError)) throw err;
      }
    }
  }

  async function list(table: Table): Promise<Map<string, string[]>> {
    try {
      return parseListing((await run(iptables, ['-w', '-t', table, '-S'], { maxBuffer: 64 * 1024 * 1024 })).stdout);
    } catch (err) {
      // A plain error: an ENOENT here means no iptables (or no root), not an engine outage to wait out.
      throw new Error(`cannot read the host's iptables rules (egress policies need iptables and root on the engine's host): ${(err as Error).message}`, { cause: err });
    }
  }

  async function applyOnce(desired: () => Promise<Desired>): Promise<string[]> {
    const listing = { mangle: await list('mangle'), filter: await list('filter') };
    const batch = planRules(listing, { ...(await desired()), resolvers: await resolvers() });
    // mangle first: the filter batch takes out the old egress hook, which must not go before the new one is in.
    const tables = (['mangle', 'filter'] as const).filter((table) => batch[table].length > 0);
    if (tables.length > 0) await restore(iptablesRestore, tables.map((table) => `*${table}\n${batch[table].join('\n')}\nCOMMIT\n`).join(''));
    return tables.flatMap((table) => batch[table].map((line) => `${table}: ${line}`));
  }

  return {
    apply(desired) {
      const result = queue.then(() => applyNow(desired));
      queue = result.catch(() => undefined);
      return result;
    },
  };
}
