import type { Environment, Organization } from '@berth/contracts';
import { useQuery } from '@tanstack/react-query';
import { api } from './client.js';
import { useMe } from './session.js';

/** The caller's organizations, personal first, with their role in each. */
export function useOrgs() {
  return useQuery({ queryKey: ['orgs'], queryFn: () => api<{ items: Organization[] }>('/orgs') });
}

/**
 * Whether the signed-in user may start, stop, restart or delete the environment:
 * its creator, its organization's owners and admins, instance admins. (The
 * server decides; this only keeps buttons that would be refused out of sight.)
 */
export function useMayManage(env: Environment): boolean {
  const me = useMe().data;
  const role = useOrgs().data?.items.find((o) => o.id === env.orgId)?.role;
  if (!me) return false;
  return me.isAdmin || env.owner.id === me.id || role === 'owner' || role === 'admin';
}
