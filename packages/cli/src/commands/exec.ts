import { EXEC_MAX_TIMEOUT_MS } from '@berth/contracts';
import { parse, UsageError } from '../context.js';
import { readAll } from '../prompt.js';
import { resolveEnvironment } from '../resolve.js';
import type { Command } from './command.js';

/** The exit code of a command killed on timeout, as coreutils' `timeout` reports it. */
const TIMED_OUT = 124;

export const exec: Command = {
  name: 'exec',
  summary: 'Run a command in an environment and exit with its exit code',
  usage: `Usage: berth exec ENV [--cwd DIR] [-e NAME=VALUE]... [--timeout SECONDS] -- CMD [ARGS...]

Runs CMD with ARGS (no shell: use \`-- bash -lc '...'\` for one) and prints its
output, stdout to stdout and stderr to stderr, once it has finished (output is
not streamed yet). Exits with the command's exit code (${TIMED_OUT} on timeout).

Options:
  --cwd DIR            Working directory (default /workspace)
  -e, --env NAME=VALUE Environment variable, repeatable
  --timeout SECONDS    Kill the command after this long (default 30, at most ${EXEC_MAX_TIMEOUT_MS / 1000})
  --stdin              Send this process's standard input to the command`,
  async run(ctx, args) {
    const split = args.indexOf('--');
    const own = split === -1 ? args.slice(0, 1) : args.slice(0, split);
    const command = split === -1 ? args.slice(1) : args.slice(split + 1);
    const { values, positionals } = parse(own, { cwd: { type: 'string' }, env: { type: 'string', short: 'e', multiple: true }, timeout: { type: 'string' }, stdin: { type: 'boolean' } });
    if (positionals.length !== 1) throw new UsageError('give one environment, then -- and the command');
    if (command.length === 0) throw new UsageError('which command? berth exec ENV -- CMD ARGS...');
    const env: Record<string, string> = {};
    for (const pair of values.env ?? []) {
      const eq = pair.indexOf('=');
      if (eq < 1) throw new UsageError(`-e wants NAME=VALUE, not "${pair}"`);
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    const timeoutMs = values.timeout === undefined ? undefined : Math.round(Number(values.timeout) * 1000);
    if (timeoutMs !== undefined && !(timeoutMs >= 1 && timeoutMs <= EXEC_MAX_TIMEOUT_MS)) throw new UsageError(`--timeout must be between 0.001 and ${EXEC_MAX_TIMEOUT_MS / 1000} seconds`);
    const stdin = values.stdin ? await readAll(ctx.io.stdin) : undefined;

    const client = await ctx.client();
    const target = await resolveEnvironment(client, positionals[0]);
    // Output streams as the command produces it.
    const result = await client.execStream(
      target.id,
      {
        command,
        ...(values.cwd ? { cwd: values.cwd } : {}),
        ...(Object.keys(env).length ? { env } : {}),
        ...(timeoutMs ? { timeoutMs } : {}),
        ...(stdin !== undefined ? { stdin } : {}),
      },
      (line) => {
        if (line.type === 'stdout' || line.type === 'stderr') (line.type === 'stdout' ? ctx.io.stdout : ctx.io.stderr).write(Buffer.from(line.data, 'base64'));
      },
    );
    if (result.timedOut) {
      ctx.note(ctx.err.red(`berth: the command timed out after ${result.durationMs} ms`));
      return TIMED_OUT;
    }
    return result.exitCode ?? 1;
  },
};
