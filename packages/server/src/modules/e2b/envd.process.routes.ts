import type { FastifyReply, FastifyRequest } from 'fastify';
import { BerthError } from '../../errors.js';
import type { App } from '../../http/types.js';
import { SpawnError } from '../../runtime/driver.js';
import { openStream, type ConnectStream } from './connect-protocol.js';
import {
  CloseStdinRequestSchema,
  ConnectRequestSchema,
  SendInputRequestSchema,
  SendSignalRequestSchema,
  StartRequestSchema,
  UpdateRequestSchema,
} from './e2b.contracts.js';
import { connectErrorOf, EnvdError, type ConnectCode } from './e2b.errors.js';
import { envdConstraint, type EnvdDeps } from './envd.context.js';
import type { EnvdProcessService } from './envd.process.service.js';
import type { Listener, ProcessEvent } from './envd.processes.js';

/** The process event as envd's JSON: bytes in base64, exactly one oneof member. */
function wire(event: ProcessEvent): unknown {
  if (!('data' in event)) return { event };
  const [[stream, chunk]] = Object.entries(event.data) as [[string, Buffer]];
  return { event: { data: { [stream]: chunk.toString('base64') } } };
}

const numberHeader = (request: FastifyRequest, name: string): number => {
  const value = Number(request.headers[name]);
  return Number.isFinite(value) && value > 0 ? value : 0;
};

/**
 * Relays a process's events onto a Connect stream until it ends, with a
 * keep-alive after `Keepalive-Ping-Interval` seconds of silence. Returns the
 * listener and what to do when the client goes away (the process lives on).
 */
function relay(
  request: FastifyRequest,
  reply: FastifyReply,
  onEnd: () => void,
  live: EnvdDeps['live'],
): { stream: ConnectStream; listener: Listener; fail: (error: { code: ConnectCode; message: string }) => void; onClientGone: (detach: () => void) => void } {
  let keepalive: NodeJS.Timeout | undefined;
  let detachOnRevoke = () => {};
  // The stream acts for the sandbox's owner: it ends when they are deactivated (the process lives on, as after a disconnect).
  // Registered before the response starts, so an owner revoked meanwhile gets an ordinary refusal.
  const release = live.open({ userId: request.sandbox.env.ownerId }, 'stream', () => {
    clearTimeout(keepalive);
    detachOnRevoke();
    stream.end({ code: 'unauthenticated', message: "the sandbox owner's access was revoked" });
  }, request.liveSince);
  reply.raw.once('close', release);
  reply.hijack();
  const stream = openStream(reply.raw);
  const keepaliveMs = numberHeader(request, 'keepalive-ping-interval') * 1000;
  const rearm = () => {
    clearTimeout(keepalive);
    if (keepaliveMs) keepalive = setTimeout(() => (void stream.send({ event: { keepalive: {} } }), rearm()), keepaliveMs);
  };
  const listener: Listener = (event) => {
    const wait = stream.send(wire(event));
    rearm();
    if ('end' in event) {
      clearTimeout(keepalive);
      onEnd();
      stream.end();
    }
    return wait;
  };
  return {
    stream,
    listener,
    fail: (error) => {
      clearTimeout(keepalive);
      stream.end(error);
    },
    // Detaching stops this listener holding the process back and its output being framed for nobody.
    // (A response that ended normally closes too; detaching then is harmless.)
    onClientGone: (detach) => {
      detachOnRevoke = detach;
      const gone = () => {
        clearTimeout(keepalive);
        detach();
      };
      if (reply.raw.destroyed) gone();
      else reply.raw.once('close', gone);
    },
  };
}

/**
 * A process that could not start, as the stream's last frame (the response is
 * already the stream). Connect wants it there for streams: the SDK reads
 * resource_exhausted as its RateLimitError, where an HTTP 429 before the
 * stream would read as "the sandbox is gone".
 */
function startFailure(err: unknown, request: FastifyRequest): { code: ConnectCode; message: string } {
  if (err instanceof SpawnError) return { code: 'invalid_argument', message: err.message };
  if (err instanceof BerthError) return connectErrorOf(err);
  request.log.error({ err }, 'could not start an E2B process');
  return { code: 'unavailable', message: 'the process could not be started' };
}

export function registerEnvdProcessRoutes(envd: App, deps: EnvdDeps, service: EnvdProcessService): void {
  const { processes } = deps;
  const route = { constraints: envdConstraint };
  const schema = { hide: true };

  envd.post('/process.Process/Start', { ...route, schema: { ...schema, body: StartRequestSchema } }, async (request, reply) => {
    const { sandbox, body } = request;
    const config = service.configOf(sandbox, body.process);
    const { stream, listener, fail, onClientGone } = relay(request, reply, () => undefined, deps.live);
    try {
      const { detach } = await service.start(request.ctx, sandbox, { ...body, process: config }, numberHeader(request, 'connect-timeout-ms'), { send: listener, fail });
      onClientGone(detach);
    } catch (err) {
      stream.end(startFailure(err, request));
    }
  });

  envd.post('/process.Process/Connect', { ...route, schema: { ...schema, body: ConnectRequestSchema } }, async (request, reply) => {
    const env = request.sandbox.env.id;
    let detach = () => {};
    const { stream, listener, onClientGone } = relay(request, reply, () => detach(), deps.live);
    try {
      detach = await processes.attach(env, request.body.process, listener);
    } catch (err) {
      return stream.end(err instanceof BerthError ? connectErrorOf(err) : { code: 'internal', message: (err as Error).message });
    }
    onClientGone(detach);
  });

  envd.post('/process.Process/List', { ...route, schema }, async (request) => ({
    processes: (await processes.list(request.sandbox.env.id)).map(({ pid, tag, config }) => ({ pid, ...(tag ? { tag } : {}), config })),
  }));

  envd.post('/process.Process/SendInput', { ...route, schema: { ...schema, body: SendInputRequestSchema } }, async (request) => {
    const { input } = request.body;
    const data = Buffer.from('stdin' in input ? input.stdin : input.pty, 'base64');
    await processes.sendInput(request.sandbox.env.id, request.body.process, data);
    deps.environments.noteActivity(request.sandbox.env.id, 'e2b');
    return {};
  });

  envd.post('/process.Process/CloseStdin', { ...route, schema: { ...schema, body: CloseStdinRequestSchema } }, async (request) => {
    await processes.closeStdin(request.sandbox.env.id, request.body.process);
    return {};
  });

  // Docker cannot deliver a chosen signal to an exec; SIGTERM and SIGKILL both end the process tree.
  envd.post('/process.Process/SendSignal', { ...route, schema: { ...schema, body: SendSignalRequestSchema } }, async (request) => {
    await processes.kill(request.sandbox.env.id, request.body.process);
    return {};
  });

  envd.post('/process.Process/:method', { ...route, schema }, async (request) => {
    // StreamInput needs a streaming request body, which the SDK's fetch transport never sends.
    throw new EnvdError('unimplemented', `${(request.params as { method: string }).method} is not supported by Berth`);
  });

  envd.post('/process.Process/Update', { ...route, schema: { ...schema, body: UpdateRequestSchema } }, async (request) => {
    await processes.update(request.sandbox.env.id, request.body.process, request.body.pty?.size);
    return {};
  });
}
