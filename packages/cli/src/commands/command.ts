import type { Context } from '../context.js';

/** One top-level command: its help text and what it does; returns the exit code. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(ctx: Context, args: string[]): Promise<number>;
}
