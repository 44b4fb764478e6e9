import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** What `berth login` remembers: where Berth is and the API token for it. */
export interface CliConfig {
  url: string;
  token: string;
  username?: string;
  /** The id of the token `berth login` created, so `berth logout` can revoke it. */
  tokenId?: string;
}

export type CliEnv = Record<string, string | undefined>;

/** `$XDG_CONFIG_HOME/berth/config.json`, else `~/.config/berth/config.json` (HOME respected, so tests can move it). */
export function configPath(env: CliEnv): string {
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'berth', 'config.json');
}

export async function readConfigFile(env: CliEnv): Promise<Partial<CliConfig>> {
  try {
    const parsed: unknown = JSON.parse(await readFile(configPath(env), 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Partial<CliConfig>) : {};
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`could not read ${configPath(env)}: ${(err as Error).message}`, { cause: err });
  }
}

/** The file, with BERTH_URL / BERTH_TOKEN taking precedence. */
export async function loadConfig(env: CliEnv): Promise<Partial<CliConfig>> {
  const file = await readConfigFile(env);
  return {
    ...file,
    ...(env.BERTH_URL ? { url: env.BERTH_URL } : {}),
    ...(env.BERTH_TOKEN ? { token: env.BERTH_TOKEN } : {}),
  };
}

/** The token is a secret: the folder is 0700 and the file 0600, even when it existed before with looser bits. */
export async function saveConfig(env: CliEnv, config: CliConfig): Promise<string> {
  const file = configPath(env);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
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
