import type { App } from '@berth/contracts';

/** An app built from a folder of an environment. */
export type WorkspaceApp = App & { source: Extract<App['source'], { kind: 'workspace' }> };

/** A deploy the IDE started: the app, and the number of the release it asked for. */
export interface StartedDeploy {
  app: App;
  release: number;
}

export type DeployOutcome = { state: 'building' } | { state: 'live' } | { state: 'failed'; error: string };

const GONE = new Set<App['status']>(['deleting', 'deleted']);

/** The organization's apps that deploy from this environment (and are not going away). */
export function appsDeployingFrom(apps: readonly App[], environmentId: string): WorkspaceApp[] {
  return apps.filter((app): app is WorkspaceApp => app.source.kind === 'workspace' && app.source.environmentId === environmentId && !GONE.has(app.status));
}

/**
 * Where release `release` stands, read from the app: live once it (or a later one) serves; failed
 * once the app stops deploying without it. A failed release of an app that was already live leaves
 * the app running the earlier one, so "failed" is not only the app's own status.
 */
export function outcomeOf(app: App, release: number): DeployOutcome {
  if (app.currentRelease !== null && app.currentRelease >= release) return { state: 'live' };
  if (app.status === 'deploying') return { state: 'building' };
  return { state: 'failed', error: app.lastError ?? `release ${release} did not go live (the app is ${app.status})` };
}
