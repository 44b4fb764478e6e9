import { hostnameOf } from '../previews/previews.domain.js';

interface Options {
  /** host[:port] from config (BERTH_APPS_DOMAIN); unset: `apps.localhost:<the port Berth listens on>`, which needs no DNS. */
  domain: string | undefined;
  scheme: 'http' | 'https';
  port: number;
}

/**
 * Where apps answer: `<name>-<org>.<apps domain>`, an origin that is never Berth's (nor a
 * preview's: preview hosts start with a port number, app names with a letter).
 */
export function createAppsAddress({ domain, scheme, port }: Options) {
  let listeningPort = port;
  const currentDomain = () => domain ?? `apps.localhost:${listeningPort}`;
  return {
    scheme,
    listening(actual: number): void {
      listeningPort = actual;
    },
    domain: currentDomain,
    /** The app host label a Host header names (`<label>.<domain>`, one label deep), if it names one. */
    labelOf(host: string | undefined): string | undefined {
      if (host === undefined) return undefined;
      const suffix = `.${hostnameOf(currentDomain())}`;
      const name = hostnameOf(host);
      if (!name.endsWith(suffix)) return undefined;
      const label = name.slice(0, -suffix.length);
      return /^[a-z0-9-]+$/.test(label) ? label : undefined;
    },
    /** Whether a Host header is under the apps domain at all: there only the apps proxy answers. */
    isAppHost(host: string | undefined): boolean {
      return host !== undefined && hostnameOf(host).endsWith(`.${hostnameOf(currentDomain())}`);
    },
    url: (label: string): string => `${scheme}://${label}.${currentDomain()}`,
  };
}

export type AppsAddress = ReturnType<typeof createAppsAddress>;
