import { hostnameOf, parsePreviewHost, previewHost, previewZone, type PreviewTarget } from './previews.domain.js';

interface Options {
  /** host[:port] from config; unset: `localhost:<the port Berth listens on>`, which needs no DNS. */
  domain: string | undefined;
  scheme: 'http' | 'https';
  /** The configured listening port, until the server says which one it got (port 0 picks one). */
  port: number;
}

/**
 * Where previews live: `<port>-<environment id>.<domain>`. Routing reads the
 * host name only (a proxy in front may change the port); links carry the port.
 */
export function createPreviewAddress({ domain, scheme, port }: Options) {
  let listeningPort = port;
  let zone: { for: string; re: RegExp } | undefined;
  const currentDomain = () => domain ?? `localhost:${listeningPort}`;
  const currentZone = () => {
    const hostname = hostnameOf(currentDomain());
    if (zone?.for !== hostname) zone = { for: hostname, re: previewZone(hostname) };
    return zone.re;
  };

  return {
    scheme,
    /** Called once the server listens, so the default domain names the real port. */
    listening(actual: number): void {
      listeningPort = actual;
    },
    /** host[:port] under which previews live: E2B's sandbox `domain`. */
    domain: currentDomain,
    /** Whether a Host header is a preview host (well formed or not): only the preview proxy answers there. */
    isPreviewHost: (host: string | undefined): boolean => host !== undefined && currentZone().test(hostnameOf(host)),
    /** The port and environment a Host header names, if it names one. */
    target: (host: string | undefined): PreviewTarget | undefined => (host === undefined ? undefined : parsePreviewHost(hostnameOf(host), currentZone())),
    origin: (t: PreviewTarget): string => `${scheme}://${previewHost(currentDomain(), t)}`,
  };
}

export type PreviewAddress = ReturnType<typeof createPreviewAddress>;
