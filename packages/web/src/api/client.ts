import type { FieldError, Problem } from '@berth/contracts';
import { currentOrg, ORG_HEADER, setCurrentOrg } from './org.js';

/** An API refusal, with the problem+json Berth sent. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail || problem.title);
  }

  /** Field errors by field path without its "body." prefix, for showing next to inputs. */
  fieldErrors(): Record<string, string> {
    return Object.fromEntries((this.problem.errors ?? []).map((e: FieldError) => [e.field.replace(/^(body|query|params)\./, ''), e.message]));
  }
}

type Json = Record<string, unknown> | unknown[];

/**
 * Same-origin fetch with the session cookie, in the organization chosen in the
 * header's switcher; throws ApiError for any 4xx/5xx. An organization the user
 * no longer belongs to is forgotten and the call made again in their own.
 */
export async function api<T>(path: string, init: { method?: string; body?: Json | string | Blob; headers?: Record<string, string> } = {}): Promise<T> {
  const isJson = init.body !== undefined && typeof init.body === 'object' && !(init.body instanceof Blob);
  const org = currentOrg();
  const res = await fetch(`/api/v1${path}`, {
    method: init.method ?? 'GET',
    credentials: 'same-origin',
    headers: { ...(isJson ? { 'content-type': 'application/json' } : {}), ...(org ? { [ORG_HEADER]: org } : {}), ...init.headers },
    body: isJson ? JSON.stringify(init.body) : (init.body as BodyInit | undefined),
  });
  // A 404 about another organization named in the path (its settings page, say) says nothing of the one acted in.
  const named = /^\/orgs\/([^/?]+)/.exec(path)?.[1];
  const aboutActing = named === undefined || decodeURIComponent(named) === org;
  if (org && aboutActing && res.status === 404 && (await res.clone().json().catch(() => null))?.detail === 'Organization was not found') {
    setCurrentOrg(null);
    return api<T>(path, init);
  }
  if (!res.ok) {
    const problem = res.headers.get('content-type')?.includes('json')
      ? ((await res.json()) as Problem)
      : { type: 'about:blank', title: res.statusText, status: res.status, detail: res.statusText, code: 'unknown' };
    throw new ApiError(res.status, problem);
  }
  if (res.status === 204) return undefined as T;
  return (res.headers.get('content-type')?.includes('json') ? res.json() : res.text()) as Promise<T>;
}

/** ws(s)://same-host URL for an API WebSocket path. */
export function wsUrl(path: string): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1${path}`;
}
