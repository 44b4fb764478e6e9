import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import type { App } from '../../http/types.js';
import { SpawnError } from '../../runtime/driver.js';
import { openStream, type ConnectStream } from './connect.js';
import {
  CloseStdinRequestSchema,
  ConnectRequestSchema,
  SendInputRequestSchema,
  SendSignalRequestSchema,
  StartRequestSchema,
  UpdateRequestSchema,
} from './e2b.contracts.js';
import { EnvdError } from './e2b.errors.js';
import { resolvePath } from './envd.files.js';
import type { Listener, ProcessEvent } from './envd.processes.js';
import { envdConstraint, type EnvdDeps } from './envd.routes.js';

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
function relay(request: FastifyRequest, reply: FastifyReply, onEnd: () => void, live: EnvdDeps['live']): { stream: ConnectStream; listener: Listener; onClientGone: (detach: () => void) => void } {
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

export function registerEnvdProcessRoutes(envd: App, deps: EnvdDeps): void {
  const { processes } = deps;
  const route = { constraints: envdConstraint };
  const schema = { hide: true };

  envd.post('/process.Process/Start', { ...route, schema: { ...schema, body: StartRequestSchema } }, async (request, reply) => {
    const env = request.sandbox.env.id;
    const ownerId = request.sandbox.env.ownerId;
    const body = request.body;
    const config = { ...body.process, envs: { ...request.sandbox.envVars, ...body.process.envs }, cwd: body.process.cwd === undefined ? undefined : resolvePath(body.process.cwd) };
    const timeoutMs = numberHeader(request, 'connect-timeout-ms');
    let deadline: NodeJS.Timeout | undefined;
    let timedOut = false;
    const { stream, listener, onClientGone } = relay(request, reply, () => clearTimeout(deadline), deps.live);
    // The deadline ends the process, not just this stream (as envd does), and applies after a disconnect too.
    const guarded: Listener = (event) => {
      if ('end' in event && timedOut) {
        clearTimeout(deadline);
        return stream.end({ code: 'deadline_exceeded', message: `the command exceeded its timeout of ${timeoutMs} ms and was killed` });
      }
      return listener(event);
    };
    let pid: number;
    let started = false;
    try {
      pid = await processes.start(env, { ownerId, config, tag: body.tag, stdin: body.stdin ?? false, tty: body.pty?.size, listener: guarded });
      started = true;
    } catch (err) {
      // The response is already the stream: failures travel in its last frame.
      // In the stream's last frame, as Connect wants for streams: the SDK reads resource_exhausted as its RateLimitError
      // (an HTTP 429 before the stream would read as "the sandbox is gone").
      if (err instanceof AppError && err.code === 'process_limit') return stream.end({ code: 'resource_exhausted', message: err.message });
      if (!(err instanceof SpawnError)) request.log.error({ err }, 'could not start an E2B process');
      return stream.end(err instanceof SpawnError ? { code: 'invalid_argument', message: err.message } : { code: 'unavailable', message: 'the process could not be started' });
    } finally {
      // The command itself is not recorded (it may carry secrets): which program, where, and how it was started.
      await deps.audit.record(request.ctx, 'environment.exec', { targetType: 'environment', targetId: env, metadata: { program: config.cmd, cwd: config.cwd ?? '/workspace', pty: Boolean(body.pty), via: 'e2b' } }, started);
      deps.environments.noteActivity(env, 'e2b');
    }
    if (timeoutMs) deadline = setTimeout(() => ((timedOut = true), void processes.kill(env, { pid }).catch(() => undefined)), timeoutMs);
    onClientGone(() => processes.detach(env, pid, guarded));
  });

  envd.post('/process.Process/Connect', { ...route, schema: { ...schema, body: ConnectRequestSchema } }, async (request, reply) => {
    const env = request.sandbox.env.id;
    let detach = () => {};
    const { stream, listener, onClientGone } = relay(request, reply, () => detach(), deps.live);
    try {
      detach = processes.attach(env, request.body.process, listener);
    } catch (err) {
      return stream.end({ code: err instanceof EnvdError ? err.code : 'internal', message: (err as Error).message });
    }
    onClientGone(detach);
  });

  envd.post('/process.Process/List', { ...route, schema }, async (request) => ({
    processes: processes.list(request.sandbox.env.id).map(({ pid, tag, config }) => ({ pid, ...(tag ? { tag } : {}), config })),
  }));

  envd.post('/process.Process/SendInput', { ...route, schema: { ...schema, body: SendInputRequestSchema } }, async (request) => {
    const { input } = request.body;
    const data = Buffer.from('stdin' in input ? input.stdin : input.pty, 'base64');
    await processes.sendInput(request.sandbox.env.id, request.body.process, data);
    deps.environments.noteActivity(request.sandbox.env.id, 'e2b');
    return {};
  });

  envd.post('/process.Process/CloseStdin', { ...route, schema: { ...schema, body: CloseStdinRequestSchema } }, async (request) => {
    processes.closeStdin(request.sandbox.env.id, request.body.process);
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
