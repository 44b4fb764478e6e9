import type { OrgQuota, UpdateOrgQuotaBody } from '@berth/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, urlPath } from '../../api/client.js';
import { queryKeys } from '../../api/query-keys.js';

const quotaPath = (slug: string) => urlPath`/orgs/${slug}/quota`;

/** The organization's quota: its credit pool and limits, within the ceiling the instance admin set. */
export function useOrgQuota(slug: string) {
  return useQuery({ queryKey: queryKeys.org.quota(slug), queryFn: () => api<OrgQuota>(quotaPath(slug)), retry: false });
}

export function useUpdateOrgQuota(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: UpdateOrgQuotaBody) => api<OrgQuota>(quotaPath(slug), { method: 'PATCH', body }),
    onSuccess: (quota) => {
      client.setQueryData(queryKeys.org.quota(slug), quota);
      // Changes are audited, and what members may start follows the quota.
      void client.invalidateQueries({ queryKey: queryKeys.org.audit(slug) });
      void client.invalidateQueries({ queryKey: queryKeys.me });
    },
  });
}
