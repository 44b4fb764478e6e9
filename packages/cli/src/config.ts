import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** An API token `berth login` or `berth org switch` made: it acts in one organization only. */
export interface OrgToken {
  token: string;
  /** The token's id, so `berth logout` can revoke it. */
  tokenId?: string;
}

/**
 * What the CLI remembers: where Berth is, who you are, the organization you
 * work in and one token per organization you switched to. Never a password.
 */
export interface CliConfig {
  url: string;
  username?: string;
  /** The current organization's slug: its token is the one used unless `--org` names another. */
  org?: string;
  orgs: Record<string, OrgToken>;
}

/** What a command talks to the server with: the URL, one token, and the organization it acts in when known. */
export interface Session {
  url: string;
  token: string;
  /** The organization's slug; unknown for a BERTH_TOKEN used without --org. */
  org?: string;
  username?: string;
  /** BERTH_TOKEN rather than a token of the file. */
  fromEnv: boolean;
}

export type CliEnv = Record<string, string | undefined>;

/** `$XDG_CONFIG_HOME/berth/config.json`, else `~/.config/berth/config.json` (HOME respected, so tests can move it). */
export function configPath(env: CliEnv): string {
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'berth', 'config.json');
}

/** The file as written, any version of it. */
interface ConfigFile {
  url?: string;
  username?: string;
  org?: string;
  orgs?: Record<string, OrgToken>;
  /** Before organizations, and still written for whatever reads the file that way: the current organization's token. */
  token?: string;
  tokenId?: string;
}

/**
 * Reads the file; one written before organizations (`{url, token, tokenId,
 * username}`) holds the token of the user's personal organization, whose slug
 * is the username.
 */
export async function readConfigFile(env: CliEnv): Promise<Partial<CliConfig>> {
  let file: ConfigFile;
  try {
    const parsed: unknown = JSON.parse(await readFile(configPath(env), 'utf8'));
    file = typeof parsed === 'object' && parsed !== null ? (parsed as ConfigFile) : {};
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`could not read ${configPath(env)}: ${(err as Error).message}`, { cause: err });
  }
  const { url, username } = file;
  if (file.orgs) return { url, username, org: file.org, orgs: file.orgs };
  if (file.token && username) return { url, username, org: username, orgs: { [username]: { token: file.token, tokenId: file.tokenId } } };
  // A token of an organization we cannot name: usable, but only as the current one.
  if (file.token) return { url, username, orgs: { '': { token: file.token, tokenId: file.tokenId } }, org: '' };
  return { url, username };
}

/** The stored token of an organization, looked up as the server does: letter case does not matter. */
export function tokenOf(config: Partial<CliConfig>, slug: string): [string, OrgToken] | undefined {
  return Object.entries(config.orgs ?? {}).find(([key]) => key.toLowerCase() === slug.toLowerCase());
}

/**
 * The config once a token for `slug` is made: it joins the other organizations'
 * tokens of the same user on the same server (another server or user starts
 * afresh) and its organization becomes the current one. `replaced` is the
 * token it takes the place of, to revoke.
 */
export function withOrgToken(saved: Partial<CliConfig>, signedIn: { url: string; username: string; slug: string; token: OrgToken }): { config: CliConfig; replaced?: OrgToken } {
  const same = saved.url === signedIn.url && saved.username?.toLowerCase() === signedIn.username.toLowerCase();
  const previous = same ? tokenOf(saved, signedIn.slug) : undefined;
  const orgs = Object.fromEntries(Object.entries(same ? (saved.orgs ?? {}) : {}).filter(([key]) => key !== previous?.[0]));
  orgs[signedIn.slug] = signedIn.token;
  return { config: { url: signedIn.url, username: signedIn.username, org: signedIn.slug, orgs }, replaced: previous?.[1] };
}

/**
 * The token a command uses: BERTH_TOKEN first (acting in the organization
 * `org` names, which the server checks), else the stored token of `org` or of
 * the current organization. Undefined fields are what is missing.
 */
export async function loadSession(env: CliEnv, org: string | undefined): Promise<Partial<Session> & { loggedIn: boolean }> {
  const file = await readConfigFile(env);
  const url = env.BERTH_URL || file.url;
  if (env.BERTH_TOKEN) return { url, token: env.BERTH_TOKEN, org, username: file.username, fromEnv: true, loggedIn: true };
  const slug = org ?? file.org;
  const found = slug === undefined ? undefined : tokenOf(file, slug);
  const loggedIn = Object.keys(file.orgs ?? {}).length > 0;
  return { url, token: found?.[1].token, org: found?.[0] || slug || undefined, username: file.username, fromEnv: false, loggedIn };
}

/** The token is a secret: the folder is 0700 and the file 0600, even when it existed before with looser bits. */
export async function saveConfig(env: CliEnv, config: CliConfig): Promise<string> {
  const file = configPath(env);
  const current = config.org === undefined ? undefined : tokenOf(config, config.org)?.[1];
  // The top-level token keeps the file readable by a berth from before organizations.
  const written: ConfigFile = { url: config.url, username: config.username, org: config.org, ...(current ?? {}), orgs: config.orgs };
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(written, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return file;
}

export async function removeConfig(env: CliEnv): Promise<void> {
  await rm(configPath(env), { force: true });
}

/** Accepts `host:port` and bare hosts as well as full URLs; no trailing slash. */
export function normaliseUrl(input: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `http://${input}`;
  const url = new URL(withScheme);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
