import type { SealedConfig } from '../../db/schema.js';

/**
 * The pure parts of apps: names on the engine and under the apps domain, which sources are
 * allowed, and what the apps reconciler does next with an app's releases and replicas.
 */

/** An org's slug as a DNS label: its letters and digits, anything else a "-". */
export const dnsLabel = (slug: string): string =>
  slug
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');

/** An app's label under the apps domain: `<name>-<org>`, at most 63 characters (DNS's limit). */
export const appHostLabel = (name: string, orgSlug: string): string => `${name}-${dnsLabel(orgSlug)}`.slice(0, 63).replace(/-+$/, '');

/** The image of release N: one repository per app, one tag per release. */
export const releaseImage = (appId: string, number: number): string => `berth-app/${appId}:r${number}`;
export const replicaName = (releaseId: string, index: number): string => `berth-app-${releaseId}-${index}`;
export const releasePhaseName = (releaseId: string): string => `berth-app-${releaseId}-release`;
/** The release label of an app's database container: it belongs to no release, and no release plan touches it. */
export const DATABASE_RELEASE = 'database';
/** An app's replicas share a network of the app's own: apps never reach each other, nor environments. */
export const appNetworkKey = (appId: string): string => `app-${appId}`;

/** Git transports a source may use: file:// only where an administrator allows sources on this machine. */
export function gitUrlAllowed(url: string, allowLocal: boolean): boolean {
  const scheme = /^([a-z]+):\/\//.exec(url)?.[1] ?? 'ssh'; // user@host:path is ssh
  return ['https', 'http', 'ssh', 'git'].includes(scheme) || (scheme === 'file' && allowLocal);
}

/** A git URL as a URL whose host can be checked: `user@host:path` (ssh's short form) becomes ssh://user@host/path. */
export function gitHttpUrl(url: string): string {
  if (/^[a-z]+:\/\//.test(url)) return url;
  const short = /^([^@\s]+)@([^:\s]+):(.*)$/.exec(url);
  return short ? `ssh://${short[1]}@${short[2]}/${short[3]}` : url;
}

/** GIT_ALLOW_PROTOCOL for a clone: the same list, so a submodule or redirect cannot use another. */
export const gitProtocols = (allowLocal: boolean): string => (allowLocal ? 'https:http:ssh:git:file' : 'https:http:ssh:git');

/** What a release's replicas are given: its config, opened, and PORT (which the app cannot override). */
export function replicaEnv(config: SealedConfig, open: (sealed: string) => string, port: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, v] of Object.entries(config)) env[name] = v.secret ? open(v.value) : v.value;
  env.PORT = String(port);
  return env;
}

export type ReleaseStatus = 'pending' | 'building' | 'releasing' | 'starting' | 'live' | 'superseded' | 'failed';

export interface ReleaseState {
  id: string;
  number: number;
  status: ReleaseStatus;
  supersededAt: Date | null;
}

export interface ReplicaState {
  name: string;
  releaseId: string;
}

export interface AppPlan {
  /** The newest release still on its way (built, released, started), if any: the next step is its. */
  deploying: ReleaseState | undefined;
  /** Replicas of releases that neither serve nor are on their way, past the drain period: to remove. */
  remove: string[];
  /** The earliest moment a draining replica may go, for the next look. */
  nextDrainAt: Date | undefined;
}

const IN_PROGRESS: ReadonlySet<ReleaseStatus> = new Set(['pending', 'building', 'releasing', 'starting']);

/**
 * What to do with an app now. Only the newest release in progress proceeds (an older one that
 * never finished is overtaken: it fails as "superseded by a later deploy"); the current release's
 * replicas stay; those of a superseded release stay for the drain period after traffic left them.
 */
export function planApp(input: { currentReleaseId: string | null; releases: ReleaseState[]; replicas: ReplicaState[]; drainMs: number; now: Date }): AppPlan & { overtaken: ReleaseState[] } {
  const inProgress = input.releases.filter((r) => IN_PROGRESS.has(r.status)).sort((a, b) => b.number - a.number);
  const [deploying, ...overtaken] = inProgress;
  const byId = new Map(input.releases.map((r) => [r.id, r]));
  const remove: string[] = [];
  let nextDrainAt: Date | undefined;
  for (const replica of input.replicas) {
    if (replica.releaseId === DATABASE_RELEASE) continue;
    if (replica.releaseId === input.currentReleaseId || replica.releaseId === deploying?.id) continue;
    const release = byId.get(replica.releaseId);
    const drainUntil = release?.supersededAt ? new Date(release.supersededAt.getTime() + input.drainMs) : undefined;
    if (drainUntil && drainUntil > input.now) {
      if (!nextDrainAt || drainUntil < nextDrainAt) nextDrainAt = drainUntil;
      continue;
    }
    remove.push(replica.name);
  }
  return { deploying, overtaken, remove, nextDrainAt };
}
