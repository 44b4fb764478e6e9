/**
 * Listening TCP sockets from /proc/net/tcp and /proc/net/tcp6 text: state 0A is
 * LISTEN, the local address is hex "ADDR:PORT". Each port once, lowest first.
 */
export function listeningPorts(procNetTcp: string): { port: number; address: string }[] {
  const seen = new Map<number, string>();
  for (const line of procNetTcp.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4 || fields[3] !== '0A') continue;
    const [addr = '', portHex = ''] = fields[1]!.split(':');
    const port = parseInt(portHex, 16);
    const address = addr.length === 8 ? ipv4(addr) : addr === '0'.repeat(32) ? '::' : 'ipv6';
    // 127.0.0.11 is Docker's embedded DNS resolver, not something the user started.
    if (!Number.isFinite(port) || seen.has(port) || address === DOCKER_DNS) continue;
    seen.set(port, address);
  }
  return [...seen].sort(([a], [b]) => a - b).map(([port, address]) => ({ port, address }));
}

const DOCKER_DNS = '127.0.0.11';

/** /proc writes IPv4 addresses as little-endian hex. */
function ipv4(hex: string): string {
  return [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
}

/** Request headers never passed to the app inside: Berth's own credentials, and hop-by-hop ones. */
export const STRIPPED_HEADERS = new Set(['authorization', 'cookie', 'connection', 'keep-alive', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

/** The cookie header without Berth's session cookie (the app's own cookies pass through). */
export function appCookies(cookie: string | undefined, sessionCookie: string): string | undefined {
  if (!cookie) return undefined;
  const kept = cookie
    .split(';')
    .map((c) => c.trim())
    .filter((c) => c && !c.startsWith(`${sessionCookie}=`));
  return kept.length > 0 ? kept.join('; ') : undefined;
}
