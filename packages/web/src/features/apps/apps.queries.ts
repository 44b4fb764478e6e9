import type { App, AppDatabase, AppEvent, AppLogs, AppMetrics, ConfigVar, CreateAppBody, Release, SetConfigBody } from '@berth/contracts';
import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { api, ApiError, urlPath } from '../../api/client.js';
import { queryKeys } from '../../api/query-keys.js';

/** Query hooks of apps: the organization's list and one app's detail view. */

type Items<T> = { items: T[] };

/** While an app deploys (or goes), its list and its page are asked for again this often. */
const DEPLOYING_REFRESH_MS = 2_000;
/** The activity panel asks for new events this often: it is the build log, read as it is written. */
const EVENTS_REFRESH_MS = 1_000;
/** Replica logs are asked for again this often while they are on screen. */
const LOGS_REFRESH_MS = 5_000;
/** How many lines of each replica's output the logs panel shows. */
const LOG_TAIL_LINES = 200;
/** The activity panel keeps this many events; older ones fall off the top. */
const EVENTS_KEPT = 2_000;
/** The Traffic section asks for the edge's minutes again this often: a minute fills as it goes. */
const METRICS_REFRESH_MS = 10_000;

const keys = queryKeys.app;
const BUSY_APP = new Set<App['status']>(['deploying', 'deleting']);
const SETTLED_RELEASE = new Set<Release['status']>(['live', 'superseded', 'failed']);
const BUSY_DATABASE = new Set<AppDatabase['status']>(['provisioning', 'deleting']);

export const isBusy = (app: App) => BUSY_APP.has(app.status);

export function useApps() {
  return useQuery({
    queryKey: queryKeys.apps,
    queryFn: async () => (await api<Items<App>>('/apps')).items,
    refetchInterval: (query) => (query.state.data?.some(isBusy) ? DEPLOYING_REFRESH_MS : false),
  });
}

export function useApp(id: string) {
  return useQuery({
    queryKey: keys.self(id),
    queryFn: () => api<App>(urlPath`/apps/${id}`),
    refetchInterval: (query) => (query.state.data && isBusy(query.state.data) ? DEPLOYING_REFRESH_MS : false),
    retry: (count, err) => !(err instanceof ApiError && err.status === 404) && count < 3,
  });
}

/** Newest first; polled while one of them is on its way (pending, building, releasing, starting). */
export function useReleases(id: string) {
  return useQuery({
    queryKey: keys.releases(id),
    queryFn: async () => (await api<Items<Release>>(urlPath`/apps/${id}/releases`)).items,
    refetchInterval: (query) => (query.state.data?.some((r) => !SETTLED_RELEASE.has(r.status)) ? DEPLOYING_REFRESH_MS : false),
  });
}

/**
 * The app's events from the first, followed: each poll asks only for those after the last seen
 * (since=<seq>) and appends them to what the cache holds, so the panel grows like a log.
 */
export function useAppEvents(id: string) {
  const client = useQueryClient();
  return useQuery({
    queryKey: keys.events(id),
    queryFn: async () => {
      const seen = client.getQueryData<AppEvent[]>(keys.events(id)) ?? [];
      const since = seen.at(-1)?.seq ?? 0;
      const { items } = await api<Items<AppEvent>>(`${urlPath`/apps/${id}/events`}?since=${since}`);
      const fresh = items.filter((e) => e.seq > since);
      return fresh.length === 0 ? seen : [...seen, ...fresh].slice(-EVENTS_KEPT);
    },
    refetchInterval: EVENTS_REFRESH_MS,
  });
}

/** What each replica of the serving release printed last. */
export function useAppLogs(id: string, enabled: boolean) {
  return useQuery({
    queryKey: keys.logs(id),
    queryFn: async () => (await api<AppLogs>(`${urlPath`/apps/${id}/logs`}?tail=${LOG_TAIL_LINES}`)).items,
    enabled,
    refetchInterval: enabled ? LOGS_REFRESH_MS : false,
    retry: false,
  });
}

