import { ApiClient, ApiError } from '../client.js';
import { configPath, normaliseUrl, readConfigFile, removeConfig, saveConfig, withOrgToken, type OrgToken } from '../config.js';
import { CliError, parse, UsageError, type Context } from '../context.js';
import { json } from '../output.js';
import { prompt } from '../prompt.js';
import { revoke, signIn } from '../sign-in.js';
import type { Command } from './command.js';

/** Which organization a token acts in: the server refuses (403) a token sent naming any other. */
async function orgOfToken(url: string, token: string, wanted: string | undefined): Promise<string> {
  const orgs = await new ApiClient(url, { token }).orgs();
  const candidates = wanted === undefined ? orgs : orgs.filter((o) => o.slug.toLowerCase() === wanted.toLowerCase());
  for (const org of candidates) {
    try {
      await new ApiClient(url, { token, org: org.slug }).me();
      return org.slug;
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 403)) throw err;
    }
  }
  throw new CliError(wanted === undefined ? 'could not tell which organization this token acts in' : `this token does not act in organization "${wanted}"`, 'a token acts only in the organization it was made in');
}

/** Saves a new token, revoking the one it replaces (same server, user and organization). */
async function remember(ctx: Context, signedIn: { url: string; username: string; slug: string; token: OrgToken }): Promise<string> {
  const { config, replaced } = withOrgToken(await readConfigFile(ctx.env), signedIn);
  const file = await saveConfig(ctx.env, config);
  if (replaced && replaced.token !== signedIn.token.token) await revoke(signedIn.url, replaced).catch(() => undefined);
  return file;
}

export const login: Command = {
  name: 'login',
  summary: 'Sign in to a Berth server and save an API token',
  usage: `Usage: berth login [URL] [--username U --password P | --token T] [--org SLUG]

Signs in with your password, creates an API token named after this machine and
saves URL and token in ~/.config/berth/config.json (mode 0600). Prompts for what
is missing when run on a terminal. With --token, checks and saves that token.
URL defaults to BERTH_URL, then the saved server.

A token acts in one organization: your personal one, or the one --org names,
which becomes the current organization. Tokens saved for your other
organizations on this server are kept (see \`berth org switch\`).

Options:
  --username U        Your username
  --password P        Your password (prefer the prompt: flags show up in ps)
  --token T           An existing API token instead of a password
  --org SLUG          The organization the token acts in (default: your own)
  --expires-in-days N Expiry of the created token (default: never)`,
  async run(ctx, args) {
    const { values, positionals } = parse(args, {
      username: { type: 'string', short: 'u' },
      password: { type: 'string', short: 'p' },
      token: { type: 'string' },
      'expires-in-days': { type: 'string' },
    });
    const saved = await readConfigFile(ctx.env);
    const rawUrl = positionals[0] ?? ctx.env.BERTH_URL ?? saved.url;
    if (!rawUrl) throw new UsageError('which server? Give its URL: berth login http://127.0.0.1:8080');
    const url = normaliseUrl(rawUrl);

    if (values.token) {
      const me = await new ApiClient(url, { token: values.token }).me();
      const slug = await orgOfToken(url, values.token, ctx.org);
      const file = await remember(ctx, { url, username: me.username, slug, token: { token: values.token } });
      ctx.note(`Logged in to ${url} as ${ctx.err.bold(me.username)} in ${ctx.err.bold(slug)} (token saved in ${file})`);
      return 0;
    }

    const interactive = Boolean(ctx.io.stdin.isTTY);
    const username = values.username ?? (interactive ? (await prompt(ctx.io, 'Username: ')).trim() : undefined);
    const password = values.password ?? (interactive ? await prompt(ctx.io, 'Password: ', true) : undefined);
    if (!username || !password) throw new UsageError('not a terminal: pass --username and --password, or --token');
    const expires = values['expires-in-days'] === undefined ? undefined : Number(values['expires-in-days']);
    if (expires !== undefined && !Number.isInteger(expires)) throw new UsageError('--expires-in-days must be a whole number');

    const signedIn = await signIn(url, { username, password, org: ctx.org, expiresInDays: expires });
    const file = await remember(ctx, { url, ...signedIn });
    ctx.note(`Logged in to ${url} as ${ctx.err.bold(signedIn.username)} in ${ctx.err.bold(signedIn.slug)} (token saved in ${file})`);
    return 0;
  },
};

