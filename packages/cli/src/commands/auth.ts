import os from 'node:os';
import { ApiClient } from '../client.js';
import { configPath, loadConfig, normaliseUrl, readConfigFile, removeConfig, saveConfig } from '../config.js';
import { CliError, parse, UsageError } from '../context.js';
import { json } from '../output.js';
import { prompt } from '../prompt.js';
import type { Command } from './command.js';

export const login: Command = {
  name: 'login',
  summary: 'Sign in to a Berth server and save an API token',
  usage: `Usage: berth login [URL] [--username U --password P | --token T]

Signs in with your password, creates an API token named after this machine and
saves URL and token in ~/.config/berth/config.json (mode 0600). Prompts for what
is missing when run on a terminal. With --token, checks and saves that token.
URL defaults to BERTH_URL, then the saved server.

Options:
  --username U        Your username
  --password P        Your password (prefer the prompt: flags show up in ps)
  --token T           An existing API token instead of a password
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
      const file = await saveConfig(ctx.env, { url, token: values.token, username: me.username });
      ctx.note(`Logged in to ${url} as ${ctx.err.bold(me.username)} (token saved in ${file})`);
      return 0;
    }

    const interactive = Boolean(ctx.io.stdin.isTTY);
    const username = values.username ?? (interactive ? (await prompt(ctx.io, 'Username: ')).trim() : undefined);
    const password = values.password ?? (interactive ? await prompt(ctx.io, 'Password: ', true) : undefined);
    if (!username || !password) throw new UsageError('not a terminal: pass --username and --password, or --token');
    const expires = values['expires-in-days'] === undefined ? undefined : Number(values['expires-in-days']);
    if (expires !== undefined && !Number.isInteger(expires)) throw new UsageError('--expires-in-days must be a whole number');

    const { cookie, user } = await new ApiClient(url).login({ username, password });
    const session = new ApiClient(url, { cookie });
    const created = await session.createToken({ name: `berth CLI on ${os.hostname()}`.slice(0, 100), ...(expires ? { expiresInDays: expires } : {}) });
    // The token is what we keep; the session was only the way to get it.
    await session.logout().catch(() => undefined);
    const file = await saveConfig(ctx.env, { url, token: created.token, username: user.username, tokenId: created.id });
    ctx.note(`Logged in to ${url} as ${ctx.err.bold(user.username)} (token saved in ${file})`);
    return 0;
  },
};

export const logout: Command = {
  name: 'logout',
  summary: 'Revoke the saved token and forget it',
  usage: `Usage: berth logout

Revokes the API token \`berth login\` created and removes ${'~/.config/berth/config.json'}.`,
  async run(ctx, args) {
    parse(args, {});
    const saved = await readConfigFile(ctx.env);
    if (!saved.url || !saved.token) {
      ctx.note('Not logged in.');
      return 0;
    }
    if (saved.tokenId) {
      try {
        await new ApiClient(saved.url, { token: saved.token }).deleteToken(saved.tokenId);
      } catch (err) {
        // An expired token or an unreachable server must not keep the secret on disk.
        ctx.note(ctx.err.dim(`(could not revoke the token on the server: ${(err as Error).message})`));
      }
    }
    await removeConfig(ctx.env);
    ctx.note(`Logged out of ${saved.url} (removed ${configPath(ctx.env)})`);
    return 0;
  },
};

export const whoami: Command = {
  name: 'whoami',
  summary: 'Show who you are signed in as, and your credits',
  usage: `Usage: berth whoami [--json]`,
  async run(ctx, args) {
    const { values } = parse(args, { json: { type: 'boolean' } });
    const config = await loadConfig(ctx.env);
    if (!config.url || !config.token) throw new CliError('not logged in', 'run `berth login URL`');
    const me = await (await ctx.client()).me();
    if (values.json) {
      ctx.print(json({ ...me, url: config.url }));
      return 0;
    }
    const { quota } = me;
    ctx.print(`${ctx.out.bold(me.username)}${me.isAdmin ? ' (admin)' : ''} on ${config.url}`);
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
