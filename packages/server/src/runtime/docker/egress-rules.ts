import type { EgressPolicy } from '../driver.js';

/**
 * How egress policies become iptables rules on the engine's host (pure: listing in, commands out).
 *
 * Every Berth network gets a bridge named `bth` + 12 hex digits, so one rule can catch them all:
 *   INPUT        -i bth+ -j BERTH-INPUT      traffic to the host itself (its addresses, the gateways)
 *   DOCKER-USER  -i bth+ -j BERTH-EGRESS     traffic through the host (the internet, the LAN, other bridges)
 *   BERTH-INPUT  replies to connections the host opened (Berth's previews) RETURN; everything else DROPs
 *   BERTH-EGRESS -i <bridge> -g BERTH-<bridge> per network, then DROP: a Berth bridge without rules reaches nothing
 *   BERTH-<bridge> the network's policy; RETURN hands the packet back to Docker's own rules (which
 *                keep distinct bridges apart), DROP ends it. It always ends in one of the two: a
 *                chain entered with -g that runs out would return past BERTH-EGRESS's DROP.
 * Berth's rules only ever DROP or RETURN, never ACCEPT, so they narrow what Docker and the host's own
 * firewall allow and open nothing. Rules are written as `iptables -S` prints them, so a listing
 * compares equal to what is wanted and a second pass changes nothing.
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

/** The jumps from the host's chains into Berth's, first in their chain. */
export const JUMPS = [
  { chain: 'DOCKER-USER', rule: `-i ${BRIDGE_PREFIX}+ -j ${EGRESS_CHAIN}` },
  { chain: 'INPUT', rule: `-i ${BRIDGE_PREFIX}+ -j ${INPUT_CHAIN}` },
] as const;

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
 * The iptables-restore lines (without `*filter`/`COMMIT`) that take the listed rules to the plan;
 * empty when they are there already. A chain is rewritten whole (`:chain` flushes it in the same
 * transaction), so no packet ever sees it half written.
 */
export function planRules(current: ReadonlyMap<string, readonly string[]>, plan: FirewallPlan): string[] {
  for (const { chain } of JUMPS) {
    if (!current.has(chain)) throw new Error(`the ${chain} chain is missing: egress policies need Docker's iptables rules on this host`);
  }
  const lines: string[] = [];
  const egress = current.get(EGRESS_CHAIN);
  if (!egress) lines.push(`-N ${EGRESS_CHAIN}`);
  if (egress?.at(-1) !== '-j DROP') lines.push(`-A ${EGRESS_CHAIN} -j DROP`);
  if (!current.has(INPUT_CHAIN)) lines.push(`-N ${INPUT_CHAIN}`);
  if (!same(current.get(INPUT_CHAIN), INPUT_RULES)) lines.push(`:${INPUT_CHAIN} - [0:0]`, ...INPUT_RULES.map((r) => `-A ${INPUT_CHAIN} ${r}`));

  for (const { bridge, policy } of plan.networks) {
    const chain = networkChain(bridge);
    const rules = networkRules(bridge, policy, plan.resolvers);
    if (!same(current.get(chain), rules)) lines.push(`:${chain} - [0:0]`, ...rules.map((r) => `-A ${chain} ${r}`));
    lines.push(...exactlyOne(EGRESS_CHAIN, gotoRule(bridge), count(egress, gotoRule(bridge))));
  }

  for (const rule of egress ?? []) {
    const bridge = GOTO.exec(rule)?.[1];
    if (bridge && plan.gone(bridge)) lines.push(`-D ${EGRESS_CHAIN} ${rule}`);
  }
  for (const chain of current.keys()) {
    const bridge = NETWORK_CHAIN.exec(chain)?.[1];
    if (bridge && plan.gone(bridge)) lines.push(`-F ${chain}`, `-X ${chain}`);
  }

  // Last: they send traffic into chains that exist by now.
  for (const { chain, rule } of JUMPS) lines.push(...exactlyOne(chain, rule, count(current.get(chain), rule)));
  return lines;
}
