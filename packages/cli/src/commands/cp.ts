import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ApiError, type ApiClient } from '../client.js';
import { progressBar } from '../progress.js';
import { packFolder, unpackFolder } from '../archive.js';
import { CliError, parse, UsageError, type Context } from '../context.js';
import { resolveEnvironment } from '../resolve.js';
import type { Command } from './command.js';

interface Remote {
  env: string;
  path: string;
}

/** `ENV:PATH` is remote; anything with a "/" before its first ":" (./a:b, /tmp/x:y) is a local path. */
function remoteOf(arg: string): Remote | undefined {
  const colon = arg.indexOf(':');
  if (colon < 1 || arg.slice(0, colon).includes('/')) return undefined;
  return { env: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

async function isRemoteFolder(client: ApiClient, id: string, p: string): Promise<boolean> {
  try {
    await client.json('GET', `/environments/${encodeURIComponent(id)}/files`, { query: { path: p } });
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return false;
    throw err;
  }
}

const remoteJoin = (dir: string, name: string) => (dir === '' || dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`);
const remoteBase = (p: string) => p.replace(/\/+$/, '').split('/').pop() || 'workspace';

async function upload(ctx: Context, local: string, remote: Remote): Promise<void> {
  const info = await stat(local).catch(() => {
    throw new CliError(`${local}: no such file or folder`);
  });
  const client = await ctx.client();
  const env = await resolveEnvironment(client, remote.env);
  // Like cp: into an existing folder, the source keeps its name.
  const dest = (await isRemoteFolder(client, env.id, remote.path)) ? remoteJoin(remote.path, path.basename(path.resolve(local))) : remote.path;
  const bar = progressBar(ctx.io.stderr, '↑');
  if (info.isDirectory()) {
    const { archive, entries } = await packFolder(local);
    await client.uploadArchive(env.id, dest, archive, bar.update);
    bar.done();
    ctx.note(`Copied ${entries} entries to ${env.name}:${dest || '/workspace'}`);
  } else {
    const content = await readFile(local);
    await client.writeFile(env.id, dest, content, bar.update);
    bar.done();
    ctx.note(`Copied ${content.length} bytes to ${env.name}:${dest}`);
  }
}

async function download(ctx: Context, remote: Remote, local: string): Promise<void> {
  const client = await ctx.client();
  const env = await resolveEnvironment(client, remote.env);
  const localIsFolder = (await stat(local).catch(() => undefined))?.isDirectory() ?? false;
  const dest = localIsFolder ? path.join(local, remoteBase(remote.path)) : local;
  const bar = progressBar(ctx.io.stderr, '↓');
  try {
    const content = await client.readFile(env.id, remote.path, bar.update);
    bar.done();
    await mkdir(path.dirname(path.resolve(dest)), { recursive: true });
    await writeFile(dest, content);
    ctx.note(`Copied ${content.length} bytes to ${dest}`);
  } catch (err) {
    // A folder answers "conflict: not a file": fetch it as an archive instead.
    if (!(err instanceof ApiError && err.code === 'conflict')) throw err;
    const archive = await client.downloadArchive(env.id, remote.path, bar.update);
    bar.done();
    const count = await unpackFolder(archive, dest, (message) => ctx.note(`${ctx.err.yellow('warning:')} ${message}`));
    ctx.note(`Copied ${count} entries to ${dest}`);
  }
}

export const cp: Command = {
  name: 'cp',
  summary: 'Copy files and folders to or from an environment',
  usage: `Usage: berth cp LOCAL ENV:PATH
       berth cp ENV:PATH LOCAL

Copies a file or a whole folder (as a tar.gz under the hood). PATH is relative
to /workspace (or absolute inside it); an empty PATH is /workspace itself.
As with cp -r, copying into an existing folder keeps the source's name there;
otherwise the destination becomes the copy. The environment must be running.`,
  async run(ctx, args) {
    const { positionals } = parse(args, {});
    if (positionals.length !== 2) throw new UsageError('give a source and a destination');
    const [from, to] = positionals as [string, string];
    const source = remoteOf(from);
    const dest = remoteOf(to);
    if (source && dest) throw new UsageError('copy between environments through your machine: one side must be local');
    if (!source && !dest) throw new UsageError('one side must be ENV:PATH');
    if (dest) await upload(ctx, from, dest);
    else await download(ctx, source!, to);
    return 0;
  },
};
