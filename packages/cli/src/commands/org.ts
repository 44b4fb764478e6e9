import type { Organization } from '@berth/contracts';
import { ApiError, type ApiClient } from '../client.js';
import { normaliseUrl, readConfigFile, saveConfig, tokenOf, withOrgToken } from '../config.js';
import { CliError, parse, UsageError, type Context } from '../context.js';
import { json, table, type Styles } from '../output.js';
import { readPassword, readUsername, revoke, signIn, tokenWorks, withPassword } from '../sign-in.js';
import { runSubcommand, withSubcommands } from './command.js';
import { accept, forget, inOrg, invitations, invite, members, remove, teams, teamSubcommands } from './org-people.js';

/** How long `org create` waits for the new organization to be ready, and how often it looks. */
const READY_TIMEOUT_MS = 60_000;
const READY_POLL_MS = 500;

const USAGE = `Usage: berth org <command>

Commands:
  ls [--json]                          Your organizations; * marks the one in use
  create SLUG [--name NAME] [--json]   Make one (you own it) and wait until it is active
  switch SLUG [--password P]           Work in it from now on (signs in for its token the first time)
  members [--json]                     Its members and their roles
  invite USERNAME [--role R]           Invite a user; R is admin, member (default) or viewer
  invite --link [--role R]             Make a single-use link; its secret is printed once
  invitations [--json]                 Invitations waiting for you
  accept ID|SECRET                     Join an organization you were invited to
  remove USERNAME                      Take a member out (your own name: leave)
  teams [--json]                       Its teams and their members
  team create SLUG [--name NAME]       Make a team
  team add TEAM USERNAME [--role R]    Put a member in a team; R is maintainer or member (default)
  team remove TEAM USERNAME            Take them out of it
  suspend [SLUG]                       Stop its environments; its tokens may only read (owners)
  reactivate [SLUG] [--password P]     Lift a suspension (owners; signs in with your password)
  delete SLUG --yes                    Delete it with every environment, team and token of it (owners)

Commands act in the organization in use: the current one, or the one --org SLUG
names. Each organization has its own API token; \`berth org switch SLUG\` makes
one with your password the first time (asked on a terminal, else read from
stdin) and makes SLUG the current organization.`;

function statusOf(styles: Styles, status: Organization['status']): string {
  if (status === 'active') return styles.green(status);
  if (status === 'error') return styles.red(status);
  if (status === 'provisioning') return styles.yellow(status);
  return styles.dim(status);
}

async function ls(ctx: Context, args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean' } });
  const client = await ctx.client();
  const current = ctx.session?.org?.toLowerCase();
  const items = await client.orgs();
  if (values.json) ctx.print(json(items.map((o) => ({ ...o, current: o.slug.toLowerCase() === current }))));
  else ctx.print(table(ctx.out, ['', 'SLUG', 'NAME', 'ROLE', 'STATUS'], items.map((o) => [o.slug.toLowerCase() === current ? '*' : '', o.slug, o.name, o.role, statusOf(ctx.out, o.status)])));
  return 0;
}

/** Looks at the organization until it is no longer provisioning, or the time is up. */
async function settled(client: ApiClient, slug: string): Promise<Organization | undefined> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const org = (await client.orgs()).find((o) => o.slug.toLowerCase() === slug.toLowerCase());
    if (org && org.status !== 'provisioning') return org;
    if (Date.now() > deadline) return org;
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
}

async function create(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { name: { type: 'string' }, json: { type: 'boolean' } });
  const [slug] = positionals;
  if (!slug) throw new UsageError('give it a slug: berth org create SLUG [--name NAME]');
  const client = await ctx.client();
  const made = await client.createOrg({ slug, name: values.name ?? slug });
  ctx.note(`Making ${ctx.err.bold(made.slug)}…`);
  const org = (await settled(client, made.slug)) ?? made;
  if (values.json) ctx.print(json(org));
  if (org.status === 'active') ctx.note(`${ctx.err.green('✓')} ${org.slug} is active; work in it with \`berth org switch ${org.slug}\``);
  else if (org.status === 'provisioning') ctx.note(`${org.slug} is still provisioning; \`berth org ls\` shows when it is active`);
  else throw new CliError(`${org.slug} is ${org.status}`, 'see `berth org ls`, or ask an administrator');
  return 0;
}

