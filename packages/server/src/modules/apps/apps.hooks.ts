import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { BLOCKED_CIDRS } from '../../runtime/docker/egress-rules.js';

/** Where a hook may not call: what an environment under `internet` cannot reach, and IPv6's own such ranges. */
const blocked = new net.BlockList();
for (const cidr of BLOCKED_CIDRS) {
  const [address, prefix] = cidr.split('/');
  blocked.addSubnet(address!, Number(prefix), 'ipv4');
}
blocked.addAddress('::', 'ipv6');
blocked.addAddress('::1', 'ipv6');
blocked.addSubnet('fc00::', 7, 'ipv6'); // unique local
blocked.addSubnet('fe80::', 10, 'ipv6'); // link-local
blocked.addSubnet('::ffff:0:0', 96, 'ipv6'); // IPv4-mapped: judged as IPv4 below

function isPublic(address: string, family: number): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return !blocked.check(mapped, 'ipv4');
  return !blocked.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * Whether every address a URL's host resolves to is public: a hook is Berth's machine calling
 * out, and must not reach its neighbours (its database, a cloud's metadata service) for a user.
 * Checked again right before each call, since a name can resolve elsewhere later.
 */
export async function publicTarget(url: string): Promise<boolean> {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return false;
  }
  const addresses = net.isIP(host) ? [{ address: host, family: net.isIP(host) }] : await lookup(host, { all: true }).catch(() => []);
  return addresses.length > 0 && addresses.every((a) => isPublic(a.address, a.family));
}

export interface HookNote {
  event: 'pre-deploy' | 'post-deploy';
  app: { id: string; name: string; url: string };
  release: { number: number; sourceRef: string | null };
}

/** POSTs the note to a hook's URL; the answer's status, or why there was none. */
export async function callHook(url: string, note: HookNote, opts: { allowLocal: boolean; timeoutMs: number }): Promise<{ ok: boolean; detail: string }> {
  if (!opts.allowLocal && !(await publicTarget(url))) return { ok: false, detail: `${new URL(url).host} is not a public address` };
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'berth-deploy-hook' },
      body: JSON.stringify(note),
      redirect: 'manual', // a redirect could lead anywhere, past the check above
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    await res.body?.cancel();
    return { ok: res.status >= 200 && res.status < 300, detail: `answered ${res.status}` };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
}
