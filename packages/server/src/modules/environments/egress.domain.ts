import { createHash } from 'node:crypto';
import type { EgressMode } from '@berth/contracts';
import type { EgressPolicy, NetworkSpec } from '../../runtime/driver.js';

/** `a.b.c.d/n` (already checked by the contract) with its host bits cleared, so what is stored is what is enforced. */
export function normaliseCidr(cidr: string): string {
  const [address = '', bits = '32'] = cidr.split('/');
  const prefix = Number(bits);
  const value = address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const size = 2 ** (32 - prefix);
  const network = Math.floor(value / size) * size;
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256);
  return `${octets.join('.')}/${prefix}`;
}

/** The allowlist as stored: normalised, without duplicates, sorted, so equal lists compare equal. */
export function normaliseAllow(cidrs: readonly string[] | undefined): string[] {
  return [...new Set((cidrs ?? []).map(normaliseCidr))].sort();
}

export const egressPolicy = (mode: EgressMode, allow: readonly string[]): EgressPolicy =>
  mode === 'allowlist' ? { mode, allow: [...allow] } : { mode };

interface NetworkedEnvironment {
  id: string;
  /** Null in a warm pool: the environment waits on a network of its own. */
  ownerId: string | null;
  origin: 'berth' | 'e2b';
  egress: EgressMode;
  egressAllow: readonly string[];
}

/**
 * The network an environment joins. An owner's dev environments on `internet` share one network, so
 * they reach each other as before. Everything else has a network of its own: an E2B sandbox runs
 * agent code and never sits beside its owner's dev environments; `none` and `allowlist` carry rules
 * of their own; an unclaimed environment of a warm pool waits alone (a claim by an E2B sandbox on
 * `internet` keeps that network, so it moves nowhere). The key names the policy (an allowlist by a digest of its CIDRs) because a
 * network's policy never changes: a new policy is a new network.
 */
export function networkFor(env: NetworkedEnvironment): NetworkSpec {
  const egress = egressPolicy(env.egress, env.egressAllow);
  if (env.egress === 'internet' && env.origin === 'berth' && env.ownerId) {
    return { key: `owner-${env.ownerId}-internet`, ownerId: env.ownerId, environmentId: null, egress };
  }
  const digest = env.egress === 'allowlist' ? `-${createHash('sha256').update(normaliseAllow(env.egressAllow).join(',')).digest('hex').slice(0, 10)}` : '';
  return { key: `env-${env.id}-${env.egress}${digest}`, ownerId: env.ownerId, environmentId: env.id, egress };
}

/**
 * Why moving an environment from `current` to `next` is an administrator's decision, or null
 * when its owner may. Owners choose between `internet` and `none`; an allowlist is an
 * administrator's, so its environment leaves it only for `none` (which takes away, never adds).
 */
export function egressChangeNeedsAdmin(current: EgressMode, next: EgressMode): string | null {
  if (next === 'allowlist') return 'Only administrators set an egress allowlist';
  if (current === 'allowlist' && next !== 'none') return 'An administrator set this environment\'s allowlist; only an administrator opens it to the internet';
  return null;
}
