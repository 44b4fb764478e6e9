import type { CreateUserBody, Quota, UpdateQuotaBody, User } from '@berth/contracts';
import type { ApiClient as Client } from '../client.js';
import { parse, UsageError, type Context } from '../context.js';
import { json, table } from '../output.js';
import { runSubcommand, withSubcommands, type Subcommand } from './command.js';

const USAGE = `Usage: berth admin users ls [--json]
       berth admin users create USERNAME [--email E] [--password P] [--admin] [--json]
       berth admin users deactivate USERNAME
       berth admin users activate USERNAME
       berth admin quota USERNAME [--credits N] [--allow TYPE]... [--max-environments N]
                                  [--idle-minutes N] [--active|--inactive] [--json]

Administrators only. A user's password can also come from BERTH_NEW_PASSWORD;
without either, one is generated and printed once. "quota" with no change shows it.`;

async function userNamed(client: Client, username: string): Promise<User> {
  const user = (await client.json<{ items: User[] }>('GET', '/users')).items.find((u) => u.username.toLowerCase() === username.toLowerCase());
  if (!user) throw new UsageError(`no user named "${username}" (see berth admin users ls)`);
  return user;
}

async function usersLs(ctx: Context, args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean' } });
  const items = (await (await ctx.client()).json<{ items: User[] }>('GET', '/users')).items;
  if (values.json) ctx.print(json(items));
  else ctx.print(table(ctx.out, ['USERNAME', 'EMAIL', 'ADMIN', 'ACTIVE', 'ID'], items.map((u) => [u.username, u.email ?? '', u.isAdmin ? 'yes' : '', u.active ? 'yes' : 'no', u.id])));
  return 0;
}

async function usersCreate(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { email: { type: 'string' }, password: { type: 'string' }, admin: { type: 'boolean' }, json: { type: 'boolean' } });
  if (!positionals[0]) throw new UsageError('give the new user a name: berth admin users create USERNAME');
  const generated = (values.password ?? ctx.env.BERTH_NEW_PASSWORD) ? undefined : generatePassword();
  const body: CreateUserBody = {
    username: positionals[0],
    password: values.password ?? ctx.env.BERTH_NEW_PASSWORD ?? generated!,
    ...(values.email ? { email: values.email } : {}),
    ...(values.admin ? { isAdmin: true } : {}),
  };
  const user = await (await ctx.client()).json<User>('POST', '/users', { json: body });
  if (values.json) ctx.print(json(user));
  else ctx.note(`Created ${ctx.err.bold(user.username)}${user.isAdmin ? ' (administrator)' : ''}`);
  if (generated) ctx.print(`password: ${generated}`);
  return 0;
}

async function setActive(ctx: Context, args: string[], active: boolean): Promise<number> {
  const { positionals } = parse(args, {});
  if (!positionals[0]) throw new UsageError(`which user? berth admin users ${active ? 'activate' : 'deactivate'} USERNAME`);
  const client = await ctx.client();
  const user = await userNamed(client, positionals[0]);
  await client.json<User>('PATCH', `/users/${user.id}`, { json: { active } });
  ctx.note(active ? `Activated ${user.username}` : `Deactivated ${user.username}: their sessions and tokens are revoked`);
  return 0;
}

async function quota(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    credits: { type: 'string' },
    allow: { type: 'string', multiple: true },
    'max-environments': { type: 'string' },
    'idle-minutes': { type: 'string' },
    active: { type: 'boolean' },
    inactive: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (!positionals[0]) throw new UsageError('which user? berth admin quota USERNAME [--credits N] [--allow TYPE]...');
  const number = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} wants a whole number, 0 or more`);
    return n;
  };
  const change: UpdateQuotaBody = {
    ...(values.credits !== undefined ? { credits: number('credits', values.credits) } : {}),
    ...(values.allow ? { allowedTypes: values.allow } : {}),
    ...(values['max-environments'] !== undefined ? { maxEnvironments: number('max-environments', values['max-environments']) } : {}),
    ...(values['idle-minutes'] !== undefined ? { idleTimeoutMinutes: number('idle-minutes', values['idle-minutes']) } : {}),
    ...(values.active ? { active: true } : values.inactive ? { active: false } : {}),
  };
  const client = await ctx.client();
  const user = await userNamed(client, positionals[0]);
  const path = `/users/${user.id}/quota`;
  const result = Object.keys(change).length > 0 ? await client.json<Quota>('PATCH', path, { json: change }) : await client.json<Quota>('GET', path);
  if (values.json) ctx.print(json(result));
  else
    ctx.print(
      table(ctx.out, ['USER', 'CREDITS', 'USED', 'ALLOWED TYPES', 'MAX ENVS', 'IDLE MIN', 'ACTIVE'], [
        [user.username, String(result.credits), String(result.creditsUsed), result.allowedTypes.join(','), String(result.maxEnvironments), String(result.idleTimeoutMinutes), result.active ? 'yes' : 'no'],
      ]),
    );
  return 0;
}

function generatePassword(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return Buffer.from(bytes).toString('base64url');
}

const USERS_SUBCOMMANDS: Record<string, Subcommand> = {
  ls: usersLs,
  list: usersLs,
  create: usersCreate,
  deactivate: (ctx, args) => setActive(ctx, args, false),
  activate: (ctx, args) => setActive(ctx, args, true),
};

export const admin = withSubcommands(
  { name: 'admin', summary: 'Administer users and quotas (administrators)', usage: USAGE },
  {
    users: (ctx, args) => runSubcommand(ctx, args, { name: 'admin users', usage: USAGE }, USERS_SUBCOMMANDS),
    quota,
  },
);