export const logout: Command = {
  name: 'logout',
  summary: 'Revoke the saved tokens and forget them',
  usage: `Usage: berth logout

Revokes the API tokens \`berth login\` and \`berth org switch\` created, one per
organization, and removes ${'~/.config/berth/config.json'}.`,
  async run(ctx, args) {
    parse(args, {});
    const saved = await readConfigFile(ctx.env);
    const tokens = Object.entries(saved.orgs ?? {});
    if (!saved.url || tokens.length === 0) {
      ctx.note('Not logged in.');
      return 0;
    }
    for (const [slug, token] of tokens) {
      try {
        await revoke(saved.url, token);
      } catch (err) {
        // An expired token or an unreachable server must not keep the secret on disk.
        ctx.note(ctx.err.dim(`(could not revoke the token${slug ? ` for ${slug}` : ''} on the server: ${(err as Error).message})`));
      }
    }
    await removeConfig(ctx.env);
    ctx.note(`Logged out of ${saved.url} (removed ${configPath(ctx.env)})`);
    return 0;
  },
};

export const whoami: Command = {
  name: 'whoami',
  summary: 'Show who you are signed in as, in which organization, and your credits',
  usage: `Usage: berth whoami [--json]`,
  async run(ctx, args) {
    const { values } = parse(args, { json: { type: 'boolean' } });
    const { url, org } = await ctx.config();
    const me = await (await ctx.client()).me();
    if (values.json) {
      ctx.print(json({ ...me, url, org: org ?? null }));
      return 0;
    }
    const { quota } = me;
    ctx.print(`${ctx.out.bold(me.username)}${me.isAdmin ? ' (admin)' : ''} on ${url}${org ? ` in ${ctx.out.bold(org)}` : ''}`);
    ctx.print(`credits: ${quota.creditsUsed} of ${quota.credits} in use, ${quota.creditsLeft} left`);
    ctx.print(`machine types: ${quota.allowedTypes.length ? quota.allowedTypes.join(', ') : 'none'}`);
    return 0;
  },
};

export const passwd: Command = {
  name: 'passwd',
  summary: 'Change your password',
  usage: `Usage: berth passwd [--revoke-tokens]

Changes your password (prompting for the current one and the new one, twice).
Your sessions end everywhere, and whatever they opened (terminals, event streams)
closes. With --revoke-tokens, every API token you own is revoked too, this
CLI's included: run \`berth login\` afterwards.

Options:
  --revoke-tokens         Also revoke all your API tokens
  --current-password P    Instead of the prompt (flags show up in ps)
  --new-password P        Instead of the prompt`,
  async run(ctx, args) {
    const { values } = parse(args, {
      'revoke-tokens': { type: 'boolean' },
      'current-password': { type: 'string' },
      'new-password': { type: 'string' },
    });
    const interactive = Boolean(ctx.io.stdin.isTTY);
    const ask = async (question: string) => (interactive ? prompt(ctx.io, question, true) : undefined);
    const client = await ctx.client();
    const currentPassword = values['current-password'] ?? (await ask('Current password: '));
    let newPassword = values['new-password'];
    if (newPassword === undefined && interactive) {
      newPassword = await ask('New password: ');
      if ((await ask('New password again: ')) !== newPassword) throw new UsageError('the new passwords differ; nothing changed');
    }
    if (!currentPassword || !newPassword) throw new UsageError('not a terminal: pass --current-password and --new-password');
    const revokeTokens = values['revoke-tokens'] ?? false;
    await client.changePassword({ currentPassword, newPassword, revokeTokens });
    if (revokeTokens) {
      await removeConfig(ctx.env);
      ctx.note('Password changed; all your API tokens are revoked. Run `berth login` to sign in again.');
    } else {
      ctx.note('Password changed; your browser sessions have ended (API tokens still work).');
    }
    return 0;
  },
};
