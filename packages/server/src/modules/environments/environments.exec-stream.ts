import { PassThrough, type Readable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { SOCKET_CLOSE_REVOKED_REASON, type ExecBody, type ExecStreamLine } from '@berth/contracts';
import { requireActor, type RequestContext } from '../../context.js';
import { AppError } from '../../errors.js';
import { writeOrWait } from '../../streams.js';
import { principalOf, type LiveConnections } from '../auth/live-connections.js';
import type { EnvironmentsService } from './environments.service.js';

interface Deps {
  environments: Pick<EnvironmentsService, 'running' | 'exec'>;
  live: Pick<LiveConnections, 'open'>;
}

export interface ExecStreamOptions {
  /** The connection's revocation epoch (request.liveSince): a revocation announced since then ends the stream too. */
  since: number;
  /** The client's connection: when it closes, the stream stops counting as a live connection of the caller. */
  connection: { once(event: 'close', listener: () => void): unknown };
  log: FastifyBaseLogger;
}

/**
 * A command's output as it comes, one JSON line per chunk (stdout/stderr in
 * base64), then its exit: the body of an `application/x-ndjson` answer.
 */
export function createExecStreams({ environments, live }: Deps) {
  /** Refuses up front (as an ordinary problem+json answer), else starts the command and returns its lines. */
  async function open(ctx: RequestContext, id: string, body: ExecBody, { since, connection, log }: ExecStreamOptions): Promise<Readable> {
    await environments.running(ctx, id);
    const out = new PassThrough();
    // Backpressure: while the client has not taken what was sent, the command waits on its writes.
    const line = (message: ExecStreamLine) => writeOrWait(out, `${JSON.stringify(message)}\n`);
    // A client that goes away (Fastify then destroys `out`) ends the command: nobody would read it.
    const gone = new AbortController();
    out.once('close', () => gone.abort());
    // Revoking the caller's credentials ends the stream, and with it the command.
    const release = live.open(
      principalOf(requireActor(ctx)),
      'stream',
      () => {
        void line({ type: 'error', code: 'unauthorized', message: SOCKET_CLOSE_REVOKED_REASON });
        out.end();
      },
      since,
    );
    connection.once('close', release);
    void environments
      .exec(ctx, id, body, (stream, chunk) => line({ type: stream, data: chunk.toString('base64') }), gone.signal)
      .then((r) => void line({ type: 'exit', exitCode: r.exitCode, timedOut: r.timedOut, durationMs: r.durationMs }))
      .catch((err: unknown) => {
        log.warn({ err }, 'streamed exec failed');
        void line({ type: 'error', code: err instanceof AppError ? err.code : 'internal_error', message: err instanceof AppError ? err.message : 'the command could not run' });
      })
      .finally(() => out.end());
    return out;
  }

  return { open };
}

export type ExecStreams = ReturnType<typeof createExecStreams>;
