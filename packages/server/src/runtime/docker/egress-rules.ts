import type { EgressPolicy } from '../driver.js';

/**
 * How egress policies become iptables rules on the engine's host (pure: listings in, commands out).
 *
 * Every Berth network gets a bridge named `bth` + 12 hex digits, so one rule can catch them all:
 *   mangle FORWARD  -i bth+ -j BERTH-EGRESS    traffic through the host (the internet, the LAN, other bridges)
 *   filter INPUT    -i bth+ -j BERTH-INPUT     traffic to the host itself (its addresses, the gateways)
 *   BERTH-INPUT  replies to connections the host opened (Berth's previews) RETURN; everything else DROPs
 *   BERTH-EGRESS -i <bridge> -g BERTH-<bridge> per network, then DROP: a Berth bridge without rules reaches nothing
 *   BERTH-<bridge> the network's policy; RETURN hands the packet on to the filter table (Docker's own
 *                rules, which keep distinct bridges apart), DROP ends it. It always ends in one of the
 *                two: a chain entered with -g that runs out would return past BERTH-EGRESS's DROP.
 * Forwarded traffic is judged in the mangle table, which Docker never touches: Docker 20.10 deletes
 * and re-inserts its filter FORWARD → DOCKER-USER jump whenever a network is created, and a packet
 * in between would pass every policy (it happened: an `internet` environment fetched a page from a
 * private address). Berth's rules only ever DROP or RETURN, never ACCEPT, so they narrow what Docker
 * and the host's own firewall allow and open nothing. Rules are written as `iptables -S` prints them,
 * so a listing compares equal to what is wanted and a second pass changes nothing. Earlier versions
 * judged in filter DOCKER-USER: those rules are removed once the mangle ones are in.
 */

export const BRIDGE_PREFIX = 'bth';
export const BRIDGE_OPTION = 'com.docker.network.bridge.name';
export const EGRESS_CHAIN = 'BERTH-EGRESS';
export const INPUT_CHAIN = 'BERTH-INPUT';
const BRIDGE = /^bth[0-9a-f]{12}$/;
const NETWORK_CHAIN = /^BERTH-(bth[0-9a-f]{12})$/;
const GOTO = /^-i (bth[0-9a-f]{12}) -g BERTH-bth[0-9a-f]{12}$/;

export const isBerthBridge = (name: string | undefined): name is string => !!name && BRIDGE.test(name);
/** 21 characters: within iptables' 28 for a chain name. */
export const networkChain = (bridge: string) => `BERTH-${bridge}`;
const gotoRule = (bridge: string) => `-i ${bridge} -g ${networkChain(bridge)}`;

export type Table = 'filter' | 'mangle';
/** `iptables -S` of each table, as chain → rules. */
export type Listing = Record<Table, ReadonlyMap<string, readonly string[]>>;
/** iptables-restore lines per table (without `*table`/`COMMIT`). */
export type Batch = Record<Table, string[]>;

/** The tables Berth's chains live in. */
const EGRESS_TABLE: Table = 'mangle';
const INPUT_TABLE: Table = 'filter';

/** The jumps from the host's chains into Berth's, first in their chain. */
export const JUMPS = [
  { table: EGRESS_TABLE, chain: 'FORWARD', rule: `-i ${BRIDGE_PREFIX}+ -j ${EGRESS_CHAIN}` },
  { table: INPUT_TABLE, chain: 'INPUT', rule: `-i ${BRIDGE_PREFIX}+ -j ${INPUT_CHAIN}` },
] as const;
/** Where earlier versions hooked the egress chain in (filter table). */
const LEGACY_JUMP = { chain: 'DOCKER-USER', rule: `-i ${BRIDGE_PREFIX}+ -j ${EGRESS_CHAIN}` };

export const INPUT_RULES = ['-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN', '-j DROP'];

/**
 * Never reachable under `internet`: the host's neighbours and everything that is not the internet.
 * Documentation ranges (192.0.2.0/24 …) are left alone: some networks really route them.
 */
