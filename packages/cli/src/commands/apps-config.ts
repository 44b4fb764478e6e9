import { ConfigNameSchema, type ConfigVar, type SetConfigBody } from '@berth/contracts';
import { parse, UsageError, type Context } from '../context.js';
import { json, table } from '../output.js';
import { resolveApp } from './apps-shared.js';

/** What is wrong with a variable's name, in the contract's own words (undefined: nothing). */
const nameProblem = (name: string): string | undefined => ConfigNameSchema.safeParse(name).error?.issues[0]?.message;

/**
 * `NAME=VALUE` arguments as the API's `set`, or a usage error naming every bad one, so nothing is
 * sent when any is wrong. The value is everything after the first "="; with `secret`, an argument
 * without one is named by its position only, since it may be the secret itself.
 */
export function parseAssignments(pairs: string[], secret: boolean): SetConfigBody['set'] {
  if (pairs.length === 0) throw new UsageError('give NAME=VALUE pairs: berth apps env set APP NAME=VALUE…');
  const problems: string[] = [];
  const set: SetConfigBody['set'] = {};
  pairs.forEach((pair, i) => {
    const at = pair.indexOf('=');
    if (at === -1) problems.push(`${secret ? `argument ${i + 1}` : `"${pair}"`} is not NAME=VALUE`);
    else {
      const name = pair.slice(0, at);
      const problem = nameProblem(name);
      if (problem) problems.push(`"${name}" is not a variable name (${problem})`);
      else set[name] = { value: pair.slice(at + 1), secret };
    }
  });
  if (problems.length > 0) throw new UsageError(`${problems.join('; ')}; nothing was changed`);
  return set;
}

function printVars(ctx: Context, items: ConfigVar[], asJson: boolean | undefined): void {
  if (asJson) ctx.print(json(items));
  else ctx.print(table(ctx.out, ['NAME', 'VALUE', 'SECRET'], items.map((v) => [v.name, v.value, v.secret ? 'yes' : '']), 'No config variables.'));
}

async function list(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' } });
  const client = await ctx.client();
  const app = await resolveApp(client, positionals[0]);
  printVars(ctx, (await client.call('apps.config', { params: { id: app.id } })).items, values.json);
  return 0;
}

async function change(ctx: Context, body: Pick<SetConfigBody, 'set'> | Pick<SetConfigBody, 'unset'>, ref: string | undefined, asJson: boolean | undefined): Promise<number> {
  const client = await ctx.client();
  const app = await resolveApp(client, ref);
  const { items } = await client.call('apps.setConfig', { params: { id: app.id }, body });
  const names = 'set' in body ? Object.keys(body.set) : body.unset;
  ctx.note(`${'set' in body ? 'Set' : 'Unset'} ${names.join(', ')} on ${ctx.err.bold(app.name)}; once it has a live release, a new one carries the change (\`berth apps logs ${app.name} --follow\`)`);
  printVars(ctx, items, asJson);
  return 0;
}

async function set(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { secret: { type: 'boolean' }, json: { type: 'boolean' } });
  const [ref, ...pairs] = positionals;
  if (!ref) throw new UsageError('which app? berth apps env set APP NAME=VALUE… [--secret]');
  return change(ctx, { set: parseAssignments(pairs, Boolean(values.secret)) }, ref, values.json);
}

async function unset(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' } });
  const [ref, ...names] = positionals;
  if (!ref || names.length === 0) throw new UsageError('which app and variables? berth apps env unset APP NAME…');
  const problems = names.flatMap((n) => {
    const problem = nameProblem(n);
    return problem ? [`"${n}" is not a variable name (${problem})`] : [];
  });
  if (problems.length > 0) throw new UsageError(`${problems.join('; ')}; nothing was changed`);
  return change(ctx, { unset: names }, ref, values.json);
}

/**
 * `berth apps env APP`, `… env set APP NAME=VALUE…`, `… env unset APP NAME…`. "set" and "unset"
 * are read as the action first (an app of either name is listed by its id).
 */
export async function config(ctx: Context, args: string[]): Promise<number> {
  if (args[0] === 'set') return set(ctx, args.slice(1));
  if (args[0] === 'unset') return unset(ctx, args.slice(1));
  return list(ctx, args[0] === 'ls' || args[0] === 'list' ? args.slice(1) : args);
}
