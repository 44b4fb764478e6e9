import { isUuid, type App, type Release } from '@berth/contracts';
import { ApiError, type ApiClient } from '../client.js';
import { CliError, UsageError } from '../context.js';
import type { Styles } from '../output.js';

/** APP on the command line is a name or an id; names are looked up among the apps of the organization in use. */
export async function resolveApp(client: ApiClient, ref: string | undefined): Promise<App> {
  if (!ref) throw new CliError('which app? Give its name or id', 'list them with `berth apps`');
  if (isUuid(ref)) {
    try {
      return await client.call('apps.get', { params: { id: ref } });
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
  }
  const { items } = await client.call('apps.list');
  const match = items.find((a) => a.name === ref && a.status !== 'deleted');
  // The server's own 404 hint points at environments, so an app we cannot find says so here.
  if (!match) throw new CliError(`no app named "${ref}"`, 'list them with `berth apps`');
  return match;
}

export function appStatusColour(styles: Styles, status: App['status']): string {
  if (status === 'running') return styles.green(status);
  if (status === 'failed') return styles.red(status);
  if (status === 'deleting' || status === 'deleted' || status === 'suspended') return styles.dim(status);
  return styles.yellow(status);
}

export function releaseStatusColour(styles: Styles, status: Release['status']): string {
  if (status === 'live') return styles.green(status);
  if (status === 'failed') return styles.red(status);
  if (status === 'superseded') return styles.dim(status);
  return styles.yellow(status);
}

/** A whole number flag or argument, at least `min`, as a usage error otherwise (the server checks the upper bounds). */
export function wholeNumber(what: string, value: string, min: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`${what} wants a whole number, ${min} or more (got "${value}")`);
  return n;
}
