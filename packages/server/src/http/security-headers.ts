import type { App } from './types.js';

/**
 * The Content-Security-Policy of Berth's own pages. Scripts only from Berth's
 * origin, never inline; styles may be inline because CodeMirror and xterm.js
 * inject <style> elements and style attributes at run time (style cannot run
 * script). `connect-src 'self'` covers the ws:// and wss:// of our own host.
 * No framing (clickjacking), no plugins, no <base> rewriting, forms post home
 * and to `formTargets` only (the preview origins, where the grant form goes).
 */
export function contentSecurityPolicy(formTargets: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    ["form-action 'self'", ...formTargets].join(' '),
    "frame-ancestors 'none'",
  ].join('; ');
}

export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  // Browsers too old for frame-ancestors.
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  // Berth's URLs name environments and files: never tell another origin (a preview, a linked site)
  // where the user came from. Same-origin requests keep the Referer the CSRF check can fall back on.
  'referrer-policy': 'same-origin',
};

/**
 * Adds the security headers to every answer of this app (pages, API, problem
 * answers, static files) except routes with `config: { securityHeaders: false }`:
 * a user's app served through Berth (port previews) sets its own.
 */
export function registerSecurityHeaders(app: App, { formTargets }: { formTargets?: () => readonly string[] } = {}): void {
  app.addHook('onSend', async (request, reply) => {
    if (request.routeOptions.config?.securityHeaders === false) return;
    void reply.headers(SECURITY_HEADERS);
    if (formTargets) void reply.header('content-security-policy', contentSecurityPolicy(formTargets()));
  });
}
