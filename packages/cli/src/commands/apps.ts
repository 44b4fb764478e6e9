import { AppNameSchema, type App, type CreateAppBodySchema, type Release } from '@berth/contracts';
import type { z } from 'zod';
import type { ApiClient } from '../client.js';
import { CliError, parse, UsageError, type Context } from '../context.js';
import { ago, json, table } from '../output.js';
import { prompt } from '../prompt.js';
import { resolveEnvironment } from '../resolve.js';
import { config } from './apps-config.js';
import { database } from './apps-database.js';
import { followRelease, lastAppSeq, logs } from './apps-events.js';
import { scale, set, webhook } from './apps-settings.js';
import { appStatusColour, releaseStatusColour, resolveApp, wholeNumber } from './apps-shared.js';
import { runSubcommand, type Command } from './command.js';

const USAGE = `Usage: berth apps <command>

Commands:
  ls [--json]                              Your organization's apps (also plain \`berth apps\`)
  create NAME (--git URL [--branch B] | --from ENV[:PATH]) [--port N] [--health PATH]
         [--replicas N] [--type T] [--release-command CMD] [--follow] [--json]
                                           Create one; its first release builds at once.
                                           Prints its URL; --follow waits until it is live
  deploy APP [--follow] [--json]           Build the source as it is now into a new release
  releases APP [--json]                    Its releases, newest first
  rollback APP RELEASE [--follow] [--json] Release an earlier release's image and config again
  logs APP [--follow] [--since N] [--json] Its build output, release steps and switches
                                           (--follow: until Ctrl-C)
  logs APP --replicas [--tail N] [--json]  What each replica of the serving release printed
                                           last (--tail: the last N lines of each)
  env APP [--json]                         Its config variables (secrets masked)
  env set APP NAME=VALUE… [--secret]       Set variables (--secret: all of these, stored sealed)
  env unset APP NAME…                      Remove variables
  scale APP REPLICAS [--json]              Run this many replicas (at once, no new release)
  set APP [--port N] [--health PATH | --no-health]
          [--release-command CMD | --no-release-command] [--json]
                                           Change its settings; its next release uses them
  webhook APP [--json]                     A push webhook for its git host: a URL and a
                                           secret, shown once (a new one replaces it)
  db APP [--json]                          Its PostgreSQL database
  db create APP [--wait] [--json]          Attach one; its URL is set in DATABASE_URL
                                           (--wait: until it is available)
  db backup APP [-o FILE]                  A backup as plain SQL, to stdout or FILE
  db restore APP FILE|-                    Run a backup's SQL in it (-: read stdin)
  db delete APP --confirm APP              Delete it and its data; DATABASE_URL goes
  rm APP [--yes]                           Delete it: replicas, images and address go

APP is an app's name or id. --from deploys a folder of an environment (default
/workspace/app). --follow prints the release's events until it is live or has
failed; a failed release exits 1. A config change (DATABASE_URL too) gives an
app with a live release a new release with the change.`;

/** The create body as the API takes it: what is not given gets the server's defaults. */
type CreateBody = z.input<typeof CreateAppBodySchema>;

async function ls(ctx: Context, args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean' } });
  const items = (await (await ctx.client()).call('apps.list')).items.filter((a) => a.status !== 'deleted');
  if (values.json) ctx.print(json(items));
  else ctx.print(table(ctx.out, ['NAME', 'STATUS', 'RELEASE', 'URL'], items.map((a) => [a.name, appStatusColour(ctx.out, a.status), a.currentRelease === null ? '-' : String(a.currentRelease), a.url]), 'No apps yet: create one with `berth apps create NAME --git URL --follow`.'));
  return 0;
}

/** What --git/--from ask for, checked before anything is sent: exactly one of them, --branch only with --git. */
function sourceFlags(values: { git?: string; branch?: string; from?: string }): CreateBody['source'] | { environment: string; path?: string } {
  if (Boolean(values.git) === Boolean(values.from)) throw new UsageError('deploy from where? Give --git URL or --from ENV[:PATH], one of them');
  if (values.git) return { kind: 'git', url: values.git, branch: values.branch ?? 'main' };
  if (values.branch) throw new UsageError('--branch goes with --git');
  const from = values.from!;
  const colon = from.indexOf(':');
  if (colon === -1) return { environment: from };
  if (colon === from.length - 1) throw new UsageError('--from ENV:PATH wants a path after the ":" (or none: /workspace/app)');
  return { environment: from.slice(0, colon), path: from.slice(colon + 1) };
}

/** An environment is named as every other command names it; the API wants its id. */
async function sourceOf(client: ApiClient, flags: ReturnType<typeof sourceFlags>): Promise<CreateBody['source']> {
  if (!('environment' in flags)) return flags;
  const environment = await resolveEnvironment(client, flags.environment);
  return { kind: 'workspace', environmentId: environment.id, ...(flags.path ? { path: flags.path } : {}) };
}

