import { EGRESS_MODES, EgressModeSchema, SHARE_LEVELS, type CreateEnvironmentBody, type Environment, type EnvironmentStatus } from '@berth/contracts';
import type { ApiClient, Lifecycle } from '../client.js';
import { CliError, parse, UsageError, type Context } from '../context.js';
import { lastSeq, waitForStatus } from '../events.js';
import { ago, json, statusColour, table } from '../output.js';
import { resolveEnvironment, resolveTeam } from '../resolve.js';
import { withSubcommands } from './command.js';

const USAGE = `Usage: berth env <command>

Commands:
  ls [--json] [--all]                     Your environments (--all: everyone's, admins)
  create [--type T] [--name N] [--template SLUG] [--egress internet|none] [--sandboxed] [--wait] [--json]
                                          Create one; --wait follows it until running;
                                          --sandboxed runs it under gVisor (a kernel of its own)
  show ENV [--json]                       One environment
  start ENV [--wait]                      Start a stopped environment
  stop ENV [--wait]                       Stop it (the workspace is kept)
  restart ENV [--wait]                    Restart it
  rm ENV --yes                            Delete it and its workspace
  share ENV TEAM --level view|use [--json] Share it with a team of its organization:
                                          view (status, events) or use (terminal, files, exec)
  unshare ENV TEAM                        Stop sharing it with the team

ENV is an environment's name or id, TEAM a team's slug (see \`berth org teams\`).`;

function row(ctx: Context, e: Environment): string[] {
  return [e.origin === 'e2b' ? `${e.name} (e2b)` : e.name, statusColour(ctx.out, e.status), e.type, `${e.vcpus} vCPU / ${e.memoryMb} MB`, ago(e.createdAt), e.id];
}

async function ls(ctx: Context, args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean' }, all: { type: 'boolean' } });
  const client = await ctx.client();
  const items = await client.environments(values.all);
  const visible = items.filter((e) => e.status !== 'deleted');
  if (values.json) ctx.print(json(visible));
  else ctx.print(table(ctx.out, ['NAME', 'STATUS', 'TYPE', 'SIZE', 'CREATED', 'ID'], visible.map((e) => row(ctx, e)), 'No environments yet: create one with `berth env create --wait`.'));
  return 0;
}

function show(ctx: Context, e: Environment, asJson: boolean | undefined): void {
  if (asJson) return ctx.print(json(e));
  const { bold } = ctx.out;
  const lines: [string, string][] = [
    ['name', bold(e.name)],
    ['id', e.id],
    ['status', `${statusColour(ctx.out, e.status)} (wants ${e.desiredState})`],
    ['owner', e.owner.username],
    ['created by', e.origin === 'e2b' ? 'the E2B API (a sandbox; killing it deletes it)' : 'the Berth API'],
    ['type', `${e.type}: ${e.vcpus} vCPU, ${e.memoryMb} MB, ${e.diskGib} GiB, ${e.creditsCost} credits`],
    ['image', e.image],
    ['egress', e.egress === 'allowlist' ? `allowlist: ${e.egressAllow.join(', ')}` : e.egress],
    ['runtime', e.runtimeClass === 'sandboxed' ? 'sandboxed (gVisor)' : 'standard'],
    ['created', `${e.createdAt} (${ago(e.createdAt)})`],
    ['started', e.startedAt ?? '-'],
    ['last activity', e.lastActivityAt ?? '-'],
  ];
  if (e.lastError) lines.push(['last error', ctx.out.red(e.lastError)]);
  ctx.print(lines.map(([k, v]) => `${k.padEnd(14)}${v}`).join('\n'));
}

async function pickType(client: ApiClient): Promise<string> {
  const types = await client.machineTypes();
  if (types.length === 0) throw new CliError('no machine type is available to you', 'ask an admin to allow one in your quota');
  return (types.find((t) => t.name === 'small') ?? [...types].sort((a, b) => a.creditsCost - b.creditsCost)[0]!).name;
}

/** Follows the events until `target`; exit code 1 (with the reason) if the environment lands in error. */
async function waitUntil(ctx: Context, client: ApiClient, id: string, target: EnvironmentStatus, since: number): Promise<number> {
  const reached = await waitForStatus(client, id, target, since, ctx.io.stderr);
  if (reached === 'error') {
    const e = await client.environment(id);
    throw new CliError(`environment ${e.name} failed: ${e.lastError ?? 'unknown error'}`, `see \`berth events ${e.name}\``);
  }
  return 0;
}

