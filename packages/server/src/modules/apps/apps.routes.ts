import { PassThrough } from 'node:stream';
import { WEBHOOK_SIGNATURE_HEADER } from '@berth/contracts';
import { route } from '../../http/route.js';
import { NotFoundError } from '../../errors.js';
import type { App } from '../../http/types.js';
import type { AppDatabases } from './apps.database.js';
import type { AppsService } from './apps.service.js';

/** Push events are small (GitHub caps them at 25 MB, but a push's is kilobytes); this bounds what is hashed. */
const PUSH_BODY_LIMIT_BYTES = 1024 * 1024;

/** An app's routes: authorized by the hook (http/authorization.ts) on the app the path names, before the body is read. */
export function registerAppsRoutes(app: App, { apps, databases, maxRestoreBytes }: { apps: AppsService; databases: AppDatabases; maxRestoreBytes: number }): void {
  const view = { config: { owns: 'app', level: 'view' } } as const;
  const deploy = { config: { owns: 'app', level: 'use' } } as const;
  const manage = { config: { owns: 'app', level: 'manage' } } as const;
  route(app, 'apps.list', {}, async (request) => ({ items: await apps.list(request.ctx) }));
  route(app, 'apps.create', {}, (request) => apps.create(request.ctx, request.body));
  route(app, 'apps.get', view, (request) => apps.get(request.ctx, request.params.id));
  route(app, 'apps.update', deploy, (request) => apps.update(request.ctx, request.params.id, request.body));
  route(app, 'apps.delete', manage, (request) => apps.remove(request.ctx, request.params.id));
  route(app, 'apps.deploy', deploy, (request) => apps.deploy(request.ctx, request.params.id));
  route(app, 'apps.releases', view, async (request) => ({ items: await apps.releases(request.ctx, request.params.id) }));
  route(app, 'apps.rollback', deploy, (request) => apps.rollback(request.ctx, request.params.id, request.body.release));
  route(app, 'apps.config', view, async (request) => ({ items: await apps.config(request.ctx, request.params.id) }));
  route(app, 'apps.setConfig', deploy, async (request) => ({ items: await apps.setConfig(request.ctx, request.params.id, request.body) }));
  // Caddy asks before it requests a certificate on demand: only hosts of apps that exist get one.
  route(app, 'edge.ask', { config: { public: true } }, async (request) => {
    if (!(await apps.servesHost(request.query.domain))) throw new NotFoundError('App');
  });
  route(app, 'apps.logs', view, (request) => apps.logs(request.ctx, request.params.id, request.query.tail));
  route(app, 'apps.metrics', view, (request) => apps.metrics(request.ctx, request.params.id));
  const domains = { config: { owns: 'app', level: 'manage' } } as const;
  route(app, 'apps.domains', view, async (request) => ({ items: await apps.domains(request.ctx, request.params.id) }));
  route(app, 'apps.addDomain', domains, (request) => apps.addDomain(request.ctx, request.params.id, request.body.host));
  route(app, 'apps.removeDomain', domains, (request) => apps.removeDomain(request.ctx, request.params.id, request.params.host));
  route(app, 'apps.database', view, (request) => databases.get(request.ctx, request.params.id));
  route(app, 'apps.addDatabase', deploy, (request) => databases.add(request.ctx, request.params.id));
  route(app, 'apps.removeDatabase', manage, (request) => databases.remove(request.ctx, request.params.id, request.query.confirm));
  route(app, 'apps.backup', deploy, async (request, reply) => {
    const write = await databases.backup(request.ctx, request.params.id);
    const out = new PassThrough();
    void write(out).catch((err: unknown) => out.destroy(err as Error));
    return reply.type('application/sql; charset=utf-8').header('content-disposition', 'attachment; filename="backup.sql"').send(out);
  });
  void app.register(async (raw: App) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxRestoreBytes }, (_request, body, done) => done(null, body));
    route(raw, 'apps.restore', { ...manage, bodyLimit: maxRestoreBytes }, async (request, reply) => {
      await databases.restore(request.ctx, request.params.id, request.body ?? Buffer.alloc(0));
      return reply.code(204).send();
    });
  });
  route(app, 'apps.webhook', deploy, (request) => apps.webhook(request.ctx, request.params.id, `${request.protocol}://${request.headers.host ?? 'localhost'}`));
  // Public: the body's HMAC is the credential, checked over the bytes as they came.
  void app.register(async (raw: App) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: PUSH_BODY_LIMIT_BYTES }, (_request, body, done) => done(null, body));
    route(raw, 'apps.push', { config: { public: true }, bodyLimit: PUSH_BODY_LIMIT_BYTES }, async (request, reply) => {
      const signature = request.headers[WEBHOOK_SIGNATURE_HEADER];
      const release = await apps.push(request.ctx, request.params.id, request.body ?? Buffer.alloc(0), typeof signature === 'string' ? signature : undefined);
      return release ? reply.code(202).send(release) : reply.code(204).send();
    });
  });
  route(app, 'apps.events', view, async (request) => ({ items: await apps.events(request.ctx, request.params.id, request.query.since) }));
}
