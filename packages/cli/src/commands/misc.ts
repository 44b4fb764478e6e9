import path from 'node:path';
import { TOKEN_SCOPES, type EnvironmentEvent, type TokenScope } from '@berth/contracts';
import { parse, UsageError, type Context } from '../context.js';
import { templateSource } from '../devcontainer.js';
import { describeEvent, followEvents } from '../events.js';
import { ago, json, table } from '../output.js';
import { resolveEnvironment } from '../resolve.js';
import { withSubcommands, type Command } from './command.js';

export const events: Command = {
  name: 'events',
  summary: "An environment's status changes and provisioning log",
  usage: `Usage: berth events ENV [--follow] [--since N] [--json]

Prints the events after --since (default: all). --follow keeps printing new
ones until Ctrl-C. --json prints one JSON object per line.`,
  async run(ctx, args) {
    const { values, positionals } = parse(args, { follow: { type: 'boolean', short: 'f' }, since: { type: 'string' }, json: { type: 'boolean' } });
    const since = Number(values.since ?? 0);
    if (!Number.isInteger(since) || since < 0) throw new UsageError('--since must be an event number');
    const client = await ctx.client();
    const target = await resolveEnvironment(client, positionals[0]);
    const print = (e: EnvironmentEvent) =>
      ctx.print(values.json ? JSON.stringify(e) : `${ctx.out.dim(`${String(e.seq).padStart(4)} ${e.createdAt}`)} ${ctx.out.cyan(e.type.padEnd(12))} ${describeEvent(e)}`);
    if (!values.follow) {
      for (let after = since; ; ) {
        const items = await client.events(target.id, after);
        items.forEach(print);
        if (items.length < 1000) break;
        after = items[items.length - 1]!.seq;
      }
      return 0;
    }
    const follower = followEvents(client, target.id, since, (e) => {
      print(e);
      return e.status === 'deleted';
    });
    // Ctrl-C is the normal way out of --follow, so it ends cleanly with 0.
    const interrupted = new Promise<void>((resolve) => process.once('SIGINT', resolve));
    await Promise.race([follower.done, interrupted]);
    follower.stop();
    return 0;
  },
};

export const types: Command = {
  name: 'types',
  summary: 'Machine types you may use, and what they cost',
  usage: 'Usage: berth types [--json]',
  async run(ctx, args) {
    const { values } = parse(args, { json: { type: 'boolean' } });
    const items = await (await ctx.client()).machineTypes();
    if (values.json) ctx.print(json(items));
    else ctx.print(table(ctx.out, ['NAME', 'VCPUS', 'MEMORY', 'DISK', 'CREDITS', 'IMAGE'], items.map((t) => [t.name, String(t.vcpus), `${t.memoryMb} MB`, `${t.diskGib} GiB`, String(t.creditsCost), t.image ?? 'default']), 'No machine types available to you.'));
    return 0;
  },
};

export const templates: Command = {
  name: 'templates',
  summary: 'Templates for `berth env create --template`; build one from a Dockerfile',
  usage: `Usage: berth templates [ls] [--json]
       berth templates build DIR [--slug SLUG] [--name NAME] [--start CMD] [--public] [--follow]

build makes (or updates) the template DIR names from DIR/Dockerfile, or from
DIR/.devcontainer/devcontainer.json (image or build.dockerfile, containerEnv,
postCreateCommand, forwardPorts), slug the folder's name unless --slug, and
builds its image now; --follow prints the
build's output as it comes. Environments of the template run that image, and
--start's command in the background each time they start. Administrators only.`,
  async run(ctx, args) {
    if (args[0] === 'build') return buildTemplate(ctx, args.slice(1));
    if (args[0] === 'ls' || args[0] === 'list') args = args.slice(1);
    const { values } = parse(args, { json: { type: 'boolean' } });
    const items = await (await ctx.client()).templates();
    if (values.json) ctx.print(json(items));
    else ctx.print(table(ctx.out, ['SLUG', 'NAME', 'FILES', 'DESCRIPTION'], items.map((t) => [t.slug, t.name, String(t.fileCount), t.description.split('\n')[0] ?? ''])));
    return 0;
  },
};

