import type { CreatedInvitation, CreateInvitationBody, CreateOrgBody, Invitation, Member, Organization, OrgRole, Share, Team } from '@berth/contracts';
import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { api, urlPath } from '../../api/client.js';
import { queryKeys } from '../../api/query-keys.js';

/** Query hooks of one organization's settings. Keys live under ['org', slug], so one invalidation refreshes the page. */

type Items<T> = { items: T[] };
const UNSETTLED = new Set<Organization['status']>(['provisioning', 'deleting']);
const path = (slug: string) => urlPath`/orgs/${slug}`;
const orgKeys = queryKeys.org;

/** Every change is audited, and teams list their members: refresh the whole organization. */
const refreshOrg = (client: QueryClient, slug: string) => client.invalidateQueries({ queryKey: orgKeys.all(slug) });

export function useOrg(slug: string) {
  return useQuery({
    queryKey: orgKeys.self(slug),
    queryFn: () => api<Organization>(path(slug)),
    retry: false,
    // Provisioning and deleting are done in the background: look again until it settles.
    refetchInterval: (query) => (query.state.data && UNSETTLED.has(query.state.data.status) ? 2000 : false),
  });
}

export function useCreateOrg() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateOrgBody) => api<Organization>('/orgs', { method: 'POST', body }),
    onSuccess: () => client.invalidateQueries({ queryKey: queryKeys.orgs }),
  });
}

export type OrgLifecycleOp = 'suspend' | 'reactivate' | 'delete';

export function useOrgLifecycle(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (op: OrgLifecycleOp) => (op === 'delete' ? api<Organization>(path(slug), { method: 'DELETE' }) : api<Organization>(`${path(slug)}/${op}`, { method: 'POST' })),
    onSuccess: (org) => {
      client.setQueryData(orgKeys.self(slug), org);
      void client.invalidateQueries({ queryKey: queryKeys.orgs });
    },
  });
}

export function useMembers(slug: string) {
  return useQuery({ queryKey: orgKeys.members(slug), queryFn: async () => (await api<Items<Member>>(`${path(slug)}/members`)).items, retry: false });
}

export function useSetRole(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ username, role }: { username: string; role: OrgRole }) =>
      api<Member>(urlPath`/orgs/${slug}/members/${username}`, { method: 'PATCH', body: { role } }),
    onSuccess: () => refreshOrg(client, slug),
  });
}

export function useRemoveMember(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (username: string) => api<void>(urlPath`/orgs/${slug}/members/${username}`, { method: 'DELETE' }),
    onSuccess: () => refreshOrg(client, slug),
  });
}

/** Open invitations (owners and admins only). */
export function useInvitations(slug: string) {
  return useQuery({ queryKey: orgKeys.invitations(slug), queryFn: async () => (await api<Items<Invitation>>(`${path(slug)}/invitations`)).items, retry: false });
}

export function useInvite(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Partial<CreateInvitationBody>) => api<CreatedInvitation>(`${path(slug)}/invitations`, { method: 'POST', body }),
    onSuccess: () => refreshOrg(client, slug),
  });
}

export function useRevokeInvitation(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api<void>(urlPath`/orgs/${slug}/invitations/${id}`, { method: 'DELETE' }),
    onSuccess: () => refreshOrg(client, slug),
  });
}

/** Invitations waiting for the signed-in user. */
export function useMyInvitations() {
  return useQuery({ queryKey: queryKeys.myInvitations, queryFn: async () => (await api<Items<Invitation>>('/invitations')).items });
}

/** Accepts an invitation made for the caller (`id`) or a link's secret (`token`); answers the organization joined. */
export function useAcceptInvitation() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (by: { id: string } | { token: string }) =>
      'id' in by
        ? api<Organization>(urlPath`/invitations/${by.id}/accept`, { method: 'POST' })
        : api<Organization>('/invitations/accept', { method: 'POST', body: { token: by.token } }),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: queryKeys.myInvitations });
      void client.invalidateQueries({ queryKey: queryKeys.orgs });
    },
  });
}

export function useTeams(slug: string) {
  return useQuery({ queryKey: orgKeys.teams(slug), queryFn: async () => (await api<Items<Team>>(`${path(slug)}/teams`)).items, retry: false });
}

export function useCreateTeam(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { slug: string; name: string }) => api<Team>(`${path(slug)}/teams`, { method: 'POST', body }),
    onSuccess: () => refreshOrg(client, slug),
  });
}

export function useDeleteTeam(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (team: string) => api<void>(urlPath`/orgs/${slug}/teams/${team}`, { method: 'DELETE' }),
    onSuccess: () => refreshOrg(client, slug),
  });
}

export function useSetTeamMember(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ team, username, role }: { team: string; username: string; role: 'maintainer' | 'member' }) =>
      api<Team>(urlPath`/orgs/${slug}/teams/${team}/members/${username}`, { method: 'PUT', body: { role } }),
    onSuccess: () => refreshOrg(client, slug),
  });
}

export function useRemoveTeamMember(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ team, username }: { team: string; username: string }) =>
      api<void>(urlPath`/orgs/${slug}/teams/${team}/members/${username}`, { method: 'DELETE' }),
    onSuccess: () => refreshOrg(client, slug),
  });
}

/** The teams an environment is shared with; teams not listed have no share. */
export function useShares(envId: string) {
  return useQuery({ queryKey: queryKeys.shares(envId), queryFn: async () => (await api<Items<Share>>(urlPath`/environments/${envId}/shares`)).items });
}

/** Sets a team's level on the environment, or (level null) stops sharing it with the team. */
export function useSetShare(envId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ teamId, level }: { teamId: string; level: Share['level'] | null }) => {
      if (level) return (await api<Items<Share>>(urlPath`/environments/${envId}/shares/${teamId}`, { method: 'PUT', body: { level } })).items;
      await api<void>(urlPath`/environments/${envId}/shares/${teamId}`, { method: 'DELETE' });
      return undefined;
    },
    onSuccess: (items) => (items ? client.setQueryData(queryKeys.shares(envId), items) : client.invalidateQueries({ queryKey: queryKeys.shares(envId) })),
  });
}
