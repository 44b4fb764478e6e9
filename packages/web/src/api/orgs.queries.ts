import type { Organization } from '@berth/contracts';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router-dom';
import { api } from './client.js';
import { currentOrg, setCurrentOrg } from './org.js';
import { queryKeys } from './query-keys.js';

/** The caller's organizations, personal first, with their role in each. */
export function useOrgs() {
  return useQuery({ queryKey: queryKeys.orgs, queryFn: () => api<{ items: Organization[] }>('/orgs') });
}

/** The organization the app acts in: the one chosen in the header, else the personal one. */
export function useActingOrg(): Organization | undefined {
  const items = useOrgs().data?.items ?? [];
  return items.find((o) => o.slug === currentOrg()) ?? items.find((o) => o.personal);
}

/** Acts in another organization from now on: back to the dashboard (or `to`), everything fetched again there. */
export function useSwitchOrg() {
  const client = useQueryClient();
  const navigate = useNavigate();
  return (org: Pick<Organization, 'slug' | 'personal'> | null, { replace = false, to = '/' } = {}) => {
    setCurrentOrg(org && !org.personal ? org.slug : null);
    navigate(to, { replace });
    void client.resetQueries();
  };
}
