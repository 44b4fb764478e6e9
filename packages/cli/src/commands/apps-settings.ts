import { UpdateAppBodySchema, type App, type UpdateAppBody } from '@berth/contracts';
import { parse, UsageError, type Context } from '../context.js';
import { json } from '../output.js';
import { resolveApp, wholeNumber } from './apps-shared.js';

/** The flag or argument each field of the update comes from, to name it in a problem. */
const FLAGS: Record<keyof UpdateAppBody, string> = { replicas: 'REPLICAS', port: '--port', healthPath: '--health', releaseCommand: '--release-command', source: 'the source', hooks: 'the hooks' };

/** The update as the contract checks it, so what the server would refuse is refused before anything is sent. */
function checked(body: UpdateAppBody): UpdateAppBody {
  const result = UpdateAppBodySchema.safeParse(body);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${FLAGS[i.path[0] as keyof UpdateAppBody] ?? String(i.path[0])}: ${i.message}`);
  throw new UsageError(`${problems.join('; ')}; nothing was changed`);
}

/** Sends a `checked` update: the app as it was, and as it is now. */
async function update(ctx: Context, ref: string, body: UpdateAppBody): Promise<{ before: App; after: App }> {
  const client = await ctx.client();
  const before = await resolveApp(client, ref);
  return { before, after: await client.call('apps.update', { params: { id: before.id }, body }) };
}

/** `berth apps scale APP REPLICAS [--json]`: replicas start or stop at once, without a release. */
export async function scale(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' } });
  const [ref, count] = positionals;
  if (!ref || count === undefined) throw new UsageError('how many replicas? berth apps scale APP REPLICAS');
  const { before, after } = await update(ctx, ref, checked({ replicas: wholeNumber('REPLICAS', count, 1) }));
  const when = after.currentRelease === null ? '; they start with its first live release' : '';
  ctx.note(`Scaling ${ctx.err.bold(after.name)} from ${before.replicas} to ${after.replicas} replica${after.replicas === 1 ? '' : 's'}${when}`);
  if (values.json) ctx.print(json(after));
  return 0;
}

function describeChange(body: UpdateAppBody): string[] {
  return [
    ...(body.port !== undefined ? [`port ${body.port}`] : []),
    ...(body.healthPath === null ? ['health check: the port accepting connections'] : body.healthPath !== undefined ? [`health check ${body.healthPath}`] : []),
    ...(body.releaseCommand === null ? ['no release command (a Procfile release: line, if there is one)'] : body.releaseCommand !== undefined ? [`release command "${body.releaseCommand}"`] : []),
  ];
}

/** A flag that can also be turned off (`--health PATH` or `--no-health`): its value, null when off, undefined when neither is given. */
function setting(name: string, value: string | undefined, off: boolean | undefined): string | null | undefined {
  if (value !== undefined && off) throw new UsageError(`--${name} or --no-${name}, not both`);
  return off ? null : value;
}

/** `berth apps set APP [--port N] [--health PATH|--no-health] [--release-command CMD|--no-release-command] [--json]`. */
export async function set(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    port: { type: 'string' },
    health: { type: 'string' },
    'no-health': { type: 'boolean' },
    'release-command': { type: 'string' },
    'no-release-command': { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const [ref] = positionals;
  if (!ref) throw new UsageError('which app? berth apps set APP [--port N] [--health PATH|--no-health] [--release-command CMD|--no-release-command]');
  const healthPath = setting('health', values.health, values['no-health']);
  const releaseCommand = setting('release-command', values['release-command'], values['no-release-command']);
  const body: UpdateAppBody = {
    ...(values.port !== undefined ? { port: wholeNumber('--port', values.port, 1) } : {}),
    ...(healthPath !== undefined ? { healthPath } : {}),
    ...(releaseCommand !== undefined ? { releaseCommand } : {}),
  };
  if (Object.keys(body).length === 0) throw new UsageError('change what? give --port, --health or --no-health, --release-command or --no-release-command');
  const { after } = await update(ctx, ref, checked(body));
  ctx.note(`Changed ${ctx.err.bold(after.name)}: ${describeChange(body).join(', ')}; its next release uses ${Object.keys(body).length === 1 ? 'it' : 'them'} (\`berth apps deploy ${after.name}\`)`);
  if (values.json) ctx.print(json(after));
  return 0;
}

/** Where a git host is told to send pushes, said once for every host we name. */
function webhookHowTo(app: App, url: string): string[] {
  const lines = [
    'The secret is shown this once: keep it in the git host only (running this again makes a new one, and the old one stops working).',
    app.source.kind === 'git'
      ? `Add the webhook to the repository; a push to ${app.source.branch} deploys ${app.name}:`
      : `Add the webhook to the repository; note ${app.name} deploys from an environment's folder, so pushes change nothing until its source is a git branch:`,
    '  GitHub:         Settings → Webhooks → Add webhook. Payload URL: the URL; Content type: application/json;',
    '                  Secret: the secret; "Just the push event".',
    '  Gitea, Forgejo: Settings → Webhooks → Add webhook → Gitea (or Forgejo). Target URL: the URL; method POST;',
    '                  Content type: application/json; Secret: the secret; Trigger on: Push events.',
  ];
  const host = new URL(url).hostname;
  if (host === 'localhost' || host.startsWith('127.') || host === '[::1]') lines.push(`The URL names ${host}, the address you reach the server at: a git host elsewhere cannot (log in by an address it can reach, \`berth login URL\`).`);
  return lines;
}

/** `berth apps webhook APP [--json]`: the URL and the secret on stdout, how to use them on stderr. */
export async function webhook(ctx: Context, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' } });
  if (positionals.length > 1) throw new UsageError('one app at a time: berth apps webhook APP');
  const client = await ctx.client();
  const app = await resolveApp(client, positionals[0]);
  const hook = await client.call('apps.webhook', { params: { id: app.id } });
  ctx.print(values.json ? json(hook) : `URL     ${hook.url}\nSecret  ${hook.secret}`);
  ctx.note(webhookHowTo(app, hook.url).map((line, i) => (i === 0 ? ctx.err.yellow(line) : line)).join('\n'));
  return 0;
}
