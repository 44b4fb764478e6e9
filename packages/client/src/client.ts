import { ROUTES, successStatuses, type RouteName, type RouteSpec } from '@berth/contracts';
import type { z } from 'zod';
import { ContractError, errorOf, UnreachableError } from './errors.js';

/** What fetch takes as a body and as credentials (named here so the package needs no DOM types). */
type Body = NonNullable<RequestInit['body']>;
type Credentials = RequestInit['credentials'];

type Spec<N extends RouteName> = (typeof ROUTES)[N];

/** The `{name}` segments of a path. */
type PathParams<P extends string> = P extends `${string}{${infer K}}${infer Rest}` ? K | PathParams<Rest> : never;
type ParamsOf<P extends string> = [PathParams<P>] extends [never] ? { params?: undefined } : { params: Record<PathParams<P>, string | number> };
type QueryOf<S> = S extends { query: z.ZodType } ? { query?: z.input<S['query']> } : { query?: undefined };
type BodyOf<S> = S extends { raw: 'body' | 'both' }
  ? { body: Body; contentType?: string }
  : S extends { body: z.ZodType }
    ? { body: z.input<S['body']> }
    : { body?: undefined };

/** What a call of route N takes: its path parameters, query and body, as the contracts type them. */
export type RouteInput<N extends RouteName> = ParamsOf<Spec<N>['path']> & QueryOf<Spec<N>> & BodyOf<Spec<N>> & { signal?: AbortSignal; headers?: Record<string, string> };
/** What it answers: the parsed, checked body; the raw Response for bytes; nothing for 204. */
export type RouteOutput<N extends RouteName> = Spec<N> extends { raw: 'response' | 'both' } ? Response : Spec<N> extends { response: z.ZodType } ? z.output<Spec<N>['response']> : void;

/** The input may be left out when nothing in it is required. */
type Args<N extends RouteName> = Record<string, never> extends RouteInput<N> ? [input?: RouteInput<N>] : [input: RouteInput<N>];

export interface ClientOptions {
  /** Where Berth is (`https://berth.example.com`); '' for the page's own origin in a browser. */
  baseUrl: string;
  /** An API token (`Authorization: Bearer`); without, requests carry whatever credentials fetch sends (a browser's cookie). */
  token?: string;
  /** The organization to act in (`Berth-Org`); a token acts in its own whatever this says. */
  org?: string;
  /** More headers, read at every request (a session cookie, a current organization that can change). */
  headers?: () => Record<string, string>;
  /** Another fetch (a test's, a proxy's); default the global one. */
  fetch?: typeof fetch;
  /** `include` or `same-origin` for cookie sessions in browsers. */
  credentials?: Credentials;
}

/** Fills a route's `{name}` segments, each encoded. */
export function fillPath(path: string, params: Record<string, string | number> = {}): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${path}: no value for {${name}}`);
    return encodeURIComponent(String(value));
  });
}

function withQuery(url: string, query: Record<string, unknown> | undefined): string {
  const entries = Object.entries(query ?? {}).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return url;
  const search = new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)]));
  return `${url}${url.includes('?') ? '&' : '?'}${search.toString()}`;
}

/**
 * The typed client of Berth's API: every route of the contracts' table by
 * name, its input typed, its answer checked against its schema; every refusal
 * an ApiError with the problem's code. Used by the web app, the CLI, the
 * tests and the bench, and by anyone scripting Berth from TypeScript.
 */
export function createClient(options: ClientOptions) {
  const doFetch = options.fetch ?? fetch;
  const base = options.baseUrl.replace(/\/+$/, '');

  function headersFor(extra: Record<string, string> = {}): Record<string, string> {
    return {
      accept: 'application/json, */*',
      ...(options.org ? { 'berth-org': options.org } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers?.(),
      ...extra,
    };
  }

  /** Any request to Berth with the client's credentials: throws ApiError for a non-2xx answer, UnreachableError when there is none. */
  async function send(method: string, path: string, init: { body?: Body; headers?: Record<string, string>; signal?: AbortSignal; duplex?: 'half' } = {}): Promise<Response> {
    const url = `${base}${path}`;
    let res: Response;
    try {
      res = await doFetch(url, { method, headers: headersFor(init.headers), body: init.body, signal: init.signal, credentials: options.credentials, ...(init.duplex ? { duplex: init.duplex } : {}) } as RequestInit);
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new UnreachableError(base || 'the server', err);
    }
    if (!res.ok) throw await errorOf(res);
    return res;
  }

  /** Calls a route of the table by name. */
  async function call<N extends RouteName>(name: N, ...[input]: Args<N>): Promise<RouteOutput<N>> {
    const spec = (ROUTES as Record<RouteName, RouteSpec>)[name];
    const given = ((input as unknown) ?? {}) as { params?: Record<string, string | number>; query?: Record<string, unknown>; body?: unknown; contentType?: string; signal?: AbortSignal; headers?: Record<string, string> };
    const path = withQuery(fillPath(spec.path, given.params), given.query);
    const rawBody = spec.raw === 'body' || spec.raw === 'both';
    const headers: Record<string, string> = { ...given.headers };
    let body: Body | undefined;
    if (rawBody) {
      body = given.body as Body;
      headers['content-type'] = given.contentType ?? 'application/octet-stream';
    } else if (given.body !== undefined) {
      body = JSON.stringify(given.body);
      headers['content-type'] = 'application/json';
    }
    const duplex = body instanceof ReadableStream ? 'half' : undefined;
    const res = await send(spec.method, path, { body, headers, signal: given.signal, duplex });
    if (!(successStatuses(spec) as readonly number[]).includes(res.status)) throw new ContractError(`${spec.method} ${spec.path}`, `answered ${res.status}, not ${successStatuses(spec).join(' or ')}`);
    if (spec.raw === 'response' || spec.raw === 'both') return res as RouteOutput<N>;
    if (!spec.response || res.status === 204) return undefined as RouteOutput<N>;
    const parsed = spec.response.safeParse(await res.json());
    if (!parsed.success) throw new ContractError(`${spec.method} ${spec.path}`, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    return parsed.data as RouteOutput<N>;
  }

  return { call, send, headers: headersFor, baseUrl: base };
}

export type BerthClient = ReturnType<typeof createClient>;
