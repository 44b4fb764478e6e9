import { describe, expect, it } from 'vitest';
import type { Context } from '../context.js';
import { runSubcommand } from './command.js';

describe('runSubcommand', () => {
  const printed: string[] = [];
  const ctx = { print: (text: string) => printed.push(text) } as unknown as Context;
  const command = { name: 'env', usage: 'usage: berth env …' };
  const ran: string[] = [];
  const subcommands = {
    ls: async (_ctx: Context, args: string[]) => (ran.push(`ls ${args.join(' ')}`), 0),
    rm: async (_ctx: Context, args: string[]) => (ran.push(`rm ${args.join(' ')}`), 0),
  };

  it('runs a subcommand by its name or its usual other name, with the arguments after it', async () => {
    expect(await runSubcommand(ctx, ['ls', '--json'], command, subcommands)).toBe(0);
    expect(await runSubcommand(ctx, ['list', '--json'], command, subcommands)).toBe(0);
    expect(await runSubcommand(ctx, ['delete', 'box'], command, subcommands)).toBe(0);
    expect(ran).toEqual(['ls --json', 'ls --json', 'rm box']);
  });

  it('refuses names it does not have, inherited ones and aliases of missing subcommands included', async () => {
    for (const name of ['frobnicate', 'constructor', 'toString', '__proto__']) {
      await expect(runSubcommand(ctx, [name], command, subcommands)).rejects.toThrow(`unknown command "env ${name}"`);
    }
    await expect(runSubcommand(ctx, ['list'], command, { rm: subcommands.rm })).rejects.toThrow('unknown command "env list"');
  });

  it('prints the usage for help (exit 0) and for nothing (exit 1)', async () => {
    expect(await runSubcommand(ctx, ['help'], command, subcommands)).toBe(0);
    expect(await runSubcommand(ctx, [], command, subcommands)).toBe(1);
    expect(printed).toEqual([command.usage, command.usage]);
  });
});
