import type { Environment, EnvironmentStats, ListeningPort, PortSharing, PortSharingResult } from '@berth/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.js';

export type LifecycleAction = 'start' | 'stop' | 'restart';

const SETTLED = new Set<Environment['status']>(['running', 'stopped', 'error', 'deleted']);

/** The environment; polled slowly while it converges, in case the event stream is down. */
export function useEnvironment(id: string) {
  return useQuery({
    queryKey: ['environment', id],
    queryFn: () => api<Environment>(`/environments/${id}`),
    refetchInterval: (query) => (query.state.data && !SETTLED.has(query.state.data.status) ? 4000 : false),
  });
}

export function useLifecycle(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (action: LifecycleAction) => api<Environment>(`/environments/${id}/${action}`, { method: 'POST' }),
    // Stop serving at the click, not at the answer: the server may be stopping the container before it replies,
    // and a files, stats or ports refetch in between would only earn a 409.
    onMutate: (action) => {
      if (action === 'start') return;
      client.setQueryData<Environment>(['environment', id], (env) =>
        env && (action === 'stop' ? { ...env, desiredState: 'stopped' } : { ...env, status: 'stopping' }),
      );
    },
    // Exact: refetching stats or ports of an environment that was just asked to stop would only earn a 409.
    onSuccess: (env) => client.setQueryData(['environment', id], env),
    onError: () => client.invalidateQueries({ queryKey: ['environment', id], exact: true }),
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
    queryKey: ['environment', id, 'stats'],
    queryFn: () => api<EnvironmentStats>(`/environments/${id}/stats`),
    enabled: running,
    refetchInterval: running ? 5000 : false,
    retry: false,
  });
}

export function usePorts(id: string) {
  const running = useServing(id);
  return useQuery({
    queryKey: ['environment', id, 'ports'],
    queryFn: () => api<{ items: ListeningPort[] }>(`/environments/${id}/ports`),
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
      api<PortSharingResult>(`/environments/${id}/ports/${port}/sharing`, { method: 'PUT', body: { sharing } }),
    onSuccess: (changed) =>
      client.setQueryData<{ items: ListeningPort[] }>(['environment', id, 'ports'], (list) =>
        list && { items: list.items.map((p) => (p.port === changed.port ? { ...p, sharing: changed.sharing } : p)) },
      ),
  });
}
