import { randomBytes } from 'node:crypto';
import type { Problem, TerminalClientMessage, TerminalServerMessage } from '@berth/contracts';
import type WebSocket from 'ws';
import { ApiError, type ApiClient } from '../client.js';
import { CliError, parse, type Context } from '../context.js';
import { resolveEnvironment } from '../resolve.js';
import type { Command } from './command.js';

/** Close codes that mean the connection broke rather than the shell ending. */
const DROPPED = new Set([1001, 1006]);
const MAX_RECONNECTS = 5;

type Outcome = { kind: 'exit'; code: number } | { kind: 'dropped' };

/** One connection: resolves with the shell's exit code, or `dropped` when the connection broke. */
function attach(ctx: Context, client: ApiClient, id: string, session: string): Promise<Outcome> {
  const { stdin, stdout } = ctx.io;
  const size = () => ({ cols: stdout.columns || 80, rows: stdout.rows || 24 });
  const socket: WebSocket = client.socket(`/environments/${encodeURIComponent(id)}/terminal`, { session, ...size() });
  const send = (message: TerminalClientMessage) => socket.readyState === socket.OPEN && socket.send(JSON.stringify(message));
  // Keys typed while connecting are kept and sent once the socket opens.
  const typeahead: Buffer[] = [];
  const onInput = (chunk: Buffer) => (socket.readyState === socket.OPEN ? socket.send(chunk, { binary: true }) : typeahead.push(chunk));
  const onResize = () => send({ type: 'resize', ...size() });

  return new Promise<Outcome>((resolve, reject) => {
    let settled: Outcome | undefined;
    const cleanup = () => {
      stdin.off('data', onInput);
      stdout.off('resize', onResize);
    };
    stdin.on('data', onInput);
    stdout.on('resize', onResize);
    socket.once('open', () => {
      for (const chunk of typeahead.splice(0)) socket.send(chunk, { binary: true });
    });
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) return void stdout.write(data);
      const message = JSON.parse(data.toString()) as TerminalServerMessage;
      if (message.type === 'exit') settled = { kind: 'exit', code: message.code ?? 0 };
      else reject(new CliError(`terminal: ${message.message} (${message.code})`));
    });
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        cleanup();
        let problem: Problem | undefined;
        try {
          problem = JSON.parse(body) as Problem;
        } catch {
          // not problem+json
        }
        reject(new ApiError(res.statusCode ?? 0, problem, problem ? undefined : `terminal refused: HTTP ${res.statusCode}`));
      });
    });
    socket.once('error', () => undefined); // the close event that follows decides
    socket.once('close', (code) => {
      cleanup();
      resolve(settled ?? (DROPPED.has(code) ? { kind: 'dropped' } : { kind: 'exit', code: 0 }));
    });
  });
}

export const shell: Command = {
  name: 'shell',
  summary: 'Open an interactive shell in an environment',
  usage: `Usage: berth shell ENV [--session NAME]

Opens a login shell over the terminal WebSocket. Your terminal is put in raw
mode (Ctrl-C goes to the remote shell) and restored when the shell exits;
window size changes follow. A dropped connection re-attaches to the same shell.
--session re-attaches to a named shell that outlived an earlier connection.
Exits with the shell's exit code.`,
  async run(ctx, args) {
    const { values, positionals } = parse(args, { session: { type: 'string', short: 's' } });
    const client = await ctx.client();
    const env = await resolveEnvironment(client, positionals[0]);
    const session = values.session ?? `cli-${randomBytes(6).toString('hex')}`;
    const { stdin } = ctx.io;
    const raw = Boolean(stdin.isTTY);
    if (raw) stdin.setRawMode(true);
    stdin.resume();
    try {
      for (let attempt = 0; ; attempt++) {
        const outcome = await attach(ctx, client, env.id, session);
        if (outcome.kind === 'exit') return outcome.code;
        if (attempt >= MAX_RECONNECTS) throw new CliError('the connection to the terminal keeps dropping', `re-attach with \`berth shell ${env.name} --session ${session}\``);
        ctx.note(ctx.err.dim('\r\n[connection lost, re-attaching…]\r'));
        await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
      }
    } finally {
      if (raw) stdin.setRawMode(false);
      stdin.pause();
    }
  },
};
