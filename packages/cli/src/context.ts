import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ApiClient, ApiError, UnreachableError } from './client.js';
import { loadSession, type CliEnv, type Session } from './config.js';
import { stylesFor, type Styles } from './output.js';

/** A problem the user can fix: printed as-is, with an optional hint, exit code 1. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Bad arguments: the message and the command's usage. */
export class UsageError extends CliError {}

export interface Io {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/** Everything a command needs from the outside world, passed in rather than reached for. */
export interface Context {
  env: CliEnv;
  io: Io;
  out: Styles;
  err: Styles;
  print(text: string): void;
  note(text: string): void;
  /** The organization `--org` named, if it did. */
  org: string | undefined;
  /**
   * The URL and the token of the organization in use (`org`, else --org's, else
   * the current one); a CliError with a hint when there is none.
   */
  config(org?: string): Promise<Session>;
  /** A client authenticated with that token, acting in that organization. */
  client(org?: string): Promise<ApiClient>;
  /** The session a command used last: errors name its organization. */
  session?: Session;
}

export function createContext(env: CliEnv, io: Io, org?: string): Context {
  const cache = new Map<string, Promise<Session>>();
  const load = async (slug: string | undefined): Promise<Session> => {
    const s = await loadSession(env, slug);
    if (!s.url || !s.loggedIn) throw new CliError('not logged in', 'run `berth login URL` (or set BERTH_URL and BERTH_TOKEN)');
    if (!s.token) {
      const name = s.org ?? '';
      throw new CliError(`no token saved for organization "${name}"`, `run \`berth org switch ${name}\` (or \`berth login --org ${name}\`); \`berth org ls\` lists yours`);
    }
    return { url: s.url, token: s.token, org: s.org, username: s.username, fromEnv: s.fromEnv ?? false };
  };
  const config = async (slug = org) => {
    const key = slug?.toLowerCase() ?? '';
    if (!cache.has(key)) cache.set(key, load(slug));
    ctx.session = await cache.get(key)!;
    return ctx.session;
  };
  const ctx: Context = {
    env,
    io,
    out: stylesFor(io.stdout, env),
    err: stylesFor(io.stderr, env),
    print: (text) => io.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    note: (text) => io.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    org,
    config,
    client: async (slug) => {
      const { url, token, org: acting } = await config(slug);
      return new ApiClient(url, { token, org: acting });
    },
  };
  return ctx;
}

/**
 * Takes the global `--org SLUG` (or `--org=SLUG`) out of the arguments, before
 * or after the command's name but never after a `--` (that belongs to the
 * remote command of `berth exec`).
 */
export function takeOrgFlag(argv: string[]): { org?: string; rest: string[] } {
  const rest: string[] = [];
  let org: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === '--org' || arg.startsWith('--org=')) {
      const value = arg === '--org' ? argv[++i] : arg.slice('--org='.length);
      if (!value || value.startsWith('-')) throw new UsageError('--org wants an organization slug: --org SLUG');
      org = value;
    } else rest.push(arg);
  }
  return { org, rest };
}

/** parseArgs with the options every command shares. */
export function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options: { help: { type: 'boolean', short: 'h' }, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

const HINTS: Record<string, string> = {
  unauthorized: 'your token may have expired or been revoked: run `berth login`',
  organization_suspended: 'an owner lifts the suspension with `berth org reactivate`',
  organization_not_active: 'see its status with `berth org ls`',
  csrf_failed: 'the server refused a cookie-authenticated change; check the URL you logged in with matches BERTH_PUBLIC_URL',
  environment_not_running: 'start it first: `berth env start ENV`',
  insufficient_credits: 'stop an environment you are not using (`berth env ls`), or ask an admin for more credits',
  machine_type_not_allowed: 'see the types you may use with `berth types`',
  rate_limited: 'wait a little and try again',
};

/** Where to look up what the server did not find, by what it says it did not find ("Team was not found"). */
const NOT_FOUND_HINTS: Record<string, string> = {
  Organization: 'list yours with `berth org ls`',
  Member: 'list the members with `berth org members`',
  Team: 'list the teams with `berth org teams`',
  Invitation: 'list yours with `berth org invitations`',
  User: 'check the username',
};

function hintFor(err: ApiError, session: Session | undefined): string | undefined {
  const org = session?.org;
  if (err.code === 'unauthorized' && org && !session.fromEnv) {
    return `the token saved for organization "${org}" was refused: it expired or was revoked, or you are no longer a member of ${org}; \`berth org ls\` lists yours, \`berth org switch ${org}\` signs in to it again`;
  }
  if (err.code && HINTS[err.code]) return HINTS[err.code];
  if (err.status !== 404) return undefined;
  const subject = /^(\w+) was not found/.exec(err.problem?.detail ?? '')?.[1];
  return (subject && NOT_FOUND_HINTS[subject]) ?? 'check the name with `berth env ls`';
}

/** Renders any error as "berth: message" plus a hint line; returns the exit code. */
export function reportError(ctx: Pick<Context, 'note' | 'err' | 'session'>, err: unknown, usage?: string): number {
  const { red, dim } = ctx.err;
  if (err instanceof UsageError) {
    ctx.note(`${red('berth:')} ${err.message}`);
    if (usage) ctx.note(`\n${usage}`);
    return 1;
  }
  if (err instanceof ApiError) {
    ctx.note(`${red('berth:')} ${err.describe()}${err.code ? dim(` (${err.code})`) : ''}`);
    const hint = hintFor(err, ctx.session);
    if (hint) ctx.note(dim(`hint: ${hint}`));
    return 1;
  }
  if (err instanceof UnreachableError) {
    ctx.note(`${red('berth:')} ${err.message}`);
    ctx.note(dim('hint: is the server running? `berth login URL` points the CLI at another one'));
    return 1;
  }
  if (err instanceof CliError) {
    ctx.note(`${red('berth:')} ${err.message}`);
    if (err.hint) ctx.note(dim(`hint: ${err.hint}`));
    return 1;
  }
  ctx.note(`${red('berth:')} ${(err as Error)?.stack ?? String(err)}`);
  return 1;
}
