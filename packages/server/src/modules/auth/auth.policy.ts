import { TOKEN_SCOPES, type OrgRole, type TokenScope } from '@berth/contracts';

/**
 * The policy table: which organization roles may take which action. Instance
 * admins may take every action; a caller who is not a member of the
 * organization cannot see it at all.
 */
export const ORG_POLICY = {
  /** See the organization, its members and teams. */
  'org.read': ['owner', 'admin', 'member', 'viewer'],
  /** Make environments, templates and tokens in it. */
  'org.create': ['owner', 'admin', 'member'],
  /** Members, teams, invitations, its audit trail. */
  'org.manage': ['owner', 'admin'],
  /** Suspend, reactivate, delete, and make or unmake owners. */
  'org.own': ['owner'],
} as const satisfies Record<string, readonly OrgRole[]>;

export type OrgAction = keyof typeof ORG_POLICY;

export const roleMay = (role: OrgRole, action: OrgAction): boolean => (ORG_POLICY[action] as readonly OrgRole[]).includes(role);

/** What one may do with an environment; each level includes the ones before it. */
export const ENVIRONMENT_LEVELS = ['view', 'use', 'manage'] as const;
export type EnvironmentLevel = (typeof ENVIRONMENT_LEVELS)[number];
/** view: status, events, stats. use: also terminal, files, exec, previews. manage: also lifecycle, egress, sharing, delete. */
export type ShareLevel = Extract<EnvironmentLevel, 'view' | 'use'>;

const rank = (level: EnvironmentLevel) => ENVIRONMENT_LEVELS.indexOf(level);
export const atLeast = (have: EnvironmentLevel, need: EnvironmentLevel): boolean => rank(have) >= rank(need);

export interface EnvironmentRelation {
  isInstanceAdmin: boolean;
  /** The caller's role in the environment's organization; undefined when not a member (or a token of another organization). */
  role: OrgRole | undefined;
  isCreator: boolean;
  /** The best level any of the caller's teams holds on it. */
  share: ShareLevel | undefined;
}

/**
 * How far a caller may go with an environment, or null when it does not exist
 * for them. Its creator and the organization's owners and admins manage it;
 * teams it is shared with view or use it; viewers see, never touch.
 */
export function environmentLevel({ isInstanceAdmin, role, isCreator, share }: EnvironmentRelation): EnvironmentLevel | null {
  if (isInstanceAdmin) return 'manage';
  if (!role) return null;
  if (role === 'owner' || role === 'admin') return 'manage';
  const granted: EnvironmentLevel | undefined = isCreator ? 'manage' : share;
  if (!granted) return null;
  return role === 'viewer' ? 'view' : granted;
}

/** Whether a credential of scope `have` may take a step that needs `need` (read < exec < admin). */
export const scopeAllows = (have: TokenScope, need: TokenScope): boolean => TOKEN_SCOPES.indexOf(have) >= TOKEN_SCOPES.indexOf(need);
