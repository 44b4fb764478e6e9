import { InvitationSchema, isUuid, TEAM_ROLES } from '@berth/contracts';
import type { ApiClient } from '../client.js';
import { readConfigFile, saveConfig, tokenOf } from '../config.js';
import { CliError, parse, UsageError, type Context } from '../context.js';
import { ago, json, table } from '../output.js';
import type { Subcommand } from './command.js';

const INVITE_ROLES = InvitationSchema.shape.role.options;

/** The organization a command works on (--org's, else the current one) and a client holding its token. */
export async function inOrg(ctx: Context, slug?: string): Promise<{ client: ApiClient; slug: string }> {
  if (slug && ctx.org && slug.toLowerCase() !== ctx.org.toLowerCase()) throw new UsageError(`--org ${ctx.org} and ${slug} name different organizations`);
  const session = await ctx.config(slug);
  if (!session.org) throw new CliError('which organization? BERTH_TOKEN does not say', 'name it with --org SLUG');
  return { client: await ctx.client(slug), slug: session.org };
}

/** Checks a --role value against the roles the server knows, as a usage error. */
function roleOf<T extends string>(value: string | undefined, roles: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(roles as readonly string[]).includes(value)) throw new UsageError(`--role is one of ${roles.join(', ')}`);
  return value as T;
}

export async function members(ctx: Context, args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean' } });
  const { client, slug } = await inOrg(ctx);
  const items = await client.members(slug);
  if (values.json) ctx.print(json(items));
  else ctx.print(table(ctx.out, ['USERNAME', 'ROLE', 'JOINED'], items.map((m) => [m.user.username, m.role, ago(m.joinedAt)])));
  return 0;
}

export async function invite(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { role: { type: 'string' }, link: { type: 'boolean' }, 'expires-in-days': { type: 'string' }, json: { type: 'boolean' } });
  const [username] = positionals;
  if (Boolean(values.link) === Boolean(username)) throw new UsageError('invite one user (berth org invite USERNAME) or make a link (berth org invite --link)');
  const role = roleOf(values.role, INVITE_ROLES, 'member');
  const days = values['expires-in-days'] === undefined ? undefined : Number(values['expires-in-days']);
  if (days !== undefined && !Number.isInteger(days)) throw new UsageError('--expires-in-days must be a whole number');
  const { client, slug } = await inOrg(ctx);
  const created = await client.invite(slug, { role, ...(username ? { username } : {}), ...(days !== undefined ? { expiresInDays: days } : {}) });
  if (values.json) ctx.print(json(created));
  else if (created.token) {
    ctx.note(`Made a single-use link to join ${ctx.err.bold(slug)} as ${role}, until ${created.expiresAt}. Its secret is shown only now; whoever has it runs \`berth org accept SECRET\`:`);
    ctx.print(created.token);
  } else {
    ctx.note(`Invited ${ctx.err.bold(created.username ?? '')} to ${slug} as ${role}; they accept with \`berth org accept ${created.id}\``);
    ctx.print(created.id);
  }
  return 0;
}

export async function invitations(ctx: Context, args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean' } });
  const items = await (await ctx.client()).myInvitations();
  if (values.json) ctx.print(json(items));
  else ctx.print(table(ctx.out, ['ID', 'ORG', 'ROLE', 'INVITED BY', 'EXPIRES'], items.map((i) => [i.id, i.org.slug, i.role, i.invitedBy, i.expiresAt]), 'No invitations for you.'));
  return 0;
}

/** An invitation's id accepts one made for you; anything else is a link's secret. */
export async function accept(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' } });
  const [ref] = positionals;
  if (!ref) throw new UsageError('which invitation? berth org accept ID (see `berth org invitations`), or the secret of a link');
  const client = await ctx.client();
  const org = isUuid(ref) ? await client.acceptInvitation(ref) : await client.acceptLink(ref);
  if (values.json) ctx.print(json(org));
  else ctx.note(`Joined ${ctx.err.bold(org.slug)} as ${org.role}; work in it with \`berth org switch ${org.slug}\``);
  return 0;
}

