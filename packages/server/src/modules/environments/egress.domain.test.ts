import { describe, expect, it } from 'vitest';
import { egressChangeNeedsAdmin, networkFor, normaliseAllow, normaliseCidr } from './egress.domain.js';

const base = { id: 'e1', ownerId: 'u1', origin: 'berth' as const, egress: 'internet' as const, egressAllow: [] };

describe('egress domain', () => {
  it('clears host bits, drops duplicates and sorts an allowlist', () => {
    expect(normaliseCidr('10.1.2.3/8')).toBe('10.0.0.0/8');
    expect(normaliseCidr('192.168.7.9/32')).toBe('192.168.7.9/32');
    expect(normaliseCidr('255.255.255.255/0')).toBe('0.0.0.0/0');
    expect(normaliseAllow(['10.0.0.9/8', '1.2.3.4/32', '10.0.0.0/8'])).toEqual(['1.2.3.4/32', '10.0.0.0/8']);
  });

  it("puts an owner's internet dev environments on one network, and everything else on a network of its own", () => {
    const dev = networkFor(base);
    expect(networkFor({ ...base, id: 'e2' }).key).toBe(dev.key);
    expect(dev.environmentId).toBeNull();
    const sandbox = networkFor({ ...base, origin: 'e2b' });
    expect(sandbox.key).not.toBe(dev.key);
    expect(sandbox.environmentId).toBe('e1');
    expect(networkFor({ ...base, egress: 'none' }).key).not.toBe(dev.key);
  });

  it('gives a changed allowlist a different network, and an equal one (in another order) the same', () => {
    const a = networkFor({ ...base, egress: 'allowlist', egressAllow: ['10.0.0.0/8', '1.2.3.4/32'] });
    const same = networkFor({ ...base, egress: 'allowlist', egressAllow: ['1.2.3.4/32', '10.0.0.0/8'] });
    const other = networkFor({ ...base, egress: 'allowlist', egressAllow: ['10.0.0.0/8'] });
    expect(same.key).toBe(a.key);
    expect(other.key).not.toBe(a.key);
    expect(a.egress).toEqual({ mode: 'allowlist', allow: ['10.0.0.0/8', '1.2.3.4/32'] });
  });

  it('lets owners choose internet or none, keeps allowlists for administrators, and lets an owner only close an allowlist', () => {
    expect(egressChangeNeedsAdmin('internet', 'none')).toBeNull();
    expect(egressChangeNeedsAdmin('none', 'internet')).toBeNull();
    expect(egressChangeNeedsAdmin('internet', 'allowlist')).toMatch(/administrators/);
    expect(egressChangeNeedsAdmin('allowlist', 'internet')).toMatch(/administrator/);
    expect(egressChangeNeedsAdmin('allowlist', 'none')).toBeNull();
  });
});
