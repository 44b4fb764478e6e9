import type { FastifyBaseLogger } from 'fastify';
import type { CaddyEdge } from '../../edge/caddy.js';
import type { EdgeRoute } from '../../edge/caddy.config.js';
import { hostnameOf } from '../previews/previews.domain.js';
import type { AppsAddress } from './apps.address.js';

/**
 * Puts Caddy in front of Berth's own app routing: every host under the apps domain goes to Berth
 * (which picks the app's current replicas, and moves traffic between releases atomically), and
 * Caddy brings TLS (on-demand certificates for app hosts only), HTTP/2 and an access log.
 *
 * Caddy's config does not change when an app deploys (only when a custom domain is added or removed), on purpose: Caddy 2.6 reloads a whole
 * config on every change and, its listeners being SO_REUSEPORT sockets replaced at each reload,
 * resets connections the kernel had queued on the old one (measured: a few requests in a switch
 * under load). With one route that never changes, a deploy reloads nothing.
 */
export function createEdgeSync(deps: { address: Pick<AppsAddress, 'domain'>; domains: () => Promise<string[]>; log: FastifyBaseLogger }) {
  let edge: CaddyEdge | undefined;
  let upstream: string | undefined;
  let applied = '';

  // Custom domains are named one by one: adding or removing one reloads Caddy (rare, an admin's act).
  async function routes(): Promise<EdgeRoute[]> {
    if (!upstream) return [];
    return [{ id: 'apps', hosts: [`*.${hostnameOf(deps.address.domain())}`, ...(await deps.domains())], upstreams: [upstream] }];
  }

  async function sync(): Promise<void> {
    if (!edge) return;
    const table = await routes();
    const key = JSON.stringify(table);
    if (key === applied) return;
    try {
      await edge.apply(table);
      applied = key;
    } catch (err) {
      deps.log.warn({ err }, 'could not bring the edge up to date; the next sync tries again');
    }
  }

  return {
    /** From now on, routes go to this edge (Berth started or reached it). */
    use(e: CaddyEdge | undefined): void {
      edge = e;
      applied = '';
    },
    /** Where Caddy reaches Berth: its listening address (a wildcard address is reached on loopback). */
    listening(host: string, port: number): void {
      const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
      upstream = `${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
    },
    sync,
  };
}

export type EdgeSync = ReturnType<typeof createEdgeSync>;