export const BLOCKED_CIDRS = [
  '0.0.0.0/8', // "this network"
  '10.0.0.0/8', // RFC 1918
  '100.64.0.0/10', // carrier-grade NAT (RFC 6598)
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link-local: cloud metadata answers at 169.254.169.254
  '172.16.0.0/12', // RFC 1918 (Docker's own bridges too)
  '192.0.0.0/24', // IETF protocol assignments
  '192.168.0.0/16', // RFC 1918
  '198.18.0.0/15', // benchmarking
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, and the broadcast address
];

const CIDR = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\/(?:3[0-2]|[12]?\d)$/;

/** Allowlists come back from network labels: anything that is not a plain CIDR never reaches a rule. */
function destination(cidr: string): string {
  if (!CIDR.test(cidr)) throw new Error(`not an IPv4 CIDR: ${JSON.stringify(cidr)}`);
  return cidr === '0.0.0.0/0' ? '' : `-d ${cidr} `;
}

/**
 * The rules of one network's chain. Its own bridge comes first (environments sharing a network reach
 * each other; Docker decides), other Berth bridges never, whatever an allowlist says. Under `internet`,
 * DNS to the resolvers the engine forwards to stays open (Docker's resolver inside the container sends
 * its queries from the container, and a resolver often sits on a private address).
 */
export function networkRules(bridge: string, policy: EgressPolicy, resolvers: readonly string[]): string[] {
  const own = [`-o ${bridge} -j RETURN`, `-o ${BRIDGE_PREFIX}+ -j DROP`];
  switch (policy.mode) {
    case 'none':
      return ['-j DROP'];
    case 'allowlist':
      return [...own, ...policy.allow.map((cidr) => `${destination(cidr)}-j RETURN`), '-j DROP'];
    case 'internet':
      return [
        ...own,
        ...resolvers.flatMap((ip) => ['udp', 'tcp'].map((proto) => `-d ${ip}/32 -p ${proto} -m ${proto} --dport 53 -j RETURN`)),
        ...BLOCKED_CIDRS.map((cidr) => `-d ${cidr} -j DROP`),
        '-j RETURN',
      ];
  }
}

/** `iptables -S` output as chain → rules (each without its `-A <chain> `). */
export function parseListing(text: string): Map<string, string[]> {
  const chains = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const [flag, chain, ...rest] = line.trim().split(' ');
    if (!chain) continue;
    if (flag === '-N' || flag === '-P') chains.set(chain, chains.get(chain) ?? []);
    if (flag === '-A') chains.set(chain, [...(chains.get(chain) ?? []), rest.join(' ')]);
  }
  return chains;
}

/** IPv4 nameservers of a resolv.conf, loopback ones left out (the engine asks those from the host itself). */
export function parseResolvers(text: string): string[] {
  const found = [...text.matchAll(/^\s*nameserver\s+(\d{1,3}(?:\.\d{1,3}){3})\s*$/gm)].map((m) => m[1]!);
  return [...new Set(found.filter((ip) => !ip.startsWith('127.')))];
}

export interface FirewallNetwork {
  bridge: string;
  policy: EgressPolicy;
}

export interface FirewallPlan {
  /** Make these networks' chains and jumps right. */
  networks: readonly FirewallNetwork[];
  /** Remove the chains and jumps of Berth bridges this says are gone. */
  gone: (bridge: string) => boolean;
  resolvers: readonly string[];
}

const count = (rules: readonly string[] | undefined, rule: string) => (rules ?? []).filter((r) => r === rule).length;

/**
 * Exactly one copy of a rule at the head of a chain, from `seen` copies. Duplicates (two processes
 * that both found none and both inserted one) are repaired by deleting every copy seen and inserting
 * one, in the same transaction: never by deleting all but one, which two processes doing at once
 * from the same listing would turn into none (and a jump that is gone lets traffic past every
 * policy). A process whose listing went stale fails its whole batch on a `-D` that finds nothing,
 * and changes nothing; its next pass reads again.
 */
