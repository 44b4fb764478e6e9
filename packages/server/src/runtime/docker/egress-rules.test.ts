import { describe, expect, it } from 'vitest';
import { EGRESS_CHAIN, INPUT_CHAIN, INPUT_RULES, networkChain, networkRules, parseListing, parseResolvers, planRules, type FirewallPlan } from './egress-rules.js';

const A = 'bth0123456789ab';
const B = 'bthba9876543210';
const HOST = ['-P INPUT ACCEPT', '-P FORWARD DROP', '-N DOCKER-USER', '-A DOCKER-USER -j RETURN'].join('\n');
const nothing: FirewallPlan = { networks: [], gone: () => false, resolvers: [] };

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
    else if (flag === '-X') next.delete(chain);
  }
  return next;
}

describe('egress rules', () => {
  it('installs both chains and one jump into each on a bare host, and nothing more on a second pass', () => {
    const first = planRules(parseListing(HOST), nothing);
    const after = applyLines(parseListing(HOST), first);
    expect(after.get('DOCKER-USER')).toEqual([`-i bth+ -j ${EGRESS_CHAIN}`, '-j RETURN']);
    expect(after.get('INPUT')).toEqual([`-i bth+ -j ${INPUT_CHAIN}`]);
    expect(after.get(EGRESS_CHAIN)).toEqual(['-j DROP']);
    expect(after.get(INPUT_CHAIN)).toEqual(INPUT_RULES);
    expect(planRules(after, nothing)).toEqual([]);
  });

  it('gives a network its chain and one goto, and removes duplicate jumps and gotos another process raced in', () => {
    const plan = { ...nothing, networks: [{ bridge: A, policy: { mode: 'none' as const } }] };
    const once = applyLines(parseListing(HOST), planRules(parseListing(HOST), plan));
    const raced = new Map(once);
    raced.set('DOCKER-USER', [`-i bth+ -j ${EGRESS_CHAIN}`, ...once.get('DOCKER-USER')!]);
    raced.set(EGRESS_CHAIN, [`-i ${A} -g ${networkChain(A)}`, ...once.get(EGRESS_CHAIN)!]);
    const repaired = applyLines(raced, planRules(raced, plan));
    expect(repaired.get(EGRESS_CHAIN)).toEqual([`-i ${A} -g ${networkChain(A)}`, '-j DROP']);
    expect(repaired.get('DOCKER-USER')!.filter((r) => r.includes(EGRESS_CHAIN))).toHaveLength(1);
    expect(repaired.get(networkChain(A))).toEqual(['-j DROP']);
  });

  it('never leaves a jump or goto out when two processes repair the same duplicates from one listing', () => {
    const plan = { ...nothing, networks: [{ bridge: A, policy: { mode: 'none' as const } }] };
    const once = applyLines(parseListing(HOST), planRules(parseListing(HOST), plan));
    const raced = new Map(once);
    raced.set('DOCKER-USER', [`-i bth+ -j ${EGRESS_CHAIN}`, ...once.get('DOCKER-USER')!]);
    raced.set(EGRESS_CHAIN, [`-i ${A} -g ${networkChain(A)}`, ...once.get(EGRESS_CHAIN)!]);
    // Both read the raced listing; one applies first, then the other's (now stale) batch.
    const [first, second] = [planRules(raced, plan), planRules(raced, plan)];
    const afterFirst = applyLines(raced, first);
    const afterBoth = (() => {
      try {
        return applyLines(afterFirst, second);
      } catch {
        return afterFirst; // the stale batch fails whole: iptables-restore applies nothing of it
      }
    })();
    for (const state of [afterFirst, afterBoth]) {
      expect(state.get('DOCKER-USER')!.filter((r) => r === `-i bth+ -j ${EGRESS_CHAIN}`)).toHaveLength(1);
      expect(state.get(EGRESS_CHAIN)!.filter((r) => r === `-i ${A} -g ${networkChain(A)}`)).toHaveLength(1);
    }
  });

  it('rewrites a network chain whole in one step when its rules differ, and removes chains and gotos of bridges that are gone', () => {
    const withBoth = applyLines(parseListing(HOST), planRules(parseListing(HOST), { ...nothing, networks: [A, B].map((bridge) => ({ bridge, policy: { mode: 'none' as const } })) }));
    const lines = planRules(withBoth, { ...nothing, networks: [{ bridge: A, policy: { mode: 'allowlist', allow: ['10.9.0.0/16'] } }], gone: (b) => b === B });
    expect(lines).toContain(`:${networkChain(A)} - [0:0]`);
    const after = applyLines(withBoth, lines);
    expect(after.get(networkChain(A))).toEqual([`-o ${A} -j RETURN`, '-o bth+ -j DROP', '-d 10.9.0.0/16 -j RETURN', '-j DROP']);
    expect(after.has(networkChain(B))).toBe(false);
    expect(after.get(EGRESS_CHAIN)).toEqual([`-i ${A} -g ${networkChain(A)}`, '-j DROP']);
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

  it('refuses to plan on a host without Docker\'s chains', () => {
    expect(() => planRules(parseListing('-P INPUT ACCEPT'), nothing)).toThrow(/DOCKER-USER/);
  });

  it('reads IPv4 nameservers from resolv.conf, leaving loopback ones out', () => {
    expect(parseResolvers('# x\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nnameserver fd00::1\noptions edns0\nnameserver 1.1.1.1\n')).toEqual(['10.0.0.2', '1.1.1.1']);
  });
});
