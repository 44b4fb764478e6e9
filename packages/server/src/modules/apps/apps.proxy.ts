import type http from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../../db/client.js';
import { AppError, NotFoundError } from '../../errors.js';
import { proxyHttp } from '../../http/proxy.js';
import type { App } from '../../http/types.js';
import type { RuntimeDriver } from '../../runtime/driver.js';
import { appRequestHeaders, appResponseHeaders, hostnameOf } from '../previews/previews.domain.js';
import { BERTH_COOKIE_NAMES } from '../../http/auth.js';
import type { AppsAddress } from './apps.address.js';
import type { AppMetrics } from './apps.metrics.js';
import { replicaName } from './apps.domain.js';
import type { AppsRepo } from './apps.repo.js';

/** Hosts whose replicas the router remembers at most. */
const MAX_CACHED_HOSTS = 10_000;

/** Nothing answered at a replica's address. */
class Unreachable extends Error {}

type Strategy = Parameters<App['addConstraintStrategy']>[0];
type Handler = NonNullable<ReturnType<ReturnType<Strategy['storage']>['get']>>;

/** Where a host's requests go: its app (null: none), and that app's replicas' addresses. */
interface Upstreams {
  appId: string | null;
  endpoints: { host: string; port: number }[];
  /** Its organization is suspended: it has no endpoints, and says it is unavailable. */
  suspended: boolean;
  at: number;
}

interface Deps {
  db: Db;
  appsRepo: Pick<AppsRepo, 'byHost' | 'byDomain' | 'allDomains'>;
  runtime: Pick<RuntimeDriver, 'replicaEndpoint'>;
  address: Pick<AppsAddress, 'labelOf' | 'isAppHost'>;
  /** How long a host's upstreams are used before they are read again (a switch also forgets them at once here). */
  cacheMs: number;
}

/**
 * Berth's own edge for apps, `<name>-<org>.<apps domain>` and their custom domains: requests go to
 * a replica of the app's current release, round robin. What it knows of a host is kept for
 * `cacheMs` and forgotten at once when traffic moves (`forget`); a release that traffic left keeps
 * its replicas for the drain period, longer than that, so no request finds its replica gone.
 * Custom domains are known by name at once (`serves` decides before the request is read): the
 * list is read again when one changes here, and every `cacheMs * 5` for changes made elsewhere.
 */
export function createAppsRouter(deps: Deps) {
  const cache = new Map<string, Upstreams>();
  let customHosts = new Set<string>();
  let turn = 0;
  let timer: NodeJS.Timeout | undefined;

  async function refreshDomains(): Promise<void> {
    customHosts = new Set((await deps.appsRepo.allDomains(deps.db)).map((d) => d.host));
  }

  /** The app a Host header names (its label under the apps domain, or one of its custom domains), with its replicas' addresses. */
  async function upstreams(hostHeader: string): Promise<Upstreams> {
    const hostname = hostnameOf(hostHeader);
    const cached = cache.get(hostname);
    if (cached && Date.now() - cached.at < deps.cacheMs) return cached;
    const label = deps.address.labelOf(hostHeader);
    const app = label ? await deps.appsRepo.byHost(deps.db, label) : customHosts.has(hostname) ? await deps.appsRepo.byDomain(deps.db, hostname) : undefined;
    let endpoints: { host: string; port: number }[] = [];
    if (app?.currentReleaseId && !app.suspended) {
      const found = await Promise.all(Array.from({ length: app.replicas }, (_, i) => deps.runtime.replicaEndpoint(replicaName(app.currentReleaseId!, i), app.port).catch(() => null)));
      endpoints = found.filter((e): e is { host: string; port: number } => e !== null);
    }
    const entry = { endpoints, at: Date.now(), appId: app?.id ?? null, suspended: app?.suspended === true };
    // Only apps are remembered (any Host can be sent), and only so many: past the bound, it starts over.
    if (entry.appId) {
      if (cache.size >= MAX_CACHED_HOSTS) cache.clear();
      cache.set(hostname, entry);
    }
    return entry;
  }

  return {
    upstreams,
    /** Whether only the apps proxy answers this Host: one under the apps domain, or a custom domain. */
    serves: (host: string | undefined): boolean => host !== undefined && (deps.address.isAppHost(host) || customHosts.has(hostnameOf(host))),
    /** The custom domains changed (here): read them again. */
    domainsChanged: async (): Promise<void> => {
      await refreshDomains();
      cache.clear();
    },
    /** Traffic of this app moved: read its upstreams again at the next request. */
    forget(appId: string): void {
      for (const [hostname, entry] of cache) if (entry.appId === appId) cache.delete(hostname);
    },
    pick(endpoints: { host: string; port: number }[]): { host: string; port: number } | undefined {
      turn = (turn + 1) % Math.max(1, endpoints.length);
      return endpoints[turn];
    },
    async start(): Promise<void> {
      await refreshDomains();
      timer = setInterval(() => void refreshDomains().catch(() => undefined), deps.cacheMs * 5);
    },
    stop(): void {
      clearInterval(timer);
    },
  };
}