/** What Berth's edge carried for the app, minute by minute for the last hour, and its serving replicas' restarts. */
export function useAppMetrics(id: string) {
  return useQuery({
    queryKey: keys.metrics(id),
    queryFn: () => api<AppMetrics>(urlPath`/apps/${id}/metrics`),
    refetchInterval: METRICS_REFRESH_MS,
  });
}

export function useAppConfig(id: string) {
  return useQuery({ queryKey: keys.config(id), queryFn: async () => (await api<Items<ConfigVar>>(urlPath`/apps/${id}/config`)).items });
}

/** Its managed PostgreSQL; null when it has none (the API answers 404). Polled while it is made or deleted. */
export function useAppDatabase(id: string) {
  return useQuery({
    queryKey: keys.database(id),
    queryFn: async () => {
      try {
        return await api<AppDatabase>(urlPath`/apps/${id}/database`);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return null;
        throw err;
      }
    },
    refetchInterval: (query) => (query.state.data && BUSY_DATABASE.has(query.state.data.status) ? DEPLOYING_REFRESH_MS : false),
  });
}

/** An action on one app changes it, may start a release, and shows in the list: all of those are asked for again. */
function afterChange(client: QueryClient, id: string) {
  void client.invalidateQueries({ queryKey: queryKeys.apps });
  for (const queryKey of [keys.self(id), keys.releases(id), keys.events(id)]) void client.invalidateQueries({ queryKey });
}

export function useCreateApp() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateAppBody) => api<App>('/apps', { method: 'POST', body }),
    onSuccess: (app) => {
      client.setQueryData(keys.self(app.id), app);
      void client.invalidateQueries({ queryKey: queryKeys.apps });
      // An app's replicas count against the caller's credits, shown in the header.
      void client.invalidateQueries({ queryKey: queryKeys.me });
    },
  });
}

export function useDeployApp(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api<Release>(urlPath`/apps/${id}/deploys`, { method: 'POST' }),
    onSuccess: () => afterChange(client, id),
  });
}

export function useRollbackApp(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (release: number) => api<Release>(urlPath`/apps/${id}/rollback`, { method: 'POST', body: { release } }),
    onSuccess: () => afterChange(client, id),
  });
}

export function useDeleteApp(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api<App>(urlPath`/apps/${id}`, { method: 'DELETE' }),
    onSuccess: () => {
      client.removeQueries({ queryKey: keys.all(id) });
      void client.invalidateQueries({ queryKey: queryKeys.apps });
      void client.invalidateQueries({ queryKey: queryKeys.me });
    },
  });
}

/** Sets and unsets variables; a running app gets a release with them. */
export function useSetAppConfig(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Partial<SetConfigBody>) => api<Items<ConfigVar>>(urlPath`/apps/${id}/config`, { method: 'PATCH', body }),
    onSuccess: ({ items }) => {
      client.setQueryData(keys.config(id), items);
      afterChange(client, id);
    },
  });
}

/** Attaching or deleting the database sets or unsets DATABASE_URL: the config and the releases change too. */
function afterDatabase(client: QueryClient, id: string, database: AppDatabase) {
  client.setQueryData(keys.database(id), database);
  void client.invalidateQueries({ queryKey: keys.config(id) });
  afterChange(client, id);
}

export function useAddDatabase(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api<AppDatabase>(urlPath`/apps/${id}/database`, { method: 'POST' }),
    onSuccess: (database) => afterDatabase(client, id, database),
  });
}

/** `confirm` is the app's name, typed by the user: the API deletes the data only when it is given. */
export function useRemoveDatabase(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (confirm: string) => api<AppDatabase>(`${urlPath`/apps/${id}/database`}?confirm=${encodeURIComponent(confirm)}`, { method: 'DELETE' }),
    onSuccess: (database) => afterDatabase(client, id, database),
  });
}

/** Makes (or replaces) the push webhook: its URL and secret come back this once. */
export function useCreateWebhook(id: string) {
  return useMutation({
    mutationFn: () => api<{ url: string; secret: string }>(urlPath`/apps/${id}/webhook`, { method: 'POST' }),
  });
}
