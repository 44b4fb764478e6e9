import { createReadStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isUuid, type App, type AppDatabase } from '@berth/contracts';
import { ApiError, type ApiClient } from '../client.js';
import { CliError, parse, UsageError, type Context } from '../context.js';
import { ago, json, table, type Styles } from '../output.js';
import { describeAppEvent, followAppEvents, lastAppSeq } from './apps-events.js';
import { resolveApp } from './apps-shared.js';

/** The database routes answer 404 when the app has none; once the app is found, that is what it means (the generic hint would point at environments). */
async function ofDatabase<T>(app: App, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) throw new CliError(`${app.name} has no database`, `attach one with \`berth apps db create ${app.name}\``);
    throw err;
  }
}

function databaseStatusColour(styles: Styles, status: AppDatabase['status']): string {
  if (status === 'available') return styles.green(status);
  if (status === 'error') return styles.red(status);
  if (status === 'deleting') return styles.dim(status);
  return styles.yellow(status);
}

function printDatabase(ctx: Context, database: AppDatabase, asJson: boolean | undefined): void {
  if (asJson) return ctx.print(json(database));
  const { engine, version, status, name, username, createdAt } = database;
  ctx.print(table(ctx.out, ['ENGINE', 'STATUS', 'DATABASE', 'USER', 'CREATED'], [[`${engine === 'postgresql' ? 'PostgreSQL' : engine} ${version}`, databaseStatusColour(ctx.out, status), name, username, ago(createdAt)]]));
}

async function show(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' } });
  if (positionals.length > 1) throw new UsageError(`unknown command "apps db ${positionals[0]}": db APP, or db create|backup|restore|delete APP`);
  const client = await ctx.client();
  const app = await resolveApp(client, positionals[0]);
  printDatabase(ctx, await ofDatabase(app, () => client.call('apps.database', { params: { id: app.id } })), values.json);
  if (!values.json) ctx.note(ctx.err.dim(`${app.name} reads its URL in DATABASE_URL (a secret config variable)`));
  return 0;
}

/** Shows the app's events (the release DATABASE_URL makes) until the database is no longer provisioning; a CliError unless it became available. */
async function untilAvailable(ctx: Context, client: ApiClient, app: App, since: number): Promise<AppDatabase> {
  const seen: { database?: AppDatabase } = {};
  const settled = async () => {
    seen.database = await ofDatabase(app, () => client.call('apps.database', { params: { id: app.id } }));
    return seen.database.status !== 'provisioning';
  };
  await followAppEvents(client, app.id, { since, follow: true, until: settled }, (event) => ctx.note(describeAppEvent(ctx.err, event)));
  const database = seen.database!;
  if (database.status !== 'available') throw new CliError(`the database of ${app.name} is ${database.status}, not available`, `see \`berth apps logs ${app.name}\` and \`berth apps db ${app.name}\``);
  ctx.note(`${ctx.err.green('✓')} the database of ${ctx.err.bold(app.name)} is available`);
  return database;
}

async function create(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { wait: { type: 'boolean', short: 'w' }, json: { type: 'boolean' } });
  const client = await ctx.client();
  const app = await resolveApp(client, positionals[0]);
  const since = values.wait ? await lastAppSeq(client, app.id) : 0;
  let database = await client.call('apps.addDatabase', { params: { id: app.id } });
  ctx.note(`Attaching a PostgreSQL database to ${ctx.err.bold(app.name)}: its URL is set in DATABASE_URL (secret); once the app has a live release, a new one carries it`);
  if (values.wait) database = await untilAvailable(ctx, client, app, since);
  printDatabase(ctx, database, values.json);
  return 0;
}

/**
 * The dump as it arrives, never held whole: to stdout, or into FILE.partial renamed to FILE at its
 * end, so a dump that breaks off neither passes for a backup nor replaces an earlier one.
 */
