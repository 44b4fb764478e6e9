import type { Actor } from '../../context.js';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../../errors.js';

/** Everything that is not simply "a signed-in user acting on their own things". */
export type AdminAction = 'users.manage' | 'config.manage' | 'audit.read' | 'machine-types.manage' | 'environments.all' | 'templates.publish' | 'metrics.read';

/** A resource with an owner: what the caller may touch if it is theirs. */
export interface Owned {
  ownerId: string;
}

/**
 * The one authorization function. Admin actions need an admin (403 otherwise);
 * an owned resource is visible to its owner and to admins, and to anyone else
 * it does not exist (404), so ids cannot be probed.
 */
export function authorize(actor: Actor | null, action: AdminAction): Actor;
export function authorize(actor: Actor | null, action: 'own', resource: Owned | undefined, what: string): Actor;
export function authorize(actor: Actor | null, action: AdminAction | 'own', resource?: Owned, what = 'Resource'): Actor {
  if (!actor) throw new UnauthorizedError();
  if (action === 'own') {
    if (!resource || (resource.ownerId !== actor.id && !actor.isAdmin)) throw new NotFoundError(what);
    return actor;
  }
  if (!actor.isAdmin) throw new ForbiddenError('This needs an administrator');
  return actor;
}
