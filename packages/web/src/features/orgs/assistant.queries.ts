import type { AssistantUsageRow, MemberAssistantBody } from '@berth/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, urlPath } from '../../api/client.js';
import { queryKeys } from '../../api/query-keys.js';

/** The organization's AI assistant: its usage per member and UTC day, and members' own daily limits. */

export function useOrgAssistantUsage(slug: string) {
  return useQuery({
    queryKey: queryKeys.org.assistantUsage(slug),
    queryFn: async () => (await api<{ items: AssistantUsageRow[] }>(`${urlPath`/orgs/${slug}/assistant/usage`}?days=30`)).items,
    retry: false,
  });
}

export function useSetMemberAssistant(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ username, usesPerDay }: { username: string } & MemberAssistantBody) =>
      api<{ username: string; usesPerDay: number | null }>(urlPath`/orgs/${slug}/members/${username}/assistant`, { method: 'PUT', body: { usesPerDay } }),
    // Audited: the log shows it.
    onSuccess: () => void client.invalidateQueries({ queryKey: queryKeys.org.audit(slug) }),
  });
}