async function buildTemplate(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { slug: { type: 'string' }, name: { type: 'string' }, start: { type: 'string' }, public: { type: 'boolean' }, follow: { type: 'boolean', short: 'f' } });
  const dir = positionals[0];
  if (!dir) throw new UsageError('name the folder holding the Dockerfile: berth templates build DIR');
  const source = await templateSource(dir).catch((err: unknown) => {
    throw new UsageError((err as Error).message);
  });
  for (const note of source.notes) ctx.print(ctx.out.dim(`note: ${note}`));
  const dockerfile = source.dockerfile;
  const startCommand = values.start ?? source.startCommand;
  const slug = values.slug ?? path.basename(path.resolve(dir)).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+/, '');
  const client = await ctx.client();
  const existing = (await client.templates()).find((t) => t.slug === slug);
  const fields = { dockerfile, ...(startCommand ? { startCommand } : {}), ...(values.name ? { name: values.name } : {}), ...(values.public ? { public: true } : {}) };
  const template = existing ? await client.updateTemplate(existing.id, fields) : await client.createTemplate({ slug, name: values.name ?? slug, description: '', public: false, files: [], ...fields });
  ctx.print(`${existing ? 'updated' : 'created'} template ${template.slug}: building ${template.image}`);
  const end = await client.buildTemplate(template.id, (line) => values.follow && ctx.print(ctx.out.dim(line)));
  if (end.type === 'error') {
    ctx.print(`build failed: ${end.message}`);
    return 1;
  }
  ctx.print(end.cached ? `${end.image} was built already` : `built ${end.image}`);
  return 0;
}

const TOKENS_USAGE = `Usage: berth tokens <command>

Commands:
  ls [--json]                              Your API tokens
  create NAME [--scope read|exec|admin] [--expires-in-days N] [--json]
                                           Create one (default scope admin); the secret is printed once
  rm ID                                    Revoke one`;

async function tokensLs(ctx: Context, args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean' } });
  const items = await (await ctx.client()).tokens();
  if (values.json) ctx.print(json(items));
  else ctx.print(table(ctx.out, ['NAME', 'SCOPE', 'PREFIX', 'CREATED', 'LAST USED', 'EXPIRES', 'ID'], items.map((t) => [t.name, t.scope, t.prefix, ago(t.createdAt), ago(t.lastUsedAt), t.expiresAt ?? 'never', t.id]), 'No tokens.'));
  return 0;
}

async function tokensCreate(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { 'expires-in-days': { type: 'string' }, scope: { type: 'string' }, json: { type: 'boolean' } });
  if (!positionals[0]) throw new UsageError('give the token a name: berth tokens create NAME');
  const scope = values.scope;
  if (scope !== undefined && !isTokenScope(scope)) throw new UsageError(`--scope is one of ${TOKEN_SCOPES.join(', ')}`);
  const days = values['expires-in-days'] === undefined ? undefined : Number(values['expires-in-days']);
  const created = await (await ctx.client()).createToken({ name: positionals[0], ...(scope ? { scope } : {}), ...(days !== undefined ? { expiresInDays: days } : {}) });
  if (values.json) ctx.print(json(created));
  else {
    ctx.note(`Created token ${ctx.err.bold(created.name)} (${created.id}); it is shown only now:`);
    ctx.print(created.token);
  }
  return 0;
}

async function tokensRm(ctx: Context, args: string[]): Promise<number> {
  const { positionals } = parse(args, {});
  if (!positionals[0]) throw new UsageError('which token? berth tokens rm ID (ids are in `berth tokens ls`)');
  await (await ctx.client()).deleteToken(positionals[0]);
  ctx.note(`Revoked ${positionals[0]}`);
  return 0;
}

export const tokens = withSubcommands(
  { name: 'tokens', summary: 'List, create and revoke API tokens', usage: TOKENS_USAGE },
  { ls: tokensLs, list: tokensLs, create: tokensCreate, rm: tokensRm, revoke: tokensRm },
);

const isTokenScope = (value: string): value is TokenScope => (TOKEN_SCOPES as readonly string[]).includes(value);
