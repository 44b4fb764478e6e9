import type { App } from '../../http/types.js';
import { ListDirRequestSchema, MoveRequestSchema, PathRequestSchema } from './e2b.contracts.js';
import { EnvdError } from './e2b.errors.js';
import { resolvePath } from './envd.files.js';
import { envdConstraint, type Announce, type EnvdDeps } from './envd.context.js';

/** E2B's filesystem service (filesystem.Filesystem): unary Connect calls, JSON in and out. `files` resolves the paths. */
export function registerEnvdFilesystemRoutes(envd: App, { files }: EnvdDeps, announce: Announce): void {
  const route = { constraints: envdConstraint };
  const schema = { hide: true };

  envd.post('/filesystem.Filesystem/Stat', { ...route, schema: { ...schema, body: PathRequestSchema } }, async (request) => ({
    entry: await files.stat(request.sandbox.env.id, request.body.path),
  }));

  envd.post('/filesystem.Filesystem/ListDir', { ...route, schema: { ...schema, body: ListDirRequestSchema } }, async (request) => ({
    entries: await files.list(request.sandbox.env.id, request.body.path, Math.max(request.body.depth ?? 1, 1)),
  }));

  envd.post('/filesystem.Filesystem/MakeDir', { ...route, schema: { ...schema, body: PathRequestSchema } }, async (request) => {
    const entry = await files.makeDir(request.sandbox.env.id, request.body.path);
    await announce(request, 'file.mkdir', 'file.changed', { path: entry.path });
    return { entry };
  });

  envd.post('/filesystem.Filesystem/Move', { ...route, schema: { ...schema, body: MoveRequestSchema } }, async (request) => {
    const from = resolvePath(request.body.source);
    const entry = await files.move(request.sandbox.env.id, from, resolvePath(request.body.destination));
    await announce(request, 'file.move', 'file.moved', { from, to: entry.path });
    return { entry };
  });

  envd.post('/filesystem.Filesystem/Remove', { ...route, schema: { ...schema, body: PathRequestSchema } }, async (request) => {
    const target = resolvePath(request.body.path);
    await files.remove(request.sandbox.env.id, target);
    await announce(request, 'file.delete', 'file.deleted', { path: target });
    return {};
  });

  envd.post('/filesystem.Filesystem/:method', { ...route, schema }, async (request) => {
    throw new EnvdError('unimplemented', `${(request.params as { method: string }).method} is not supported by Berth`);
  });
}