export type AppsRouter = ReturnType<typeof createAppsRouter>;

function appHostStrategy(isAppHost: (host: string | undefined) => boolean): Strategy {
  return {
    name: 'appHost',
    storage() {
      const handlers = new Map<unknown, Handler>();
      return { get: (value) => handlers.get(value) ?? null, set: (value, handler) => void handlers.set(value, handler) };
    },
    // As on preview hosts: on an app host only the app routes match, and they match nowhere else.
    deriveConstraint: (req) => (isAppHost(req.headers.host) ? 'yes' : (undefined as unknown as string)),
    mustMatchWhenDerived: true,
  };
}

/** The apps origin: every request relayed to the app, Berth's cookies neither sent on nor accepted back. */
export async function registerAppHosts(app: App, { router, metrics, connectTimeoutMs }: { router: AppsRouter; metrics: Pick<AppMetrics, 'record'>; connectTimeoutMs: number }): Promise<void> {
  app.addConstraintStrategy(appHostStrategy(router.serves));
  const common = { constraints: { appHost: 'yes' }, config: { userContent: true, securityHeaders: false as const }, schema: { hide: true } };
  await app.register(async (scope: App) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    const relay = async (request: FastifyRequest, reply: FastifyReply, target: { host: string; port: number }) => {
      const headers = appRequestHeaders(request.headers, BERTH_COOKIE_NAMES);
      headers['x-forwarded-host'] = request.headers.host;
      headers['x-forwarded-proto'] = request.protocol;
      headers['x-forwarded-for'] = request.ip;
      await proxyHttp(request, reply, { ...target, headers }, {
        connectTimeoutMs,
        unreachable: (why) => new Unreachable(why),
        responseHeaders: (h: http.IncomingHttpHeaders) => appResponseHeaders(h, BERTH_COOKIE_NAMES),
      });
    };
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const host = request.headers.host;
      const route = host ? await router.upstreams(host) : undefined;
      if (!route?.appId) throw new NotFoundError('App');
      // Its organization is suspended: nothing of it runs, and its visitors are told it is unavailable,
      // not that it is broken (nor why: an organization's standing is its own business).
      if (route.suspended) throw new AppError('app_unavailable', 'This app is unavailable');
      // What the app's visitors saw, failures included, once the answer is through (or cut off).
      const started = performance.now();
      const appId = route.appId;
      let recorded = false;
      const done = () => {
        if (!recorded) metrics.record(appId, reply.statusCode, performance.now() - started);
        recorded = true;
      };
      reply.raw.once('finish', done).once('close', done);
      let target = router.pick(route.endpoints);
      if (!target) throw new AppError('port_unreachable', 'The app has no release serving yet');
      try {
        await relay(request, reply, target);
      } catch (err) {
        if (!(err instanceof Unreachable)) throw err;
        // A replica gone since its address was read (another Berth moved traffic): a request without a
        // body is tried once more on what serves now; one with a body may have been partly sent.
        router.forget(route.appId);
        const now = await router.upstreams(host!);
        if (!now.appId) throw new NotFoundError('App'); // deleted meanwhile
        const fresh = request.method === 'GET' || request.method === 'HEAD' ? router.pick(now.endpoints) : undefined;
        if (!fresh || reply.sent) throw new AppError('port_unreachable', `The app did not answer (${err.message})`);
        target = fresh;
        await relay(request, reply, target).catch((e: unknown) => {
          throw e instanceof Unreachable ? new AppError('port_unreachable', `The app did not answer (${e.message})`) : e;
        });
      }
      return reply;
    };
    scope.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], url: '/*', ...common, handler });
    scope.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], url: '/', ...common, handler });
  });
}