/** Makes SLUG current: with its saved token while that works, else with a new one made by signing in. */
async function switchTo(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { username: { type: 'string', short: 'u' }, password: { type: 'string', short: 'p' } });
  const slug = positionals[0] ?? ctx.org;
  if (!slug) throw new UsageError('which organization? berth org switch SLUG (see `berth org ls`)');
  const saved = await readConfigFile(ctx.env);
  const rawUrl = ctx.env.BERTH_URL || saved.url;
  if (!rawUrl) throw new CliError('not logged in', 'run `berth login URL` first');
  const url = normaliseUrl(rawUrl);
  const stored = saved.url === url ? tokenOf(saved, slug) : undefined;
  let current: string;
  if (stored && (await tokenWorks(url, stored[0], stored[1]))) {
    await saveConfig(ctx.env, { url, username: saved.username, org: stored[0], orgs: saved.orgs ?? {} });
    current = stored[0];
  } else {
    const username = await readUsername(ctx, values.username, saved.username);
    const signedIn = await signIn(url, { username, password: await readPassword(ctx, values.password), org: slug });
    const { config, replaced } = withOrgToken(saved, { url, ...signedIn });
    await saveConfig(ctx.env, config);
    if (replaced) await revoke(url, replaced).catch(() => undefined);
    current = signedIn.slug;
  }
  ctx.note(`Now working in ${ctx.err.bold(current)}${ctx.env.BERTH_TOKEN ? ' (but BERTH_TOKEN is set: commands use it)' : ''}`);
  return 0;
}

/**
 * Suspends, reactivates or deletes. A suspended organization's tokens may only
 * read, so what they are refused is done again signed in with the password.
 */
async function lifecycle(ctx: Context, op: 'suspend' | 'reactivate' | 'delete', args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { password: { type: 'string', short: 'p' }, yes: { type: 'boolean', short: 'y' }, json: { type: 'boolean' } });
  if (op === 'delete' && !positionals[0]) throw new UsageError('which organization? berth org delete SLUG --yes');
  const { client, slug } = await inOrg(ctx, positionals[0]);
  if (op === 'delete' && !values.yes) throw new UsageError(`deleting ${slug} deletes every environment, workspace, team and token of it: add --yes to confirm`);
  const act = (c: ApiClient) => (op === 'delete' ? c.deleteOrg(slug) : c.orgLifecycle(slug, op));
  let org: Organization;
  try {
    org = await act(client);
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 'organization_suspended')) throw err;
    const session = await ctx.config(positionals[0]);
    const username = await readUsername(ctx, undefined, session.username);
    org = await withPassword(session.url, { username, password: await readPassword(ctx, values.password) }, act);
  }
  if (op === 'delete') await forget(ctx, slug);
  if (values.json) ctx.print(json(org));
  else if (op === 'suspend') ctx.note(`Suspended ${ctx.err.bold(slug)}: its environments and apps stop and its tokens may only read`);
  else if (op === 'reactivate') ctx.note(`Reactivated ${ctx.err.bold(slug)}`);
  else ctx.note(`Deleting ${ctx.err.bold(slug)} and everything in it`);
  return 0;
}

export const org = withSubcommands(
  { name: 'org', summary: 'Organizations: list, create, switch, members, invitations, teams', usage: USAGE },
  {
    ls,
    create,
    switch: switchTo,
    members,
    invite,
    invitations,
    accept,
    remove,
    teams,
    team: (ctx, args) => runSubcommand(ctx, args, { name: 'org team', usage: USAGE }, teamSubcommands),
    suspend: (ctx, args) => lifecycle(ctx, 'suspend', args),
    reactivate: (ctx, args) => lifecycle(ctx, 'reactivate', args),
    delete: (ctx, args) => lifecycle(ctx, 'delete', args),
  },
);
