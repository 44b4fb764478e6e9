import type { App } from '@berth/contracts';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, urlPath } from '../../api/client.js';
import { queryKeys } from '../../api/query-keys.js';
import { outcomeOf, type DeployOutcome } from './deploy.js';

/** While a deploy started from the IDE is on its way, the app is asked for this often. */
const WATCH_MS = 1_000;

/**
 * Follows release `release` of the app until it is live or failed. What the cache held before this
 * mounted (the app as it was before the deploy) says nothing of the new release: only answers
 * fetched since count, and one is fetched at once.
 */
export function useDeployWatch(appId: string, release: number): { app: App | undefined; outcome: DeployOutcome; error: Error | null } {
  const [since] = useState(Date.now);
  const query = useQuery({
    queryKey: queryKeys.app.self(appId),
    queryFn: () => api<App>(urlPath`/apps/${appId}`),
    refetchOnMount: 'always',
    refetchInterval: (q) => (q.state.data && q.state.dataUpdatedAt >= since && outcomeOf(q.state.data, release).state !== 'building' ? false : WATCH_MS),
  });
  const fresh = query.data && query.dataUpdatedAt >= since ? query.data : undefined;
  return { app: fresh, outcome: fresh ? outcomeOf(fresh, release) : { state: 'building' }, error: query.error };
}
