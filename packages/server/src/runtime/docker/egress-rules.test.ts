import { describe, expect, it } from 'vitest';
import { EGRESS_CHAIN, INPUT_CHAIN, INPUT_RULES, networkChain, networkRules, parseListing, parseResolvers, planRules, type Batch, type FirewallPlan, type Listing } from './egress-rules.js';

const A = 'bth0123456789ab';
const B = 'bthba9876543210';
const HOST: Listing = {
  filter: parseListing(['-P INPUT ACCEPT', '-P FORWARD DROP', '-N DOCKER-USER', '-A DOCKER-USER -j RETURN'].join('\n')),
  mangle: parseListing(['-P PREROUTING ACCEPT', '-P INPUT ACCEPT', '-P FORWARD ACCEPT', '-P OUTPUT ACCEPT', '-P POSTROUTING ACCEPT'].join('\n')),
};
type State = { filter: Map<string, string[]>; mangle: Map<string, string[]> };
const copy = (l: Listing): State => ({ filter: new Map([...l.filter].map(([k, v]) => [k, [...v]])), mangle: new Map([...l.mangle].map(([k, v]) => [k, [...v]])) });
const empty = (b: Batch) => b.filter.length === 0 && b.mangle.length === 0;
const nothing: FirewallPlan = { networks: [], gone: () => false, resolvers: [] };

/** Applies a batch the way iptables-restore would: mangle, then filter; a table whose lines fail changes nothing. */
function applyBatch(listing: Listing, batch: Batch): State {
  const state = copy(listing);
  return { mangle: applyLines(state.mangle, batch.mangle), filter: applyLines(state.filter, batch.filter) };
}

/** Applies restore lines to a parsed listing the way iptables-restore would (for the few commands the planner writes). */
function applyLines(chains: Map<string, string[]>, lines: string[]): Map<string, string[]> {
  const next = new Map([...chains].map(([k, v]) => [k, [...v]]));
  for (const line of lines) {
    const [flag, chain = '', ...rest] = line.split(' ');
    const rules = next.get(chain) ?? [];
    if (flag === '-N') next.set(chain, []);
    else if (flag?.startsWith(':')) next.set(flag.slice(1), []);
    else if (flag === '-A') next.set(chain, [...rules, rest.join(' ')]);
    else if (flag === '-I') next.set(chain, [rest.slice(1).join(' '), ...rules]);
    else if (flag === '-D') {
      // iptables-restore fails the whole batch when a rule to delete is not there.
      if (!rules.includes(rest.join(' '))) throw new Error(`no such rule: ${line}`);
      rules.splice(rules.indexOf(rest.join(' ')), 1);
    }
    else if (flag === '-F') next.set(chain, []);
    else if (flag === '-X') {
      if ([...next.values()].some((r) => r.some((rule) => rule.endsWith(` ${chain}`)))) throw new Error(`chain in use: ${line}`);
      next.delete(chain);
    }
  }
  return next;
}

