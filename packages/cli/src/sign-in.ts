import os from 'node:os';
import { ApiClient, ApiError } from './client.js';
import type { OrgToken } from './config.js';
import { CliError, UsageError, type Context } from './context.js';
import { prompt, readAll } from './prompt.js';

/** The password: the flag, else asked on a terminal, else the first line of stdin (`echo "$PW" | berth …`). */
export async function readPassword(ctx: Context, given: string | undefined): Promise<string> {
  if (given !== undefined) return given;
  const password = ctx.io.stdin.isTTY ? await prompt(ctx.io, 'Password: ', true) : (await readAll(ctx.io.stdin)).split(/\r?\n/)[0]!;
  if (!password) throw new UsageError('no password: pass --password, type it on a terminal, or pipe it on stdin');
  return password;
}

/** The username: the flag, else the one the CLI remembers, else asked on a terminal. */
export async function readUsername(ctx: Context, given: string | undefined, remembered: string | undefined): Promise<string> {
  const username = given ?? remembered ?? (ctx.io.stdin.isTTY ? (await prompt(ctx.io, 'Username: ')).trim() : undefined);
  if (!username) throw new UsageError('not a terminal: pass --username');
  return username;
}

export interface SignedIn {
  username: string;
  /** The organization's slug as the server spells it. */
  slug: string;
  token: OrgToken;
}

/**
 * Signs in with a password and runs `use` with the session, which acts in `org`
 * (the personal organization when undefined); signs out afterwards, whatever
 * happened: the session is only ever a way to do one thing.
 */
export async function withPassword<T>(url: string, credentials: { username: string; password: string; org?: string }, use: (session: ApiClient, signedIn: { username: string; slug: string }) => Promise<T>): Promise<T> {
  const { cookie, user } = await new ApiClient(url).login({ username: credentials.username, password: credentials.password });
  const anywhere = new ApiClient(url, { cookie });
  try {
    const orgs = await anywhere.orgs();
    const wanted = credentials.org?.toLowerCase();
    const org = wanted === undefined ? orgs.find((o) => o.personal) : orgs.find((o) => o.slug.toLowerCase() === wanted);
    if (!org) throw new CliError(`you are not a member of an organization "${credentials.org}"`, 'list yours with `berth org ls`; join one with `berth org accept`');
    return await use(new ApiClient(url, { cookie, org: org.slug }), { username: user.username, slug: org.slug });
  } finally {
    await anywhere.logout().catch(() => undefined);
  }
}

/** Signs in with a password and makes an API token that acts in `org` (default: the personal organization). */
export function signIn(url: string, credentials: { username: string; password: string; org?: string; expiresInDays?: number }): Promise<SignedIn> {
  return withPassword(url, credentials, async (session, { username, slug }) => {
    const name = `berth CLI on ${os.hostname()}`.slice(0, 100);
    const created = await session.createToken({ name, ...(credentials.expiresInDays ? { expiresInDays: credentials.expiresInDays } : {}) });
    return { username, slug, token: { token: created.token, tokenId: created.id } };
  });
}

/** Whether a stored token still acts in its organization (a removed member's, or a revoked one, does not). */
export async function tokenWorks(url: string, slug: string, token: OrgToken): Promise<boolean> {
  try {
    await new ApiClient(url, { token: token.token, org: slug }).me();
    return true;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) return false;
    throw err;
  }
}

/** Revokes a token with itself (one saved without its id, by `login --token`, is not ours to revoke). */
export async function revoke(url: string, token: OrgToken): Promise<void> {
  if (token.tokenId) await new ApiClient(url, { token: token.token }).deleteToken(token.tokenId);
}
