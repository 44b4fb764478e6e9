import type {
  AssistantUsageRow,
  AuditEntry,
  ConfigFlag,
  CreateMachineTypeBody,
  CreateUserBody,
  CreateWarmPoolBody,
  Environment,
  MachineType,
  Node,
  NodeList,
  Quota,
  UpdateMachineTypeBody,
  UpdateNodeBody,
  UpdateQuotaBody,
  UpdateUserBody,
  User,
  WarmPool,
} from '@berth/contracts';
import { keepPreviousData, useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { api, urlPath } from '../../api/client.js';
import { queryKeys } from '../../api/query-keys.js';

/** Query hooks for the admin console. Keys live under 'admin' so one invalidation refreshes the console; machine types are the app's own. */

type AuditPage = { items: AuditEntry[]; nextCursor: string | null };
type Items<T> = { items: T[] };

export interface AuditFilters {
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
}

const keys = queryKeys.admin;

/** Every change is audited, and users, quotas and types show up elsewhere in the app: refresh those too. */
function afterChange(client: QueryClient, ...extra: (readonly unknown[])[]) {
  for (const queryKey of [keys.audit, queryKeys.me, ...extra]) void client.invalidateQueries({ queryKey });
}

export function useUsers() {
  return useQuery({ queryKey: keys.users, queryFn: async () => (await api<Items<User>>('/users')).items });
}

export function useCreateUser() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateUserBody) => api<User>('/users', { method: 'POST', body }),
    onSuccess: () => afterChange(client, keys.users),
  });
}

export function useUpdateUser() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: UpdateUserBody }) => api<User>(urlPath`/users/${id}`, { method: 'PATCH', body }),
    onSuccess: (user) => {
      client.setQueryData<User[]>(keys.users, (old) => old?.map((u) => (u.id === user.id ? user : u)));
      afterChange(client, keys.users);
    },
  });
}

export function useQuota(userId: string) {
  return useQuery({ queryKey: keys.quota(userId), queryFn: () => api<Quota>(urlPath`/users/${userId}/quota`) });
}

export function useUpdateQuota(userId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: UpdateQuotaBody) => api<Quota>(urlPath`/users/${userId}/quota`, { method: 'PATCH', body }),
    onSuccess: (quota) => {
      client.setQueryData(keys.quota(userId), quota);
      // Deactivating a quota stops the user's environments.
      afterChange(client, keys.environments);
    },
  });
}

export function useSaveMachineType() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: { create: CreateMachineTypeBody } | { name: string; update: UpdateMachineTypeBody }) =>
      'create' in input
        ? api<MachineType>('/machine-types', { method: 'POST', body: input.create })
        : api<MachineType>(urlPath`/machine-types/${input.name}`, { method: 'PATCH', body: input.update }),
    onSuccess: () => afterChange(client, queryKeys.machineTypes),
  });
}

export function useDeleteMachineType() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => api<void>(urlPath`/machine-types/${name}`, { method: 'DELETE' }),
    onSettled: () => afterChange(client, queryKeys.machineTypes),
  });
}

export function useConfigFlags() {
  return useQuery({ queryKey: keys.config, queryFn: async () => (await api<Items<ConfigFlag>>('/config')).items });
}

export function useUpdateConfig() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ name, value }: { name: string; value: string }) => api<ConfigFlag>(urlPath`/config/${name}`, { method: 'PUT', body: { value } }),
    onSuccess: (flag) => {
      client.setQueryData<ConfigFlag[]>(keys.config, (old) => old?.map((f) => (f.name === flag.name ? flag : f)));
      afterChange(client);
    },
  });
}

/** Where an audit log is read: the instance's (admins) or one organization's (its owners and admins). */
export interface AuditSource {
  url: string;
  queryKey: readonly unknown[];
}
export const INSTANCE_AUDIT: AuditSource = { url: '/audit', queryKey: keys.audit };

export function useAuditPage(source: AuditSource, filters: AuditFilters, before: string | undefined, limit: number) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) if (value.trim()) params.set(name, value.trim());
  params.set('limit', String(limit));
  if (before) params.set('before', before);
  const query = params.toString();
  return useQuery({
    queryKey: [...source.queryKey, query],
    queryFn: () => api<AuditPage>(`${source.url}?${query}`),
    // Keep the current page on screen while the next one loads, so paging does not flash empty.
    placeholderData: keepPreviousData,
    retry: false,
  });
}

export function useAllEnvironments() {
  return useQuery({
    queryKey: keys.environments,
    queryFn: async () => (await api<Items<Environment>>('/environments?all=true')).items,
    refetchInterval: 10_000,
  });
}

/** The machines environments run on: polled while on screen, so a node going down shows. */
export function useNodes() {
  return useQuery({ queryKey: keys.nodes, queryFn: () => api<NodeList>('/nodes'), refetchInterval: 5_000 });
}

/** Drains, pauses or activates a swarm node, or sets its labels. */
export function useUpdateNode() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: UpdateNodeBody }) => api<Node>(urlPath`/nodes/${id}`, { method: 'PATCH', body }),
    onSuccess: () => afterChange(client, keys.nodes),
  });
}

/** How often the pools are asked for again while they are on screen: fast enough to watch one fill. */
const POOL_REFRESH_MS = 2_000;

/** Warm pools with their members counted (ready, building, failed, draining), polled while the section is open. */
export function useWarmPools() {
  return useQuery({
    queryKey: keys.pools,
    queryFn: async () => (await api<Items<WarmPool>>('/pools')).items,
    refetchInterval: POOL_REFRESH_MS,
  });
}

export function useCreateWarmPool() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateWarmPoolBody) => api<WarmPool>('/pools', { method: 'POST', body }),
    onSuccess: () => afterChange(client, keys.pools),
  });
}

/** A new size; the server also replaces the pool's failed environments. */
export function useResizeWarmPool() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, size }: { id: string; size: number }) => api<WarmPool>(urlPath`/pools/${id}`, { method: 'PATCH', body: { size } }),
    onSuccess: (pool) => {
      client.setQueryData<WarmPool[]>(keys.pools, (old) => old?.map((p) => (p.id === pool.id ? pool : p)));
      afterChange(client, keys.pools);
    },
  });
}

/** `onDeleted` hears of each pool deleted (the confirmation that runs this closes on its own). */
export function useDeleteWarmPool({ onDeleted }: { onDeleted?: (id: string) => void } = {}) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api<void>(urlPath`/pools/${id}`, { method: 'DELETE' }),
    onSuccess: (_, id) => onDeleted?.(id),
    onSettled: () => afterChange(client, keys.pools),
  });
}

/** AI assistant requests, tokens and cost per user and UTC day, over the last 30 days. */
export function useAssistantUsage() {
  return useQuery({ queryKey: keys.assistantUsage, queryFn: async () => (await api<Items<AssistantUsageRow>>('/assistant/usage?days=30')).items });
}
