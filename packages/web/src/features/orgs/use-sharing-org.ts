import type { Environment, Organization } from '@berth/contracts';
import { useOrgs } from '../../api/orgs.queries.js';

/**
 * The organization the environment may be shared in, when the signed-in user may
 * share it with teams: they manage it, and its organization has others in it.
 */
export function useSharingOrg(env: Environment): Organization | null {
  const org = useOrgs().data?.items.find((o) => o.id === env.orgId);
  return env.access === 'manage' && org !== undefined && !org.personal ? org : null;
}