function exactlyOne(chain: string, rule: string, seen: number): string[] {
  if (seen === 1) return [];
  return [...Array.from({ length: seen }, () => `-D ${chain} ${rule}`), `-I ${chain} 1 ${rule}`];
}
const same = (a: readonly string[] | undefined, b: readonly string[]) => !!a && a.length === b.length && a.every((r, i) => r === b[i]);

/**
 * The iptables-restore lines per table that take the listed rules to the plan; empty when they are
 * there already. A chain is rewritten whole (`:chain` flushes it in the same transaction), so no
 * packet ever sees it half written. Restore the mangle batch before the filter one: the filter
 * batch removes the old egress hook, which must not go before the new one is in.
 */
export function planRules(listing: Listing, plan: FirewallPlan): Batch {
  for (const { table, chain } of JUMPS) {
    if (!listing[table].has(chain)) throw new Error(`the ${table} table has no ${chain} chain: egress policies need iptables on this host`);
  }
  const current = listing[EGRESS_TABLE];
  const egressLines: string[] = [];
  const egress = current.get(EGRESS_CHAIN);
  if (!egress) egressLines.push(`-N ${EGRESS_CHAIN}`);
  if (egress?.at(-1) !== '-j DROP') egressLines.push(`-A ${EGRESS_CHAIN} -j DROP`);

  for (const { bridge, policy } of plan.networks) {
    const chain = networkChain(bridge);
    const rules = networkRules(bridge, policy, plan.resolvers);
    if (!same(current.get(chain), rules)) egressLines.push(`:${chain} - [0:0]`, ...rules.map((r) => `-A ${chain} ${r}`));
    egressLines.push(...exactlyOne(EGRESS_CHAIN, gotoRule(bridge), count(egress, gotoRule(bridge))));
  }

  for (const rule of egress ?? []) {
    const bridge = GOTO.exec(rule)?.[1];
    if (bridge && plan.gone(bridge)) egressLines.push(`-D ${EGRESS_CHAIN} ${rule}`);
  }
  for (const chain of current.keys()) {
    const bridge = NETWORK_CHAIN.exec(chain)?.[1];
    if (bridge && plan.gone(bridge)) egressLines.push(`-F ${chain}`, `-X ${chain}`);
  }

  const inputLines: string[] = [];
  const input = listing[INPUT_TABLE];
  if (!input.has(INPUT_CHAIN)) inputLines.push(`-N ${INPUT_CHAIN}`);
  if (!same(input.get(INPUT_CHAIN), INPUT_RULES)) inputLines.push(`:${INPUT_CHAIN} - [0:0]`, ...INPUT_RULES.map((r) => `-A ${INPUT_CHAIN} ${r}`));

  const batch: Batch = { mangle: [], filter: [] };
  batch[EGRESS_TABLE].push(...egressLines);
  batch[INPUT_TABLE].push(...inputLines);
  // Last: they send traffic into chains that exist by now.
  for (const { table, chain, rule } of JUMPS) batch[table].push(...exactlyOne(chain, rule, count(listing[table].get(chain), rule)));
  batch.filter.push(...legacyCleanup(listing.filter));
  return batch;
}

/** The filter-table hook and chains of earlier versions, removed (hook first: a chain still jumped to cannot go). */
function legacyCleanup(filter: ReadonlyMap<string, readonly string[]>): string[] {
  const lines = Array.from({ length: count(filter.get(LEGACY_JUMP.chain), LEGACY_JUMP.rule) }, () => `-D ${LEGACY_JUMP.chain} ${LEGACY_JUMP.rule}`);
  for (const chain of filter.keys()) {
    if (chain === EGRESS_CHAIN || NETWORK_CHAIN.test(chain)) lines.push(`-F ${chain}`);
  }
  // Network chains first: BERTH-EGRESS's gotos name them, and flushing it above removed those.
  for (const chain of filter.keys()) if (NETWORK_CHAIN.test(chain)) lines.push(`-X ${chain}`);
  if (filter.has(EGRESS_CHAIN)) lines.push(`-X ${EGRESS_CHAIN}`);
  return lines;
}
