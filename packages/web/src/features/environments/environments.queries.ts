import type { CreateEnvironmentBody, Environment, MachineType } from '@berth/contracts';
import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.js';

export const environmentsKey = ['environments'] as const;

export function useEnvironments() {
  return useQuery({
    queryKey: environmentsKey,
    queryFn: async () => (await api<{ items: Environment[] }>('/environments')).items,
  });
}

export function useMachineTypes() {
  return useQuery({
    queryKey: ['machine-types'],
    queryFn: async () => (await api<{ items: MachineType[] }>('/machine-types')).items,
    staleTime: 60_000,
  });
}

/** Puts the environment the API just answered with into the cached list at once. */
function remember(client: QueryClient, env: Environment) {
  client.setQueryData<Environment[]>(environmentsKey, (list) =>
    list ? (list.some((e) => e.id === env.id) ? list.map((e) => (e.id === env.id ? env : e)) : [env, ...list]) : list,
  );
}

/** Credits in use follow the desired state, so the caller's quota changes with every intent. */
function refresh(client: QueryClient) {
  void client.invalidateQueries({ queryKey: environmentsKey });
  void client.invalidateQueries({ queryKey: ['me'] });
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

export function useLifecycle(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (op: LifecycleOp) =>
      op === 'delete' ? api<Environment>(`/environments/${id}`, { method: 'DELETE' }) : api<Environment>(`/environments/${id}/${op}`, { method: 'POST' }),
    onSuccess: (env) => {
      remember(client, env);
      refresh(client);
    },
  });
}
