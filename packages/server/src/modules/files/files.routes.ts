import { FILE_MAX_BYTES } from '@berth/contracts';
import { route } from '../../http/route.js';
import type { App } from '../../http/types.js';
import type { FilesService } from './files.service.js';

export function registerFilesRoutes(app: App, { files, maxArchiveBytes }: { files: FilesService; maxArchiveBytes: number }): void {
  const reads = { config: { owns: 'environment', level: 'use' } } as const;
  /** Changing the workspace needs an exec token (reading it, a read one). */
  const writes = { config: { ...reads.config, scope: 'exec' } } as const;

  route(app, 'files.list', reads, (request) => files.list(request.ctx, request.params.id, request.query.path));
  route(app, 'files.read', reads, async (request, reply) => {
    const { content, etag } = await files.read(request.ctx, request.params.id, request.query.path);
    return reply.header('etag', etag).type('application/octet-stream').send(content);
  });
  route(app, 'files.mkdir', writes, (request) => files.mkdir(request.ctx, request.params.id, request.body.path));
  route(app, 'files.move', writes, (request) => files.move(request.ctx, request.params.id, request.body.from, request.body.to, request.body.overwrite));
  route(app, 'files.remove', writes, (request) => files.remove(request.ctx, request.params.id, request.query.path, request.query.recursive === 'true'));
  route(app, 'files.download', reads, async (request, reply) => {
    const { body, name } = await files.download(request.ctx, request.params.id, request.query.path, request.query.format);
    const type = request.query.format === 'zip' ? 'application/zip' : 'application/gzip';
    return reply.type(type).header('content-disposition', `attachment; filename="${name.replace(/"/g, '')}"`).send(body);
  });
  route(app, 'files.search', reads, (request) => files.search(request.ctx, request.params.id, request.query.q, request.query.path, request.query.limit));

  // Raw bodies: any content type is the file's bytes here, and only here.
  void app.register(async (raw: App) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: Math.max(FILE_MAX_BYTES, maxArchiveBytes) }, (_request, body, done) => done(null, body));
    route(raw, 'files.write', { ...writes, bodyLimit: FILE_MAX_BYTES }, async (request, reply) => {
      const ifMatch = request.headers['if-match'];
      const { etag, created } = await files.write(request.ctx, request.params.id, request.query.path, request.body ?? Buffer.alloc(0), typeof ifMatch === 'string' ? ifMatch : undefined);
      return reply.code(created ? 201 : 200).header('etag', etag).send({ path: request.query.path, etag });
    });
    route(raw, 'files.upload', { ...writes, bodyLimit: maxArchiveBytes }, (request) => files.upload(request.ctx, request.params.id, request.query.path, request.body ?? Buffer.alloc(0)));
  });
}
