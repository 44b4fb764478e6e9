import type { OrgQuota, UpdateOrgQuotaBody } from '@berth/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.js';
import { orgKeys } from './orgs.queries.js';

const quotaPath = (slug: string) => `/orgs/${encodeURIComponent(slug)}/quota`;

/** The organization's quota: its credit pool and limits, within the ceiling the instance admin set. */
export function useOrgQuota(slug: string) {
  return useQuery({ queryKey: orgKeys.quota(slug), queryFn: () => api<OrgQuota>(quotaPath(slug)), retry: false });
}

export function useUpdateOrgQuota(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: UpdateOrgQuotaBody) => api<OrgQuota>(quotaPath(slug), { method: 'PATCH', body }),
    onSuccess: (quota) => {
      client.setQueryData(orgKeys.quota(slug), quota);
      // Changes are audited, and what members may start follows the quota.
      void client.invalidateQueries({ queryKey: orgKeys.audit(slug) });
      void client.invalidateQueries({ queryKey: ['me'] });
    },
  });
}
