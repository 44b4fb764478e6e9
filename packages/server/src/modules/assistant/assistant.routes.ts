import type { FastifyRequest } from 'fastify';
import { NotFoundError } from '../../errors.js';
import { route, socketRoute } from '../../http/route.js';
import type { App } from '../../http/types.js';
import type { EnvironmentsService } from '../environments/environments.service.js';
import type { AssistantService } from './assistant.service.js';
import { runAssistantSession, type SessionDeps, type SessionEnvironment } from './assistant.session.js';

interface Deps {
  assistant: AssistantService;
  environments: Pick<EnvironmentsService, 'visibleIn'>;
  session: Omit<SessionDeps, 'assistant' | 'log'>;
}

/** The AI assistant's WebSocket (one environment's, used as the terminal is) and its usage reports. */
export function registerAssistantRoutes(app: App, { assistant, environments, session }: Deps): void {
  /** The environment each upgrade was authorized for, from its preHandler to its socket. */
  const authorized = new WeakMap<FastifyRequest, SessionEnvironment>();

  socketRoute(
    app,
    'environments.assistant',
    {
      config: { owns: 'environment', level: 'use', scope: 'exec' },
      // Refusals happen before the upgrade, as ordinary problem+json answers.
      preHandler: async (request) => {
        const env = await environments.visibleIn(request.ctx, request.params.id, 'use');
        if (env.desiredState === 'deleted') throw new NotFoundError('Environment');
        authorized.set(request, { id: env.id, name: env.name, orgId: env.orgId });
      },
    },
    (socket, request) => runAssistantSession(socket, request.ctx, authorized.get(request)!, { ...session, assistant, log: request.log }),
  );

  route(app, 'assistant.usage', { config: { authorize: 'assistant.usage' } }, (request) => assistant.usage(request.ctx, request.query.days));
  route(app, 'orgs.assistantUsage', { config: { org: 'org.manage' } }, (request) => assistant.orgUsage(request.ctx, request.params.org, request.query.days));
  route(app, 'orgs.setMemberAssistant', { config: { org: 'org.manage' } }, (request) =>
    assistant.setMemberLimit(request.ctx, request.params.org, request.params.username, request.body.usesPerDay),
  );
}
