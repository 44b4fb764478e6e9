import type { OrgRole, TokenScope } from '@berth/contracts';

/** Who is acting: resolved once per request by the auth plugin. */
export interface Actor {
  id: string;
  username: string;
  isAdmin: boolean;
  /**
   * The organization the caller acts in (what it creates goes there): a token's
   * own, or for a session the one named by the `Berth-Org` header, else the
   * user's personal one. With the caller's role there, read at every request.
   */
  orgId: string;
  orgRole: OrgRole;
  /** How the caller proved who they are; tokens and sessions are revoked differently. */
  via: 'session' | 'token';
  credentialId: string;
  /** The most the credential may do (a session: admin, its user's role being the limit). */
  scope: TokenScope;
}

/**
 * Passed explicitly from a route to a service, so everything a mutation needs
 * for its audit row travels with it and no service reaches for the request.
 */
export interface RequestContext {
  actor: Actor | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string;
}

/** Narrows a context whose route required a signed-in caller. */
export function requireActor(ctx: RequestContext): Actor {
  if (!ctx.actor) throw new Error('route reached a service without an authenticated actor');
  return ctx.actor;
}
