import {
  ArchiveQuerySchema,
  DeleteQuerySchema,
  FILE_MAX_BYTES,
  FileListSchema,
  IdParamsSchema,
  MkdirBodySchema,
  MoveBodySchema,
  PathQuerySchema,
  SearchQuerySchema,
  SearchResultSchema,
} from '@berth/contracts';
import { z } from 'zod';
import { responses } from '../../http/responses.js';
import type { App } from '../../http/types.js';
import type { FilesService } from './files.service.js';

const WrittenSchema = z.object({ path: z.string(), etag: z.string() });

export function registerFilesRoutes(app: App, { files, maxArchiveBytes }: { files: FilesService; maxArchiveBytes: number }): void {
  const tags = ['files'];
  const base = '/environments/:id/files';
  const config = { owns: 'environment', level: 'use' } as const;
  /** Changing the workspace needs an exec token (reading it, a read one). */
  const writes = { ...config, scope: 'exec' } as const;

  app.get(base, { config, schema: { tags, summary: 'List a folder', params: IdParamsSchema, querystring: PathQuerySchema, response: responses({ 200: FileListSchema }) } }, (request) =>
    files.list(request.ctx, request.params.id, request.query.path),
  );

  app.get(
    `${base}/content`,
    { config, schema: { tags, summary: "A file's bytes, with its revision as ETag", params: IdParamsSchema, querystring: PathQuerySchema } },
    async (request, reply) => {
      const { content, etag } = await files.read(request.ctx, request.params.id, request.query.path);
      return reply.header('etag', etag).type('application/octet-stream').send(content);
    },
  );

  app.post(
    `${base}/mkdir`,
    { config: writes, schema: { tags, summary: 'Create a folder (and its parents)', params: IdParamsSchema, body: MkdirBodySchema, response: responses({ 204: z.null() }) } },
    async (request, reply) => {
      await files.mkdir(request.ctx, request.params.id, request.body.path);
      return reply.code(204).send(null);
    },
  );

  app.post(
    `${base}/move`,
    { config: writes, schema: { tags, summary: 'Move or rename', params: IdParamsSchema, body: MoveBodySchema, response: responses({ 204: z.null() }) } },
    async (request, reply) => {
      await files.move(request.ctx, request.params.id, request.body.from, request.body.to, request.body.overwrite);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    base,
    { config: writes, schema: { tags, summary: 'Delete a file, or a folder with recursive=true', params: IdParamsSchema, querystring: DeleteQuerySchema, response: responses({ 204: z.null() }) } },
    async (request, reply) => {
      await files.remove(request.ctx, request.params.id, request.query.path, request.query.recursive === 'true');
      return reply.code(204).send(null);
    },
  );

  app.get(
    `${base}/archive`,
    { config, schema: { tags, summary: 'Download a folder as tar.gz or zip', params: IdParamsSchema, querystring: ArchiveQuerySchema } },
    async (request, reply) => {
      const { body, name } = await files.download(request.ctx, request.params.id, request.query.path, request.query.format);
      const type = request.query.format === 'zip' ? 'application/zip' : 'application/gzip';
      return reply.type(type).header('content-disposition', `attachment; filename="${name.replace(/"/g, '')}"`).send(body);
    },
  );

  app.get(
    `${base}/search`,
    { config, schema: { tags, summary: 'Literal text search (binary files skipped, bounded in time and results)', params: IdParamsSchema, querystring: SearchQuerySchema, response: responses({ 200: SearchResultSchema }) } },
    (request) => files.search(request.ctx, request.params.id, request.query.q, request.query.path, request.query.limit),
  );

  // Raw bodies: any content type is the file's bytes here, and only here.
  void app.register(async (raw: App) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: Math.max(FILE_MAX_BYTES, maxArchiveBytes) }, (_request, body, done) => done(null, body));
    raw.put(
      `${base}/content`,
      {
        bodyLimit: FILE_MAX_BYTES,
        config: writes,
        schema: { tags, summary: 'Write a file (parents created); If-Match refuses a stale revision with 412', params: IdParamsSchema, querystring: PathQuerySchema, response: responses({ 200: WrittenSchema, 201: WrittenSchema }) },
      },
      async (request, reply) => {
        const ifMatch = request.headers['if-match'];
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0); // no body: an empty file
        const { etag, created } = await files.write(request.ctx, request.params.id, request.query.path, body, typeof ifMatch === 'string' ? ifMatch : undefined);
        return reply.code(created ? 201 : 200).header('etag', etag).send({ path: request.query.path, etag });
      },
    );
    raw.post(
      `${base}/archive`,
      { bodyLimit: maxArchiveBytes, config: writes, schema: { tags, summary: 'Upload a tar.gz or zip (detected from its bytes) and unpack it into a folder', params: IdParamsSchema, querystring: PathQuerySchema, response: responses({ 200: z.object({ entries: z.number().int() }) }) } },
      async (request) => files.upload(request.ctx, request.params.id, request.query.path, Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)),
    );
  });
}
