import { ApiError, createClient } from '@berth/client';
import { currentOrg, ORG_HEADER, setCurrentOrg } from './org.js';

export { ApiError };

/**
 * The typed client (@berth/client) as the web app uses it: same origin, the
 * session cookie, and the organization chosen in the header's switcher.
 */
export const berth = createClient({
  baseUrl: '',
  credentials: 'same-origin',
  headers: (): Record<string, string> => {
    const org = currentOrg();
    return org ? { [ORG_HEADER]: org } : {};
  },
});

type Json = Record<string, unknown> | unknown[];

/**
 * A URL path with every interpolated parameter percent-encoded:
 * urlPath`/environments/${id}/ports/${port}`. Every path built from values goes through it.
 */
export function urlPath(parts: TemplateStringsArray, ...params: (string | number)[]): string {
  return parts.reduce((path, part, i) => path + encodeURIComponent(params[i - 1]!) + part);
}

/** The same-origin URL of an API path, for links and downloads the browser fetches itself. */
export const apiUrl = (path: string) => `/api/v1${path}`;

/**
 * Same-origin fetch with the session cookie, in the organization chosen in the
 * header's switcher; throws ApiError for any 4xx/5xx. An organization the user
 * no longer belongs to is forgotten and the call made again in their own.
 */
export async function api<T>(path: string, init: { method?: string; body?: Json | string | Blob; headers?: Record<string, string> } = {}): Promise<T> {
  const isJson = init.body !== undefined && typeof init.body === 'object' && !(init.body instanceof Blob);
  const acting = currentOrg();
  let res: Response;
  try {
    res = await berth.send(init.method ?? 'GET', apiUrl(path), {
      headers: { ...(isJson ? { 'content-type': 'application/json' } : {}), ...init.headers },
      body: isJson ? JSON.stringify(init.body) : (init.body as BodyInit | undefined),
    });
  } catch (err) {
    // A 404 about another organization named in the path (its settings page, say) says nothing of the one acted in.
    const named = /^\/orgs\/([^/?]+)/.exec(path)?.[1];
    const aboutActing = named === undefined || decodeURIComponent(named) === acting;
    if (acting && aboutActing && err instanceof ApiError && err.status === 404 && err.problem?.detail === 'Organization was not found') {
      setCurrentOrg(null);
      return api<T>(path, init);
    }
    throw err;
  }
  if (res.status === 204) return undefined as T;
  return (res.headers.get('content-type')?.includes('json') ? res.json() : res.text()) as Promise<T>;
}

/** ws(s)://same-host URL for an API WebSocket path. */
export function wsUrl(path: string): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${apiUrl(path)}`;
}
