import { UsageError, type Context } from '../context.js';

/** One top-level command: its help text and what it does; returns the exit code. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(ctx: Context, args: string[]): Promise<number>;
}

/** What a subcommand does with the arguments after its name; returns the exit code. */
export type Subcommand = (ctx: Context, args: string[]) => Promise<number>;

/** The other names every set of subcommands answers to (`berth env list` is `berth env ls`). */
const ALIASES: Record<string, string> = { list: 'ls', delete: 'rm' };

/**
 * Runs the subcommand that the first argument names (or an alias of it), with the arguments after it.
 * With none the usage is printed and the exit code is 1 (something was missing);
 * `help` prints it with 0; a name not in `subcommands` is a usage error.
 */
export async function runSubcommand(ctx: Context, args: string[], command: Pick<Command, 'name' | 'usage'>, subcommands: Record<string, Subcommand>): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === 'help') {
    ctx.print(command.usage);
    return sub ? 0 : 1;
  }
  // Own keys only: "constructor" or "toString" are not subcommands.
  const name = Object.hasOwn(subcommands, sub) ? sub : Object.hasOwn(ALIASES, sub) ? ALIASES[sub]! : undefined;
  const run = name !== undefined && Object.hasOwn(subcommands, name) ? subcommands[name] : undefined;
  if (!run) throw new UsageError(`unknown command "${command.name} ${sub}"`);
  return run(ctx, rest);
}

/** A top-level command that is only a set of subcommands (`berth env ls`, `berth org team add`). */
export function withSubcommands(about: Omit<Command, 'run'>, subcommands: Record<string, Subcommand>): Command {
  return { ...about, run: (ctx, args) => runSubcommand(ctx, args, about, subcommands) };
}
