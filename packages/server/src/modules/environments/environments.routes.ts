import {
  CreateEnvironmentBodySchema,
  EgressBodySchema,
  IdSchema,
  EnvironmentListSchema,
  EnvironmentSchema,
  EnvironmentStatsSchema,
  EventListSchema,
  EventsQuerySchema,
  ExecBodySchema,
  ExecResultSchema,
  IdParamsSchema,
  ListEnvironmentsQuerySchema,
} from '@berth/contracts';
import { responses } from '../../http/responses.js';
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
  const tags = ['environments'];
  /** Routes under /environments/:id name an environment: seeing it (view), using it (use: exec) or managing it (manage: lifecycle). */
  const view = { owns: 'environment', level: 'view' } as const;
  const use = { owns: 'environment', level: 'use', scope: 'exec' } as const;
  const manage = { owns: 'environment', level: 'manage' } as const;
  /** Lifecycle: an exec token runs, stops and deletes environments; egress stays with admin ones. */
  const lifecycle = { ...manage, scope: 'exec' } as const;

  app.post(
    '/environments',
    { config: { scope: 'exec' }, schema: { tags, summary: 'Create an environment (it starts at once)', body: CreateEnvironmentBodySchema, response: responses({ 202: EnvironmentSchema }) } },
    async (request, reply) => reply.code(202).send(await environments.create(request.ctx, request.body)),
  );

  app.get(
    '/environments',
    { schema: { tags, summary: "The caller's environments (admins: ?all=true for everyone's)", querystring: ListEnvironmentsQuerySchema, response: responses({ 200: EnvironmentListSchema }) } },
    async (request) => ({ items: await environments.list(request.ctx, request.query.all === 'true') }),
  );

  app.get(
    '/environments/:id',
    { config: view, schema: { tags, summary: 'One environment', params: IdParamsSchema, response: responses({ 200: EnvironmentSchema }) } },
    (request) => environments.get(request.ctx, request.params.id),
  );

  for (const op of ['start', 'stop', 'restart'] as const) {
    app.post(
      `/environments/:id/${op}`,
      { config: lifecycle, schema: { tags, summary: `Ask the environment to ${op}`, params: IdParamsSchema, response: responses({ 202: EnvironmentSchema }) } },
      async (request, reply) => reply.code(202).send(await environments.lifecycle(request.ctx, request.params.id, op)),
    );
  }

  app.delete(
    '/environments/:id',
    { config: lifecycle, schema: { tags, summary: 'Delete the environment and its workspace', params: IdParamsSchema, response: responses({ 202: EnvironmentSchema }) } },
    async (request, reply) => reply.code(202).send(await environments.lifecycle(request.ctx, request.params.id, 'delete')),
  );

  app.put(
    '/environments/:id/egress',
    {
      schema: {
        tags,
        summary: 'Replace the egress policy (owner: internet or none; admins: allowlist too); a running environment moves onto it without a restart',
        params: IdParamsSchema,
        body: EgressBodySchema,
        response: responses({ 202: EnvironmentSchema }),
      },
      // Who may touch the environment is settled before its body is read (a stranger learns nothing of the schema).
      preValidation: async (request) => {
        const id = IdSchema.safeParse((request.params as { id?: unknown }).id);
        if (id.success) await environments.visible(request.ctx.actor, id.data, 'manage');
      },
    },
    async (request, reply) => reply.code(202).send(await environments.setEgress(request.ctx, request.params.id, request.body)),
  );

  app.get(
    '/environments/:id/events',
    { config: view, schema: { tags, summary: 'Status changes and provisioning log, oldest first, after `since`', params: IdParamsSchema, querystring: EventsQuerySchema, response: responses({ 200: EventListSchema }) } },
    async (request) => ({ items: await environments.events(request.ctx, request.params.id, request.query.since, request.query.limit) }),
  );

  app.get(
    '/environments/:id/events/ws',
    { websocket: true, config: view, schema: { tags, summary: 'WebSocket: replays events after `since`, then follows live', params: IdParamsSchema, querystring: EventsQuerySchema } },
    (socket, request) => followEvents(socket, request, { environments, bus, timing: eventsStream }),
  );

  app.get(
    '/environments/:id/stats',
    { config: view, schema: { tags, summary: 'Current CPU, memory, pids, network and block I/O of a running environment', params: IdParamsSchema, response: responses({ 200: EnvironmentStatsSchema }) } },
    (request) => environments.stats(request.ctx, request.params.id),
  );

  app.post(
    '/environments/:id/exec/stream',
    {
      config: use,
      schema: {
        tags,
        summary: 'Run a command and stream its output as it comes (application/x-ndjson: stdout/stderr chunks in base64, then exit)',
        params: IdParamsSchema,
        body: ExecBodySchema,
      },
    },
    async (request, reply) => {
      // Refusals come before the stream starts, as ordinary problem+json answers.
      const lines = await execStreams.open(request.ctx, request.params.id, request.body, { since: request.liveSince, connection: reply.raw, log: request.log });
      return reply.type('application/x-ndjson').send(lines);
    },
  );

  app.post(
    '/environments/:id/exec',
    { config: use, schema: { tags, summary: 'Run a command and return its output', params: IdParamsSchema, body: ExecBodySchema, response: responses({ 200: ExecResultSchema }) } },
    (request) => environments.exec(request.ctx, request.params.id, request.body),
  );
}
