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

/** Where the rules are: the machine Berth runs on, or a node reached through its engine (node-agent.ts). */
export interface FirewallHost {
  /** Runs a command to its end, feeding it `stdin`; its output, or a rejection naming what failed. */
  run(command: string, args: readonly string[], stdin?: string): Promise<string>;
  /** A file's text, or '' when it cannot be read. */
  read(file: string): Promise<string>;
}

export interface IptablesOptions {
  iptables?: string;
  iptablesRestore?: string;
  /** Where the engine takes its upstream DNS servers from, in the order it looks. */
  resolvConf?: readonly string[];
  /** This machine, unless given. */
  host?: FirewallHost;
}

/** A command that ran and failed (its exit code was not 0): for iptables-restore, a batch it applied nothing of. */
export class CommandError extends Error {}

/** This machine: commands run as child processes, never through a shell. */
export const localHost: FirewallHost = {
  async run(command, args, stdin) {
    if (stdin === undefined) return (await run(command, [...args], { maxBuffer: 64 * 1024 * 1024 })).stdout;
    return new Promise((resolve, reject) => {
      const child = spawn(command, [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('error', (err) => reject(new Error(`cannot run ${command}: ${err.message}`)));
      child.once('close', (code) => (code === 0 ? resolve(stdout) : reject(new CommandError(`${command} failed (${code}): ${stderr.trim()}`))));
      child.stdin.end(stdin);
    });
  },
  read: (file) => readFile(file, 'utf8').catch(() => ''),
};

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
  const host = options.host ?? localHost;

  /** The engine's upstream resolvers: like dockerd, the first file that names a non-loopback one. */
  async function resolvers(): Promise<string[]> {
    for (const file of resolvConf) {
      const found = parseResolvers(await host.read(file));
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
        // A batch iptables-restore refused applied nothing of itself.
        if (attempt >= 3 || !(err instanceof CommandError)) throw err;
      }
    }
  }

  async function list(table: Table): Promise<Map<string, string[]>> {
    try {
      return parseListing(await host.run(iptables, ['-w', '-t', table, '-S']));
    } catch (err) {
      // A plain error: an ENOENT here means no iptables (or no root), not an engine outage to wait out.
      throw new Error(`cannot read the host's iptables rules (egress policies need iptables and root on the engine's host): ${(err as Error).message}`, { cause: err });
    }
  }

  async function applyOnce(desired: () => Promise<Desired>): Promise<string[]> {
    // Read at once: on a node reached through its agent each read is a round trip.
    const [mangle, filter, upstream] = await Promise.all([list('mangle'), list('filter'), resolvers()]);
    const batch = planRules({ mangle, filter }, { ...(await desired()), resolvers: upstream });
    // mangle first: the filter batch takes out the old egress hook, which must not go before the new one is in.
    const tables = (['mangle', 'filter'] as const).filter((table) => batch[table].length > 0);
    if (tables.length > 0) await host.run(iptablesRestore, ['-w', '--noflush'], tables.map((table) => `*${table}\n${batch[table].join('\n')}\nCOMMIT\n`).join(''));
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
