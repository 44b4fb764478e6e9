import { setTimeout as sleep } from 'node:timers/promises';
import type { App, AppEvent, AppLogs, Release } from '@berth/contracts';
import { ApiError, type ApiClient } from '../client.js';
import { CliError, parse, UsageError, type Context } from '../context.js';
import { json, type Styles } from '../output.js';
import { resolveApp, wholeNumber } from './apps-shared.js';

/** How often a follower asks for new events: apps have no event socket, only `GET …/events?since=N`. */
export const APP_EVENTS_POLL_MS = 500;

/** Release states nothing more happens after (superseded went live first). */
const SETTLED: ReadonlySet<Release['status']> = new Set(['live', 'superseded', 'failed']);

export interface FollowOptions {
  /** Events after this seq (0: from the first). */
  since: number;
  /** Keep asking after the events so far are read; without it, read them and return. */
  follow: boolean;
  /** Ends a follow cleanly (Ctrl-C): the promise resolves rather than rejects. */
  signal?: AbortSignal;
  /** Checked before each read while following: once true, the follow ends when the events written until then are read. */
  until?: () => Promise<boolean>;
}

/**
 * The one follower of an app's events, for `logs` and for every `--follow`: hands each event
 * over in order and returns the seq of the last one. It sleeps only after a read that brought
 * nothing, so a backlog (a long build log) is read page after page without waiting.
 */
export async function followAppEvents(client: ApiClient, appId: string, options: FollowOptions, onEvent: (event: AppEvent) => void): Promise<number> {
  const { signal } = options;
  let since = options.since;
  let settled = false;
  try {
    for (;;) {
      // Asked before the read: every event that led to the settled state is then read before we stop.
      if (options.follow && options.until && !settled) settled = await options.until();
      const { items } = await client.call('apps.events', { params: { id: appId }, query: { since }, ...(signal ? { signal } : {}) });
      for (const event of items) onEvent(event);
      since = items.at(-1)?.seq ?? since;
      if (items.length > 0) continue;
      if (!options.follow || settled || signal?.aborted) return since;
      await sleep(APP_EVENTS_POLL_MS, undefined, signal ? { signal } : {});
    }
  } catch (err) {
    if (signal?.aborted) return since;
    throw err;
  }
}

/** `[release N] message`; events of the app itself (its deletion) carry no release. */
export function describeAppEvent(styles: Styles, event: AppEvent): string {
  return event.release === null ? event.message : `${styles.dim(`[release ${event.release}]`)} ${event.message}`;
}

/** The seq of the newest event, so a follow after a deploy shows only what that deploy does. */
export const lastAppSeq = (client: ApiClient, appId: string): Promise<number> => followAppEvents(client, appId, { since: 0, follow: false }, () => undefined);

/**
 * Shows the app's events after `since` on stderr until release `number` goes live or fails;
 * exit code 0 when it went live, a CliError naming the reason when it failed.
 */
export async function followRelease(ctx: Context, client: ApiClient, app: Pick<App, 'id' | 'name' | 'url'>, number: number, since: number): Promise<number> {
  const seen: { release?: Release } = {};
  await followAppEvents(
    client,
    app.id,
    {
      since,
      follow: true,
      until: async () => {
        seen.release = (await client.call('apps.releases', { params: { id: app.id } })).items.find((r) => r.number === number);
        return seen.release !== undefined && SETTLED.has(seen.release.status);
      },
    },
    (event) => ctx.note(describeAppEvent(ctx.err, event)),
  );
  const release = seen.release!;
  if (release.status === 'failed') throw new CliError(`release ${number} of ${app.name} failed: ${release.error ?? 'no reason given'}`, `see \`berth apps logs ${app.name}\` and \`berth apps releases ${app.name}\``);
  const now = release.status === 'live' ? 'is live' : 'went live (a newer release has replaced it since)';
  ctx.note(`${ctx.err.green('✓')} release ${number} of ${ctx.err.bold(app.name)} ${now} at ${app.url}`);
  return 0;
}

/** `== replica 0 (release 5, running, 0 restarts) ==`, then what it printed last. */
function printReplicas(ctx: Context, app: App, items: AppLogs['items']): void {
  if (items.length === 0) return ctx.note(`${app.name} has no replicas serving: it has no live release (\`berth apps releases ${app.name}\`)`);
  for (const r of items) {
    ctx.print(ctx.out.bold(`== replica ${r.replica} (release ${r.release}, ${r.state}, ${r.restarts} restart${r.restarts === 1 ? '' : 's'}) ==`));
    ctx.print(r.output === '' ? ctx.out.dim('(nothing printed yet)') : r.output);
  }
}

/** `berth apps logs APP --replicas [--tail N] [--json]`: what the serving release's replicas printed, rather than the events. */
async function replicaLogs(ctx: Context, ref: string | undefined, tail: string | undefined, asJson: boolean | undefined): Promise<number> {
  const lines = tail === undefined ? {} : { tail: wholeNumber('--tail', tail, 1) };
  const client = await ctx.client();
  const app = await resolveApp(client, ref);
  const { items } = await client.call('apps.logs', { params: { id: app.id }, query: lines });
  if (asJson) ctx.print(json(items));
  else printReplicas(ctx, app, items);
  return 0;
}

/** `berth apps logs APP [--follow] [--since N] [--json]`: until Ctrl-C when following; with `--replicas`, the replicas' output. */
export async function logs(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { follow: { type: 'boolean', short: 'f' }, since: { type: 'string' }, json: { type: 'boolean' }, replicas: { type: 'boolean' }, tail: { type: 'string' } });
  if (positionals.length > 1) throw new UsageError('one app at a time: berth apps logs APP');
  if (values.replicas) {
    if (values.follow || values.since !== undefined) throw new UsageError('--replicas shows what the replicas printed last; --follow and --since go with the events (berth apps logs APP)');
    return replicaLogs(ctx, positionals[0], values.tail, values.json);
  }
  if (values.tail !== undefined) throw new UsageError('--tail goes with --replicas: berth apps logs APP --replicas --tail N');
  const since = values.since === undefined ? 0 : wholeNumber('--since', values.since, 0);
  const client = await ctx.client();
  const app = await resolveApp(client, positionals[0]);
  const print = (event: AppEvent) => ctx.print(values.json ? JSON.stringify(event) : describeAppEvent(ctx.out, event));
  // Ctrl-C is the normal way out of --follow, so it ends cleanly with 0.
  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort();
  if (values.follow) process.once('SIGINT', onSigint);
  try {
    await followAppEvents(client, app.id, { since, follow: Boolean(values.follow), signal: interrupt.signal }, print);
  } catch (err) {
    // Deleted while followed: its last event said so, and nothing more will come.
    if (!(values.follow && err instanceof ApiError && err.status === 404)) throw err;
    ctx.note(`${app.name} is gone`);
  } finally {
    process.off('SIGINT', onSigint);
  }
  return 0;
}
