import { SOCKET_CLOSE_TOO_MANY, type TerminalServerMessage } from '@berth/contracts';
import { requireActor } from '../../context.js';
import { AppError } from '../../errors.js';
import { socketRoute } from '../../http/route.js';
import type { App } from '../../http/types.js';
import type { EnvironmentsService } from '../environments/environments.service.js';
import type { TerminalSessions } from './terminal.sessions.js';

export function registerTerminalRoutes(app: App, { environments, terminals }: { environments: EnvironmentsService; terminals: TerminalSessions }): void {
  socketRoute(
    app,
    'environments.terminal',
    {
      config: { owns: 'environment', level: 'use', scope: 'exec' },
      // Refusals happen before the upgrade, as ordinary problem+json answers.
      preHandler: async (request) => {
        await environments.running(request.ctx, request.params.id);
        terminals.checkLimit(request.params.id, request.query.session, requireActor(request.ctx).id);
      },
    },
    async (socket, request) => {
      const { id } = request.params;
      const { session, cols, rows } = request.query;
      try {
        await terminals.attach(socket, id, session, requireActor(request.ctx).id, { cols, rows });
      } catch (err) {
        const code = err instanceof AppError ? err.code : 'internal_error';
        if (!(err instanceof AppError)) request.log.error({ err }, 'could not open a terminal');
        const message: TerminalServerMessage = { type: 'error', code, message: err instanceof AppError ? err.message : 'could not open a terminal' };
        socket.send(JSON.stringify(message));
        socket.close(code === 'terminal_limit' ? SOCKET_CLOSE_TOO_MANY : 1011, code);
      }
    },
  );
}
