import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ApiClient, ApiError, UnreachableError } from './client.js';
import { loadConfig, type CliConfig, type CliEnv } from './config.js';
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
  /** The saved (or overridden) URL and token; a CliError with a hint when there is none. */
  config(): Promise<CliConfig>;
  /** A client authenticated with the configured token. */
  client(): Promise<ApiClient>;
}

export function createContext(env: CliEnv, io: Io): Context {
  let cached: Promise<CliConfig> | undefined;
  const config = () =>
    (cached ??= loadConfig(env).then((c) => {
      if (!c.url || !c.token) throw new CliError('not logged in', 'run `berth login URL` (or set BERTH_URL and BERTH_TOKEN)');
      return c as CliConfig;
    }));
  return {
    env,
    io,
    out: stylesFor(io.stdout, env),
    err: stylesFor(io.stderr, env),
    print: (text) => io.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    note: (text) => io.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    config,
    client: async () => {
      const { url, token } = await config();
      return new ApiClient(url, { token });
    },
  };
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
  csrf_failed: 'the server refused a cookie-authenticated change; check the URL you logged in with matches BERTH_PUBLIC_URL',
  environment_not_running: 'start it first: `berth env start ENV`',
  insufficient_credits: 'stop an environment you are not using (`berth env ls`), or ask an admin for more credits',
  machine_type_not_allowed: 'see the types you may use with `berth types`',
  rate_limited: 'wait a little and try again',
};

/** Renders any error as "berth: message" plus a hint line; returns the exit code. */
export function reportError(ctx: Pick<Context, 'note' | 'err'>, err: unknown, usage?: string): number {
  const { red, dim } = ctx.err;
  if (err instanceof UsageError) {
    ctx.note(`${red('berth:')} ${err.message}`);
    if (usage) ctx.note(`\n${usage}`);
    return 1;
  }
  if (err instanceof ApiError) {
    ctx.note(`${red('berth:')} ${err.message}${err.code ? dim(` (${err.code})`) : ''}`);
    const hint = (err.code && HINTS[err.code]) ?? (err.status === 404 ? 'check the name with `berth env ls`' : undefined);
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
