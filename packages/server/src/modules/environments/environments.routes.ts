import { IdSchema } from '@berth/contracts';
import { route, socketRoute } from '../../http/route.js';
import type { App } from '../../http/types.js';
import type { EventBus } from '../../control/event-bus.js';
import type { ExecStreams } from './environments.exec-stream.js';
import type { EnvironmentsService } from './environments.service.js';
import { followEvents, type FollowDeps } from './events.socket.js';

interface Deps {
  environments: EnvironmentsService;
  bus: EventBus;
  execStreams: ExecStreams;
  /** How the event WebSocket keeps alive and polls. */
  eventsStream: FollowDeps['timing'];
}

export function registerEnvironmentsRoutes(app: App, { environments, bus, execStreams, eventsStream }: Deps): void {
  /** Routes under /environments/:id name an environment: seeing it (view), using it (use: exec) or managing it (manage: lifecycle). */
  const view = { config: { owns: 'environment', level: 'view' } } as const;
  const use = { config: { owns: 'environment', level: 'use', scope: 'exec' } } as const;
  /** Lifecycle: an exec token runs, stops and deletes environments; egress stays with admin ones. */
  const lifecycle = { config: { owns: 'environment', level: 'manage', scope: 'exec' } } as const;

  route(app, 'environments.create', { config: { scope: 'exec' } }, (request) => environments.create(request.ctx, request.body));
  route(app, 'environments.list', {}, async (request) => ({ items: await environments.list(request.ctx, request.query.all === 'true') }));
  route(app, 'environments.get', view, (request) => environments.get(request.ctx, request.params.id));
  route(app, 'environments.start', lifecycle, (request) => environments.lifecycle(request.ctx, request.params.id, 'start'));
  route(app, 'environments.stop', lifecycle, (request) => environments.lifecycle(request.ctx, request.params.id, 'stop'));
  route(app, 'environments.restart', lifecycle, (request) => environments.lifecycle(request.ctx, request.params.id, 'restart'));
  route(app, 'environments.delete', lifecycle, (request) => environments.lifecycle(request.ctx, request.params.id, 'delete'));

  route(
    app,
    'environments.setEgress',
    {
      // Who may touch the environment is settled before its body is read (a stranger learns nothing of the schema).
      preValidation: async (request) => {
        const id = IdSchema.safeParse((request.params as { id?: unknown }).id);
        if (id.success) await environments.visible(request.ctx.actor, id.data, 'manage');
      },
    },
    (request) => environments.setEgress(request.ctx, request.params.id, request.body),
  );

  // Administrators only, decided before the body is read.
  route(app, 'environments.move', { config: { authorize: 'nodes.manage' } }, (request) => environments.move(request.ctx, request.params.id, request.body));

  route(app, 'environments.events', view, async (request) => ({ items: await environments.events(request.ctx, request.params.id, request.query.since, request.query.limit) }));
  socketRoute(app, 'environments.eventsSocket', view, (socket, request) => followEvents(socket, request, { environments, bus, timing: eventsStream }));
  route(app, 'environments.stats', view, (request) => environments.stats(request.ctx, request.params.id));

  route(app, 'environments.execStream', use, async (request, reply) => {
    // Refusals come before the stream starts, as ordinary problem+json answers.
    const lines = await execStreams.open(request.ctx, request.params.id, request.body, { since: request.liveSince, connection: reply.raw, log: request.log });
    return reply.type('application/x-ndjson').send(lines);
  });
  route(app, 'environments.exec', use, (request) => environments.exec(request.ctx, request.params.id, request.body));
}
