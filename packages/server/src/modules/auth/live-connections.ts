import { z } from 'zod';
import type { Actor } from '../../context.js';
import { AppError, UnauthorizedError } from '../../errors.js';

/**
 * Who holds a live connection. `via`/`credentialId` name the session or API
 * token it was opened with; connections opened on a user's behalf by other
 * means (an E2B access token, which stands for the sandbox's owner) have none,
 * and end only with the user.
 */
export interface Principal {
  userId: string;
  via?: 'session' | 'token';
  credentialId?: string;
}

/** The principal of a request's caller: the user and the session or token they came with. */
export const principalOf = (actor: Actor): Principal => ({ userId: actor.id, via: actor.via, credentialId: actor.credentialId });

/** What stopped being valid. Every revocation names its user, so lookups stay per user. */
export const RevocationSchema = z.discriminatedUnion('scope', [
  /** The user was deactivated (or lost rights they opened connections with). */
  z.strictObject({ scope: z.literal('user'), userId: z.uuid() }),
  /** Their sessions ended (a new password), but perhaps the one that asked for it. */
  z.strictObject({ scope: z.literal('sessions'), userId: z.uuid(), except: z.uuid().optional() }),
  /** All their API tokens were revoked. */
  z.strictObject({ scope: z.literal('tokens'), userId: z.uuid() }),
  /** One session (signed out) or one token (revoked). */
  z.strictObject({ scope: z.literal('credential'), userId: z.uuid(), credentialId: z.uuid() }),
]);
export type Revocation = z.infer<typeof RevocationSchema>;

/** Whether a revocation ends what this principal opened. */
export function revokes(r: Revocation, p: Principal): boolean {
  if (r.userId !== p.userId) return false;
  switch (r.scope) {
    case 'user':
      return true;
    case 'sessions':
      return p.via === 'session' && p.credentialId !== r.except;
    case 'tokens':
      return p.via === 'token';
    case 'credential':
      return p.credentialId === r.credentialId;
  }
}

/** WebSockets count against the per-user cap; HTTP streams (E2B processes) have caps of their own. */
export type ConnectionKind = 'socket' | 'stream';

interface Entry {
  principal: Principal;
  kind: ConnectionKind;
  close: () => void;
}

/**
 * A connection authenticated before a revocation was applied, but registered
 * after it, would otherwise slip through: revocations are remembered this long
 * and `open` checks them against the moment the request was authenticated.
 */
const REMEMBER_MS = 60_000;
const REMEMBER_MAX = 10_000;

/**
 * The live connections of this process (WebSockets, long HTTP streams), each
 * with who opened it and how to end it. Revoking a principal ends its
 * connections at once; the per-user WebSocket cap is counted here too.
 */
export function createLiveConnections({ maxSocketsPerUser }: { maxSocketsPerUser: number }) {
  const byUser = new Map<string, Set<Entry>>();
  let seq = 0;
  const recent: { seq: number; at: number; revocation: Revocation }[] = [];

  const socketsOf = (userId: string) => [...(byUser.get(userId) ?? [])].filter((e) => e.kind === 'socket').length;

  /**
   * Registers a connection; returns the function that unregisters it (call it
   * when the connection ends, however it ends). Refuses a WebSocket over the
   * cap, and anything whose credentials were revoked after `since` (an `epoch()`
   * taken before the request was authenticated).
   */
  function open(principal: Principal, kind: ConnectionKind, close: () => void, since?: number): () => void {
    if (since !== undefined && recent.some((r) => r.seq > since && revokes(r.revocation, principal))) {
      throw new UnauthorizedError('These credentials were revoked');
    }
    if (kind === 'socket' && socketsOf(principal.userId) >= maxSocketsPerUser) {
      throw new AppError('socket_limit', `A user may have ${maxSocketsPerUser} WebSockets open; close one first`);
    }
    const entry: Entry = { principal, kind, close };
    let entries = byUser.get(principal.userId);
    if (!entries) byUser.set(principal.userId, (entries = new Set()));
    entries.add(entry);
    return () => {
      const current = byUser.get(principal.userId);
      if (!current?.delete(entry)) return;
      if (current.size === 0) byUser.delete(principal.userId);
    };
  }

  /** Ends every connection the revocation covers; returns how many. */
  function revoke(revocation: Revocation): number {
    seq += 1;
    const now = Date.now();
    recent.push({ seq, at: now, revocation });
    while (recent.length > REMEMBER_MAX || (recent.length > 0 && now - recent[0]!.at > REMEMBER_MS)) recent.shift();

    const entries = byUser.get(revocation.userId);
    if (!entries) return 0;
    const ending = [...entries].filter((e) => revokes(revocation, e.principal));
    for (const e of ending) entries.delete(e);
    if (entries.size === 0) byUser.delete(revocation.userId);
    for (const e of ending) {
      try {
        e.close();
      } catch {
        // One connection failing to close must not keep the others open; it is already forgotten.
      }
    }
    return ending.length;
  }

  return {
    open,
    revoke,
    /** A point in the sequence of revocations: take it before authenticating, pass it to `open`. */
    epoch: () => seq,
    /** Every principal holding a connection now (for re-checking them against the database). */
    principals: (): Principal[] => [...byUser.values()].flatMap((set) => [...set].map((e) => e.principal)),
    count: (userId: string, kind?: ConnectionKind) => [...(byUser.get(userId) ?? [])].filter((e) => !kind || e.kind === kind).length,
  };
}

export type LiveConnections = ReturnType<typeof createLiveConnections>;
