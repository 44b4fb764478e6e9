import type { CreateEnvironmentBody, Environment, EnvironmentStats, ListeningPort, MachineType, PortSharing, PortSharingResult } from '@berth/contracts';
import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { api, urlPath } from '../../api/client.js';
import { queryKeys } from '../../api/query-keys.js';

/** Query hooks of environments: the dashboard's list and one environment's IDE. */

const SETTLED = new Set<Environment['status']>(['running', 'stopped', 'error', 'deleted']);

export function useEnvironments() {
  return useQuery({
    queryKey: queryKeys.environments,
    queryFn: async () => (await api<{ items: Environment[] }>('/environments')).items,
  });
}

/** The machine types the caller may use; the admin console, where they change, asks for them fresh (`staleTime: 0`). */
export function useMachineTypes({ staleTime = 60_000 }: { staleTime?: number } = {}) {
  return useQuery({
    queryKey: queryKeys.machineTypes,
    queryFn: async () => (await api<{ items: MachineType[] }>('/machine-types')).items,
    staleTime,
  });
}

/** The environment; polled slowly while it converges, in case the event stream is down. */
export function useEnvironment(id: string) {
  return useQuery({
    queryKey: queryKeys.environment(id),
    queryFn: () => api<Environment>(urlPath`/environments/${id}`),
    refetchInterval: (query) => (query.state.data && !SETTLED.has(query.state.data.status) ? 4000 : false),
  });
}

/** Puts the environment the API just answered with into the cached list and its own entry at once. */
function remember(client: QueryClient, env: Environment) {
  client.setQueryData<Environment[]>(queryKeys.environments, (list) =>
    list ? (list.some((e) => e.id === env.id) ? list.map((e) => (e.id === env.id ? env : e)) : [env, ...list]) : list,
  );
  client.setQueryData<Environment>(queryKeys.environment(env.id), (cached) => (cached ? env : cached));
}

/** Credits in use follow the desired state, so the caller's quota changes with every intent. */
function refresh(client: QueryClient) {
  void client.invalidateQueries({ queryKey: queryKeys.environments });
  void client.invalidateQueries({ queryKey: queryKeys.me });
}

export function useCreateEnvironment() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateEnvironmentBody) => api<Environment>('/environments', { method: 'POST', body }),
    onSuccess: (env) => {
      remember(client, env);
      refresh(client);
    },
  });
}

export type LifecycleOp = 'start' | 'stop' | 'restart' | 'delete';

/** Start, stop, restart or delete, from the dashboard's card or the IDE's header; the list, the environment and the credits follow. */
export function useLifecycle(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (op: LifecycleOp) =>
      op === 'delete' ? api<Environment>(urlPath`/environments/${id}`, { method: 'DELETE' }) : api<Environment>(urlPath`/environments/${id}/${op}`, { method: 'POST' }),
    // Stop serving at the click, not at the answer: the server may be stopping the container before it replies,
    // and a files, stats or ports refetch in between would only earn a 409.
    onMutate: (op) => {
      if (op !== 'stop' && op !== 'restart') return;
      client.setQueryData<Environment>(queryKeys.environment(id), (env) => env && (op === 'stop' ? { ...env, desiredState: 'stopped' } : { ...env, status: 'stopping' }));
    },
    onSuccess: (env) => {
      remember(client, env);
      refresh(client);
    },
    // Exact: refetching stats or ports of an environment that was just asked to stop would only earn a 409.
    onError: () => client.invalidateQueries({ queryKey: queryKeys.environment(id), exact: true }),
  });
}

/** Whether the environment runs and is meant to: only then do stats, ports and files answer. */
export function useServing(id: string): boolean {
  const env = useEnvironment(id).data;
  return env?.status === 'running' && env.desiredState === 'running';
}

export function useStats(id: string) {
  const running = useServing(id);
  return useQuery({
    queryKey: queryKeys.environmentStats(id),
    queryFn: () => api<EnvironmentStats>(urlPath`/environments/${id}/stats`),
    enabled: running,
    refetchInterval: running ? 5000 : false,
    retry: false,
  });
}

export function usePorts(id: string) {
  const running = useServing(id);
  return useQuery({
    queryKey: queryKeys.environmentPorts(id),
    queryFn: () => api<{ items: ListeningPort[] }>(urlPath`/environments/${id}/ports`),
    enabled: running,
    refetchInterval: running ? 10_000 : false,
    retry: false,
  });
}

/** Changes who may open a port's preview; the list shows it at once. */
export function useSetSharing(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ port, sharing }: { port: number; sharing: PortSharing }) =>
      api<PortSharingResult>(urlPath`/environments/${id}/ports/${port}/sharing`, { method: 'PUT', body: { sharing } }),
    onSuccess: (changed) =>
      client.setQueryData<{ items: ListeningPort[] }>(queryKeys.environmentPorts(id), (list) =>
        list && { items: list.items.map((p) => (p.port === changed.port ? { ...p, sharing: changed.sharing } : p)) },
      ),
  });
}