async function create(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    git: { type: 'string' },
    branch: { type: 'string' },
    from: { type: 'string' },
    port: { type: 'string' },
    health: { type: 'string' },
    replicas: { type: 'string' },
    type: { type: 'string' },
    'release-command': { type: 'string' },
    follow: { type: 'boolean', short: 'f' },
    json: { type: 'boolean' },
  });
  const [name] = positionals;
  if (!name) throw new UsageError('give the app a name: berth apps create NAME --git URL');
  const valid = AppNameSchema.safeParse(name);
  if (!valid.success) throw new UsageError(`"${name}" cannot be an app's name: ${valid.error.issues[0]?.message ?? 'invalid'}`);
  const source = sourceFlags(values);
  const settings: Omit<CreateBody, 'name' | 'source'> = {
    ...(values.port !== undefined ? { port: wholeNumber('--port', values.port, 1) } : {}),
    ...(values.replicas !== undefined ? { replicas: wholeNumber('--replicas', values.replicas, 1) } : {}),
    ...(values.health !== undefined ? { healthPath: values.health } : {}),
    ...(values.type !== undefined ? { machineType: values.type } : {}),
    ...(values['release-command'] !== undefined ? { releaseCommand: values['release-command'] } : {}),
  };
  const client = await ctx.client();
  const body: CreateBody = { name, source: await sourceOf(client, source), ...settings };
  const app = await client.call('apps.create', { body });
  ctx.note(`Creating ${ctx.err.bold(app.name)}: release 1 is building`);
  // A new app's events start with its first release, so following from 0 shows all of it.
  if (values.follow) await followRelease(ctx, client, app, 1, 0);
  ctx.print(values.json ? json(await client.call('apps.get', { params: { id: app.id } })) : app.url);
  return 0;
}

/** After a deploy or a rollback: the new release, and with --follow its events until it settles. */
async function started(ctx: Context, client: ApiClient, app: App, release: Release, since: number | undefined, asJson: boolean | undefined): Promise<number> {
  ctx.note(`${release.kind === 'rollback' ? `Rolling ${ctx.err.bold(app.name)} back to release ${release.rollbackOf}` : `Deploying ${ctx.err.bold(app.name)}`}: release ${release.number}`);
  const code = since === undefined ? 0 : await followRelease(ctx, client, app, release.number, since);
  if (asJson) ctx.print(json(since === undefined ? release : (await client.call('apps.releases', { params: { id: app.id } })).items.find((r) => r.number === release.number)));
  return code;
}

async function deploy(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { follow: { type: 'boolean', short: 'f' }, json: { type: 'boolean' } });
  const client = await ctx.client();
  const app = await resolveApp(client, positionals[0]);
  const since = values.follow ? await lastAppSeq(client, app.id) : undefined;
  const release = await client.call('apps.deploy', { params: { id: app.id } });
  return started(ctx, client, app, release, since, values.json);
}

async function rollback(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { follow: { type: 'boolean', short: 'f' }, json: { type: 'boolean' } });
  if (positionals[1] === undefined) throw new UsageError('back to which release? berth apps rollback APP RELEASE (see `berth apps releases APP`)');
  const number = wholeNumber('RELEASE', positionals[1], 1);
  const client = await ctx.client();
  const app = await resolveApp(client, positionals[0]);
  const since = values.follow ? await lastAppSeq(client, app.id) : undefined;
  const release = await client.call('apps.rollback', { params: { id: app.id }, body: { release: number } });
  return started(ctx, client, app, release, since, values.json);
}

function kindOf(release: Release): string {
  return release.kind === 'rollback' && release.rollbackOf !== null ? `rollback of ${release.rollbackOf}` : release.kind;
}

async function releases(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' } });
  const client = await ctx.client();
  const app = await resolveApp(client, positionals[0]);
  const { items } = await client.call('apps.releases', { params: { id: app.id } });
  if (values.json) ctx.print(json(items));
  else
    ctx.print(
      table(
        ctx.out,
        ['NUMBER', 'KIND', 'STATUS', 'COMMIT', 'CREATED', 'ERROR'],
        items.map((r) => [String(r.number), kindOf(r), releaseStatusColour(ctx.out, r.status), r.sourceRef?.slice(0, 12) ?? '-', ago(r.createdAt), r.error ? ctx.out.red(r.error) : '']),
        'No releases yet.',
      ),
    );
  return 0;
}

/** Without --yes, a terminal is asked for the app's name; anything else is refused, as `env rm` refuses. */
async function confirmDelete(ctx: Context, name: string): Promise<void> {
  const what = `deleting ${name} stops it and removes its replicas, images and address`;
  if (!ctx.io.stdin.isTTY) throw new UsageError(`${what}: add --yes to confirm`);
  const answer = await prompt(ctx.io, `${what[0]!.toUpperCase()}${what.slice(1)}. Type its name to confirm: `);
  if (answer.trim() !== name) throw new CliError(`not deleted: "${answer.trim()}" is not "${name}"`);
}

async function rm(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { yes: { type: 'boolean', short: 'y' } });
  const client = await ctx.client();
  const app = await resolveApp(client, positionals[0]);
  if (!values.yes) await confirmDelete(ctx, app.name);
  await client.call('apps.delete', { params: { id: app.id } });
  ctx.note(`Deleting ${ctx.err.bold(app.name)}`);
  return 0;
}

const ABOUT = { name: 'apps', summary: 'Apps: deploy a git branch or a folder, releases, rollback, config, logs, scaling, databases, webhooks', usage: USAGE };
const SUBCOMMANDS = { ls, create, deploy, releases, rollback, logs, env: config, scale, set, webhook, db: database, rm };

/** `berth apps` alone (or with only options, `berth apps --json`) lists them. */
export const apps: Command = {
  ...ABOUT,
  run: (ctx, args) => runSubcommand(ctx, args.length === 0 || args[0]!.startsWith('-') ? ['ls', ...args] : args, ABOUT, SUBCOMMANDS),
};
