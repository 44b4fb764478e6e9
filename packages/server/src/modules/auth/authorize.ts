import type { Actor } from '../../context.js';
import { AppError, ForbiddenError, NotFoundError, UnauthorizedError } from '../../errors.js';
import type { TokenScope } from '@berth/contracts';
import { atLeast, environmentLevel, roleMay, scopeAllows, type EnvironmentLevel, type EnvironmentRelation, type OrgAction } from './auth.policy.js';

/** Everything that is not simply "a signed-in user acting on their own things". */
export type AdminAction =
  | 'users.manage'
  | 'config.manage'
  | 'audit.read'
  | 'machine-types.manage'
  /** Set up warm pools of environments. */
  | 'pools.manage'
  /** See the machines environments run on; drain, pause or label them. */
  | 'nodes.manage'
  | 'environments.all'
  | 'templates.publish'
  | 'metrics.read'
  | 'orgs.ceiling'
  /** See every organization's AI assistant usage and cost. */
  | 'assistant.usage'
  /** See every organization, and every template. */
  | 'orgs.all'
  | 'templates.all'
  /** Name an image for an environment rather than take its machine type's. */
  | 'images.name'
  /** Give an environment an egress allowlist, or open one up. */
  | 'egress.allowlist';

/** Admin actions whose refusal has a code of its own; the rest are 403 forbidden. */
const ADMIN_REFUSALS: Partial<Record<AdminAction, () => AppError>> = {
  'images.name': () => new AppError('image_not_allowed', 'Only administrators name an image; pick a machine type'),
};

/** A resource with an owner: what the caller may touch if it is theirs. */
export interface Owned {
  ownerId: string;
}

/** An organization as the caller stands to it. */
export interface OrgStanding {
  /** The caller's role in it; undefined when not a member. */
  role: Actor['orgRole'] | undefined;
  status: string;
}

export type EnvironmentAction = `environment.${EnvironmentLevel}`;
/** A step that needs a credential of at least this scope (every route is one: http/authorization.ts). */
export type ScopeAction = `scope.${TokenScope}`;
export type EnvironmentStanding = Omit<EnvironmentRelation, 'isInstanceAdmin'>;

/**
 * The one authorization function, over the policy table (auth.policy.ts).
 *
 * - Admin actions need an instance admin (403 otherwise).
 * - An owned resource is visible to its owner and to admins.
 * - An organization action needs a role the table allows there (403), and
 *   membership at all (404); making things in a suspended organization is
 *   refused with 403 organization_suspended.
 * - An environment action needs at least that level on it (403), and any
 *   level at all (404).
 * - A scope action needs a token of at least that scope (403 token_scope);
 *   sessions have every scope, their user's role being their limit.
 *
 * Whatever the caller may not know exists answers 404, so ids cannot be probed.
 */
export function authorize(actor: Actor | null, action: AdminAction | ScopeAction): Actor;
export function authorize(actor: Actor | null, action: 'own', resource: Owned | undefined, what: string): Actor;
export function authorize(actor: Actor | null, action: OrgAction, org: OrgStanding | undefined): Actor;
export function authorize(actor: Actor | null, action: EnvironmentAction, env: EnvironmentStanding | undefined): Actor;
export function authorize(actor: Actor | null, action: AdminAction | ScopeAction | 'own' | OrgAction | EnvironmentAction, resource?: Owned | OrgStanding | EnvironmentStanding, what = 'Resource'): Actor {
  if (!actor) throw new UnauthorizedError();
  if (action === 'own') {
    const owned = resource as Owned | undefined;
    if (!owned || (owned.ownerId !== actor.id && !actor.isAdmin)) throw new NotFoundError(what);
    return actor;
  }
  if (action.startsWith('scope.')) {
    const need = action.slice('scope.'.length) as TokenScope;
    if (!scopeAllows(actor.scope, need)) throw new AppError('token_scope', `This token's scope is ${actor.scope}; this needs ${need}`);
    return actor;
  }
  if (action.startsWith('org.')) {
    const org = resource as OrgStanding | undefined;
    if (!org || (!org.role && !actor.isAdmin)) throw new NotFoundError('Organization');
    if (!actor.isAdmin && !roleMay(org.role!, action as OrgAction)) throw new ForbiddenError(`Your role in this organization (${org.role}) cannot do that`);
    if (action === 'org.create' && org.status === 'suspended') throw new AppError('organization_suspended', 'The organization is suspended: nothing new can be made in it');
    return actor;
  }
  if (action.startsWith('environment.')) {
    const env = resource as EnvironmentStanding | undefined;
    const level = env && environmentLevel({ ...env, isInstanceAdmin: actor.isAdmin });
    if (!level) throw new NotFoundError('Environment');
    const need = action.slice('environment.'.length) as EnvironmentLevel;
    if (!atLeast(level, need)) throw new ForbiddenError(`You have ${level} access to this environment; this needs ${need}`);
    return actor;
  }
  if (!actor.isAdmin) throw ADMIN_REFUSALS[action as AdminAction]?.() ?? new ForbiddenError('This needs an administrator');
  return actor;
}

/** Whether `authorize` lets the caller take an admin action: for what differs by it (what a list shows) rather than refuses. */
export function may(actor: Actor | null, action: AdminAction): boolean {
  try {
    authorize(actor, action);
    return true;
  } catch (err) {
    if (err instanceof AppError) return false;
    throw err;
  }
}