async function backup(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { output: { type: 'string', short: 'o' } });
  const file = values.output === '-' ? undefined : values.output;
  const client = await ctx.client();
  const app = await resolveApp(client, positionals[0]);
  const partial = file === undefined ? undefined : `${file}.partial`;
  // Opened before the dump is asked for: a path we cannot write to costs no backup.
  const handle = partial === undefined ? undefined : await open(partial, 'w').catch((err: Error) => Promise.reject(new CliError(`cannot write ${file}: ${err.message}`)));
  try {
    const res = await ofDatabase(app, () => client.call('apps.backup', { params: { id: app.id } }));
    if (!res.body) throw new CliError('the server answered the backup with no content');
    const dump = Readable.fromWeb(res.body);
    const out: Writable = handle ? handle.createWriteStream() : ctx.io.stdout;
    await pipeline(dump, out, { end: handle !== undefined }).catch((err: Error) => {
      const cause = (err.cause as Error | undefined)?.message;
      throw new CliError(`the backup broke off before its end (${err.message}${cause ? `: ${cause}` : ''})`, file === undefined ? 'what was printed is incomplete: do not restore it' : `${file} was not written`);
    });
    if (file !== undefined) {
      await rename(partial!, file);
      ctx.note(`Backed up the database of ${ctx.err.bold(app.name)} to ${file} (${(await stat(file)).size} bytes)`);
    }
  } finally {
    await handle?.close().catch(() => undefined);
    if (partial !== undefined) await rm(partial, { force: true });
  }
  return 0;
}

/** Streams FILE (or stdin) as the body: a backup is not read into memory here. */
async function restore(ctx: Context, args: string[]): Promise<number> {
  const { positionals } = parse(args, {});
  const [ref, file] = positionals;
  if (!ref || file === undefined) throw new UsageError('restore what? berth apps db restore APP FILE (or - to read stdin)');
  if (file === '-' && ctx.io.stdin.isTTY) throw new UsageError('`-` reads the SQL from stdin: pipe it in (berth apps db restore APP - < backup.sql), or give the file');
  if (file !== '-' && !(await stat(file).catch(() => undefined))?.isFile()) throw new CliError(`${file}: no such file`);
  const client = await ctx.client();
  const app = await resolveApp(client, ref);
  const source = file === '-' ? ctx.io.stdin : createReadStream(file);
  try {
    await ofDatabase(app, () => client.call('apps.restore', { params: { id: app.id }, body: Readable.toWeb(source), contentType: 'application/sql' }));
  } finally {
    if (file !== '-') source.destroy();
  }
  ctx.note(`Restored the database of ${ctx.err.bold(app.name)} from ${file === '-' ? 'stdin' : file}`);
  return 0;
}

/** Deleting a database deletes its data: the app's name is asked for (as the API asks), and checked before anything is sent. */
async function remove(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { confirm: { type: 'string' } });
  const [ref] = positionals;
  if (!ref) throw new UsageError('which app? berth apps db delete APP --confirm APP');
  const example = `berth apps db delete ${ref} --confirm ${isUuid(ref) ? 'NAME' : ref}`;
  if (values.confirm === undefined) throw new UsageError(`deleting the database deletes its data: confirm with the app's name (${example})`);
  const client = await ctx.client();
  const app = await resolveApp(client, ref);
  if (values.confirm !== app.name) throw new CliError(`not deleted: "${values.confirm}" is not "${app.name}"`, `confirm with the app's name: berth apps db delete ${ref} --confirm ${app.name}`);
  await ofDatabase(app, () => client.call('apps.removeDatabase', { params: { id: app.id }, query: { confirm: app.name } }));
  ctx.note(`Deleting the database of ${ctx.err.bold(app.name)} and its data; DATABASE_URL is unset, which gives a live app a new release`);
  return 0;
}

const ACTIONS: Record<string, (ctx: Context, args: string[]) => Promise<number>> = { create, backup, restore, delete: remove, rm: remove };

/**
 * `berth apps db APP`, `… db create|backup|restore|delete APP …`. The actions are read first (an
 * app named like one is shown by its id), as `env set` is.
 */
export async function database(ctx: Context, args: string[]): Promise<number> {
  const action = args[0] !== undefined && Object.hasOwn(ACTIONS, args[0]) ? ACTIONS[args[0]] : undefined;
  return action ? action(ctx, args.slice(1)) : show(ctx, args[0] === 'show' ? args.slice(1) : args);
}