/** Takes a member out; taking yourself out is leaving, and the token saved for the organization goes with it. */
export async function remove(ctx: Context, args: string[]): Promise<number> {
  const { positionals } = parse(args, {});
  const [username] = positionals;
  if (!username) throw new UsageError('who? berth org remove USERNAME');
  const { client, slug } = await inOrg(ctx);
  await client.removeMember(slug, username);
  const session = await ctx.config();
  const leaving = username.toLowerCase() === session.username?.toLowerCase();
  if (leaving && !session.fromEnv) await forget(ctx, slug);
  ctx.note(leaving ? `You left ${slug}` : `Removed ${ctx.err.bold(username)} from ${slug}: their access ended`);
  return 0;
}

/** Drops the saved token of an organization the user is no longer in; if it was current, the personal one (else another saved one) becomes so. */
export async function forget(ctx: Context, slug: string): Promise<void> {
  const saved = await readConfigFile(ctx.env);
  const found = tokenOf(saved, slug);
  if (!saved.url || !found) return;
  const orgs = Object.fromEntries(Object.entries(saved.orgs ?? {}).filter(([key]) => key !== found[0]));
  const stays = (name: string | undefined) => (name === undefined ? undefined : tokenOf({ orgs }, name)?.[0]);
  const current = stays(saved.org) ?? stays(saved.username) ?? Object.keys(orgs)[0];
  await saveConfig(ctx.env, { url: saved.url, username: saved.username, org: current, orgs });
}

export async function teams(ctx: Context, args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean' } });
  const { client, slug } = await inOrg(ctx);
  const items = await client.teams(slug);
  const people = (t: (typeof items)[number]) => t.members.map((m) => (m.role === 'maintainer' ? `${m.user.username} (maintainer)` : m.user.username)).join(', ');
  if (values.json) ctx.print(json(items));
  else ctx.print(table(ctx.out, ['TEAM', 'NAME', 'MEMBERS'], items.map((t) => [t.slug, t.name, people(t)]), 'No teams yet: make one with `berth org team create SLUG`.'));
  return 0;
}

async function teamCreate(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { name: { type: 'string' }, json: { type: 'boolean' } });
  if (!positionals[0]) throw new UsageError('give the team a slug: berth org team create SLUG [--name NAME]');
  const { client, slug } = await inOrg(ctx);
  const made = await client.createTeam(slug, { slug: positionals[0], name: values.name ?? positionals[0] });
  if (values.json) ctx.print(json(made));
  else ctx.note(`Made team ${ctx.err.bold(made.slug)} in ${slug}`);
  return 0;
}

async function teamAdd(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { role: { type: 'string' } });
  const [teamSlug, username] = positionals;
  if (!teamSlug || !username) throw new UsageError('berth org team add TEAM USERNAME [--role maintainer|member]');
  const role = roleOf(values.role, TEAM_ROLES, 'member');
  const { client, slug } = await inOrg(ctx);
  await client.setTeamMember(slug, teamSlug, username, role);
  ctx.note(`${username} is in team ${teamSlug} as ${role}`);
  return 0;
}

async function teamRemove(ctx: Context, args: string[]): Promise<number> {
  const { positionals } = parse(args, {});
  const [teamSlug, username] = positionals;
  if (!teamSlug || !username) throw new UsageError('berth org team remove TEAM USERNAME');
  const { client, slug } = await inOrg(ctx);
  await client.removeTeamMember(slug, teamSlug, username);
  ctx.note(`Took ${username} out of team ${teamSlug}`);
  return 0;
}

/** `berth org team …`: run by org's dispatcher, which prints org's usage. */
export const teamSubcommands: Record<string, Subcommand> = { create: teamCreate, add: teamAdd, remove: teamRemove, rm: teamRemove };
