import type { Organization } from '@berth/contracts';

/**
 * What the signed-in user may change in an organization, from their role in
 * it. The server decides; this only keeps controls it would refuse out of sight.
 * Mirrors the policy: owners and admins manage members, teams and invitations;
 * owners alone suspend, delete, and make or unmake owners.
 */
export interface OrgPowers {
  manage: boolean;
  own: boolean;
}

export function orgPowers(org: Pick<Organization, 'role'>): OrgPowers {
  return { manage: org.role === 'owner' || org.role === 'admin', own: org.role === 'owner' };
}