describe('egress rules', () => {
  it('installs both chains and one jump into each on a bare host (egress in mangle, which Docker never rewrites), and nothing more on a second pass', () => {
    const after = applyBatch(HOST, planRules(HOST, nothing));
    expect(after.mangle.get('FORWARD')).toEqual([`-i bth+ -j ${EGRESS_CHAIN}`]);
    expect(after.filter.get('INPUT')).toEqual([`-i bth+ -j ${INPUT_CHAIN}`]);
    expect(after.filter.get('DOCKER-USER')).toEqual(['-j RETURN']);
    expect(after.mangle.get(EGRESS_CHAIN)).toEqual(['-j DROP']);
    expect(after.filter.get(INPUT_CHAIN)).toEqual(INPUT_RULES);
    expect(empty(planRules(after, nothing))).toBe(true);
  });

  it('gives a network its chain and one goto, and removes duplicate jumps and gotos another process raced in', () => {
    const plan = { ...nothing, networks: [{ bridge: A, policy: { mode: 'none' as const } }] };
    const raced = applyBatch(HOST, planRules(HOST, plan));
    raced.mangle.set('FORWARD', [`-i bth+ -j ${EGRESS_CHAIN}`, ...raced.mangle.get('FORWARD')!]);
    raced.mangle.set(EGRESS_CHAIN, [`-i ${A} -g ${networkChain(A)}`, ...raced.mangle.get(EGRESS_CHAIN)!]);
    const repaired = applyBatch(raced, planRules(raced, plan));
    expect(repaired.mangle.get(EGRESS_CHAIN)).toEqual([`-i ${A} -g ${networkChain(A)}`, '-j DROP']);
    expect(repaired.mangle.get('FORWARD')!.filter((r) => r.includes(EGRESS_CHAIN))).toHaveLength(1);
    expect(repaired.mangle.get(networkChain(A))).toEqual(['-j DROP']);
  });

  it('never leaves a jump or goto out when two processes repair the same duplicates from one listing', () => {
    const plan = { ...nothing, networks: [{ bridge: A, policy: { mode: 'none' as const } }] };
    const raced = applyBatch(HOST, planRules(HOST, plan));
    raced.mangle.set('FORWARD', [`-i bth+ -j ${EGRESS_CHAIN}`, ...raced.mangle.get('FORWARD')!]);
    raced.mangle.set(EGRESS_CHAIN, [`-i ${A} -g ${networkChain(A)}`, ...raced.mangle.get(EGRESS_CHAIN)!]);
    // Both read the raced listing; one applies first, then the other's (now stale) batch.
    const [first, second] = [planRules(raced, plan), planRules(raced, plan)];
    const afterFirst = applyBatch(raced, first);
    const afterBoth = (() => {
      try {
        return applyBatch(afterFirst, second);
      } catch {
        return afterFirst; // the stale batch fails whole: iptables-restore applies nothing of it
      }
    })();
    for (const state of [afterFirst, afterBoth]) {
      expect(state.mangle.get('FORWARD')!.filter((r) => r === `-i bth+ -j ${EGRESS_CHAIN}`)).toHaveLength(1);
      expect(state.mangle.get(EGRESS_CHAIN)!.filter((r) => r === `-i ${A} -g ${networkChain(A)}`)).toHaveLength(1);
    }
  });

  it('rewrites a network chain whole in one step when its rules differ, and removes chains and gotos of bridges that are gone', () => {
    const withBoth = applyBatch(HOST, planRules(HOST, { ...nothing, networks: [A, B].map((bridge) => ({ bridge, policy: { mode: 'none' as const } })) }));
    const batch = planRules(withBoth, { ...nothing, networks: [{ bridge: A, policy: { mode: 'allowlist', allow: ['10.9.0.0/16'] } }], gone: (b) => b === B });
    expect(batch.mangle).toContain(`:${networkChain(A)} - [0:0]`);
    const after = applyBatch(withBoth, batch);
    expect(after.mangle.get(networkChain(A))).toEqual([`-o ${A} -j RETURN`, '-o bth+ -j DROP', '-d 10.9.0.0/16 -j RETURN', '-j DROP']);
    expect(after.mangle.has(networkChain(B))).toBe(false);
    expect(after.mangle.get(EGRESS_CHAIN)).toEqual([`-i ${A} -g ${networkChain(A)}`, '-j DROP']);
  });

  it("moves an earlier version's rules out of filter DOCKER-USER once the mangle ones are in, keeping the network's policy", () => {
    const legacy: Listing = {
      mangle: HOST.mangle,
      filter: parseListing(
        [
          '-P INPUT ACCEPT', '-P FORWARD DROP', '-N DOCKER-USER', `-N ${EGRESS_CHAIN}`, `-N ${INPUT_CHAIN}`, `-N ${networkChain(A)}`,
          `-A INPUT -i bth+ -j ${INPUT_CHAIN}`, `-A DOCKER-USER -i bth+ -j ${EGRESS_CHAIN}`, '-A DOCKER-USER -j RETURN',
          `-A ${EGRESS_CHAIN} -i ${A} -g ${networkChain(A)}`, `-A ${EGRESS_CHAIN} -j DROP`,
          ...INPUT_RULES.map((r) => `-A ${INPUT_CHAIN} ${r}`), `-A ${networkChain(A)} -j DROP`,
        ].join('\n'),
      ),
    };
    const plan = { ...nothing, networks: [{ bridge: A, policy: { mode: 'none' as const } }] };
    const batch = planRules(legacy, plan);
    const after = applyBatch(legacy, batch);
    expect(after.filter.get('DOCKER-USER')).toEqual(['-j RETURN']);
    expect([...after.filter.keys()].filter((c) => c.startsWith('BERTH-'))).toEqual([INPUT_CHAIN]);
    expect(after.mangle.get(networkChain(A))).toEqual(['-j DROP']);
    expect(after.mangle.get('FORWARD')).toEqual([`-i bth+ -j ${EGRESS_CHAIN}`]);
    expect(empty(planRules(after, plan))).toBe(true);
  });

  it('under internet drops private, link-local, loopback, multicast and reserved ranges, lets DNS to the resolvers through, and ends by handing back to Docker', () => {
    const rules = networkRules(A, { mode: 'internet' }, ['10.255.255.53']);
    for (const cidr of ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', '127.0.0.0/8', '224.0.0.0/4', '240.0.0.0/4']) {
      expect(rules).toContain(`-d ${cidr} -j DROP`);
    }
    expect(rules.indexOf('-d 10.255.255.53/32 -p udp -m udp --dport 53 -j RETURN')).toBeLessThan(rules.indexOf('-d 10.0.0.0/8 -j DROP'));
    expect(rules.indexOf('-o bth+ -j DROP')).toBe(1);
    expect(rules.at(-1)).toBe('-j RETURN');
  });

  it('ends every network chain in DROP or RETURN, and refuses an allowlist entry that is not a CIDR', () => {
    expect(networkRules(A, { mode: 'none' }, [])).toEqual(['-j DROP']);
    expect(networkRules(A, { mode: 'allowlist', allow: ['0.0.0.0/0'] }, []).at(-2)).toBe('-j RETURN');
    expect(() => networkRules(A, { mode: 'allowlist', allow: ['1.2.3.4/32 -j ACCEPT'] }, [])).toThrow(/not an IPv4 CIDR/);
  });

  it('refuses to plan on a host whose listing lacks the chains Berth hooks into', () => {
    expect(() => planRules({ filter: HOST.filter, mangle: parseListing('-P INPUT ACCEPT') }, nothing)).toThrow(/mangle table has no FORWARD/);
  });

  it('reads IPv4 nameservers from resolv.conf, leaving loopback ones out', () => {
    expect(parseResolvers('# x\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nnameserver fd00::1\noptions edns0\nnameserver 1.1.1.1\n')).toEqual(['10.0.0.2', '1.1.1.1']);
  });
});