async function create(ctx: Context, args: string[]): Promise<number> {
  const { values } = parse(args, { type: { type: 'string' }, name: { type: 'string' }, template: { type: 'string' }, image: { type: 'string' }, egress: { type: 'string' }, sandboxed: { type: 'boolean' }, wait: { type: 'boolean', short: 'w' }, json: { type: 'boolean' } });
  const client = await ctx.client();
  const body: CreateEnvironmentBody = { type: values.type ?? (await pickType(client)) };
  // Only ever more isolation: a machine type or template that asks for sandboxed gets it without the flag.
  if (values.sandboxed) body.runtimeClass = 'sandboxed';
  if (values.name) body.name = values.name;
  if (values.image) body.image = values.image;
  if (values.egress) {
    const egress = EgressModeSchema.safeParse(values.egress);
    if (!egress.success) throw new UsageError(`--egress is one of ${EGRESS_MODES.join(', ')}`);
    body.egress = egress.data;
  }
  if (values.template) {
    const template = (await client.templates()).find((t) => t.slug === values.template || t.id === values.template);
    if (!template) throw new CliError(`no template "${values.template}"`, 'list them with `berth templates`');
    body.templateId = template.id;
  }
  let env = await client.createEnvironment(body);
  ctx.note(`Creating ${ctx.err.bold(env.name)} (${env.type}, ${env.id})`);
  if (values.wait) {
    await waitUntil(ctx, client, env.id, 'running', 0);
    env = await client.environment(env.id);
    ctx.note(`${ctx.err.green('✓')} ${env.name} is running`);
  }
  ctx.print(values.json ? json(env) : env.name);
  return 0;
}

async function lifecycle(ctx: Context, action: Lifecycle, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { wait: { type: 'boolean', short: 'w' }, json: { type: 'boolean' } });
  const client = await ctx.client();
  const target = await resolveEnvironment(client, positionals[0]);
  const since = values.wait ? await lastSeq(client, target.id) : 0;
  const env = await client.lifecycle(target.id, action);
  ctx.note(`${action === 'stop' ? 'Stopping' : action === 'start' ? 'Starting' : 'Restarting'} ${ctx.err.bold(env.name)}`);
  if (values.wait) await waitUntil(ctx, client, env.id, action === 'stop' ? 'stopped' : 'running', since);
  if (values.json) ctx.print(json(await client.environment(env.id)));
  return 0;
}

async function rm(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { yes: { type: 'boolean', short: 'y' } });
  const client = await ctx.client();
  const target = await resolveEnvironment(client, positionals[0]);
  if (!values.yes) throw new UsageError(`deleting ${target.name} also deletes its workspace: add --yes to confirm`);
  await client.deleteEnvironment(target.id);
  ctx.note(`Deleting ${ctx.err.bold(target.name)}`);
  return 0;
}

async function share(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { level: { type: 'string' }, json: { type: 'boolean' } });
  const level = SHARE_LEVELS.find((l) => l === values.level);
  if (!level) throw new UsageError(`--level is one of ${SHARE_LEVELS.join(', ')}: berth env share ENV TEAM --level view|use`);
  const client = await ctx.client();
  const target = await resolveEnvironment(client, positionals[0]);
  const team = await resolveTeam(client, target, positionals[1]);
  const shares = await client.share(target.id, team.id, level);
  if (values.json) ctx.print(json(shares));
  else {
    ctx.note(`Shared ${ctx.err.bold(target.name)} with team ${team.slug} (${level})`);
    ctx.print(table(ctx.out, ['TEAM', 'LEVEL'], shares.map((s) => [s.team.slug, s.level])));
  }
  return 0;
}

async function unshare(ctx: Context, args: string[]): Promise<number> {
  const { positionals } = parse(args, {});
  const client = await ctx.client();
  const target = await resolveEnvironment(client, positionals[0]);
  const team = await resolveTeam(client, target, positionals[1]);
  await client.unshare(target.id, team.id);
  ctx.note(`Stopped sharing ${ctx.err.bold(target.name)} with team ${team.slug}`);
  return 0;
}

async function showOne(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' } });
  show(ctx, await resolveEnvironment(await ctx.client(), positionals[0]), values.json);
  return 0;
}

export const env = withSubcommands(
  { name: 'env', summary: 'List, create, start, stop and delete environments', usage: USAGE },
  {
    ls,
    create,
    show: showOne,
    start: (ctx, args) => lifecycle(ctx, 'start', args),
    stop: (ctx, args) => lifecycle(ctx, 'stop', args),
    restart: (ctx, args) => lifecycle(ctx, 'restart', args),
    rm,
    share,
    unshare,
  },
);
