import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { admin } from './commands/admin.js';
import { apps } from './commands/apps.js';
import { login, logout, passwd, whoami } from './commands/auth.js';
import type { Command } from './commands/command.js';
import { cp } from './commands/cp.js';
import { env } from './commands/env.js';
import { exec } from './commands/exec.js';
import { events, templates, tokens, types } from './commands/misc.js';
import { org } from './commands/org.js';
import { shell } from './commands/shell.js';
import { createContext, reportError, takeOrgFlag, type Io } from './context.js';

const COMMANDS: Command[] = [login, logout, whoami, passwd, org, env, exec, shell, cp, events, apps, types, templates, tokens, admin];

const USAGE = `Usage: berth <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(13)}${c.summary}`).join('\n')}
  server       Run the Berth server (API and web app) on BERTH_HOST:BERTH_PORT
  build-image [IMAGE]  Build the default development image (or IMAGE, e.g. berth/code-interpreter:1) if missing

Global options:
  --org SLUG   Act in this organization, with the token saved for it, instead of
               the current one (\`berth org switch SLUG\` changes the current one)

Run \`berth <command> --help\` for a command's options. The CLI keeps its server and
one token per organization in ~/.config/berth/config.json; BERTH_URL and BERTH_TOKEN
override them. The server reads its configuration from environment variables; see the README.`;

/** `--help` anywhere before a `--` asks for the command's help. */
function wantsHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** Runs one client command; every error becomes a message (with a hint) and exit code 1. */
export async function runCommand(command: Command, args: string[], io: Io = process, environment = process.env, org?: string): Promise<number> {
  const ctx = createContext(environment, io, org);
  if (wantsHelp(args)) {
    ctx.print(command.usage);
    return 0;
  }
  try {
    return await command.run(ctx, args);
  } catch (err) {
    return reportError(ctx, err, command.usage);
  }
}

/** In a checkout, `npm start` serves a built web app: build it the first time. */
async function buildWebIfMissing(): Promise<void> {
  const webRoot = fileURLToPath(new URL('../../web', import.meta.url));
  if (process.env.BERTH_WEB_DIR || !existsSync(path.join(webRoot, 'package.json')) || existsSync(path.join(webRoot, 'dist', 'index.html'))) return;
  process.stdout.write('Building the web app (first start only)…\n');
  const { build } = await import('vite');
  await build({ root: webRoot, logLevel: 'warn' });
}

export async function main(argv: string[]): Promise<number> {
  let global: ReturnType<typeof takeOrgFlag>;
  try {
    global = takeOrgFlag(argv);
  } catch (err) {
    return reportError(createContext(process.env, process), err, USAGE);
  }
  const [command, ...rest] = global.rest;
  const client = COMMANDS.find((c) => c.name === command);
  if (client) return runCommand(client, rest, process, process.env, global.org);
  if (command === 'server') {
    await buildWebIfMissing();
    const { runServer } = await import('@berth/server');
    try {
      await runServer();
    } catch (err) {
      // Startup problems (configuration, a busy port or data directory) are the operator's to fix: say what, not where.
      process.stderr.write(`berth server: ${(err as Error).message}\n`);
      return 1;
    }
    return -1; // keeps running until a signal
  }
  if (command === 'build-image') {
    const { buildImage } = await import('@berth/server');
    try {
      await buildImage(process.env, rest[0], (line) => process.stdout.write(`${line}\n`));
      return 0;
    } catch (err) {
      process.stderr.write(`berth build-image: ${(err as Error).message}\n`);
      return 1;
    }
  }
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  process.stderr.write(`berth: unknown command "${command}"\n\n${USAGE}\n`);
  return 1;
}
