import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pipeline, type Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Headers about one connection, not the message: never relayed (and Host is the target's own). */
export const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

export interface ProxyTarget {
  host: string;
  port: number;
  /** What is sent on: the caller's headers as the route filtered them. */
  headers: http.OutgoingHttpHeaders;
}

export interface ProxyOptions {
  /** How long the server inside has to answer. */
  connectTimeoutMs: number;
  /** The error for a server that cannot be reached (why: the socket error's code). */
  unreachable: (why: string) => Error;
  /** What the caller is sent of the answer's headers. */
  responseHeaders: (headers: http.IncomingHttpHeaders) => http.OutgoingHttpHeaders;
}

/**
 * Relays one HTTP request to a server inside an environment and streams its answer back as it
 * comes (an event stream or NDJSON is not held up). The request's body must be the raw stream
 * (register the route with a pass-through content-type parser).
 */
export function proxyHttp(request: FastifyRequest, reply: FastifyReply, target: ProxyTarget, options: ProxyOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let answer: http.IncomingMessage | undefined;
    // Lenient parsing: dev servers (busybox httpd CGI, say) end header lines with a bare LF.
    const upstream = http.request({ host: target.host, port: target.port, method: request.method, path: request.url, headers: target.headers, timeout: options.connectTimeoutMs, insecureHTTPParser: true }, (res) => {
      answer = res;
      upstream.setTimeout(0);
      void reply.code(res.statusCode ?? 502).headers(options.responseHeaders(res.headers)).send(res);
      resolve();
    });
    // The deadline is the connection's: once connected, the server takes what time it needs to answer
    // (a code interpreter starting its kernel, under gVisor seconds more; a dev server compiling).
    upstream.once('socket', (socket) => (socket.connecting ? socket.once('connect', () => upstream.setTimeout(0)) : upstream.setTimeout(0)));
    // The caller went away before the answer was all through: stop asking the server for it.
    reply.raw.once('close', () => answer?.complete || upstream.destroy());
    upstream.on('timeout', () => upstream.destroy(new Error('no answer in time')));
    upstream.on('error', (err: NodeJS.ErrnoException) => reject(options.unreachable(err.code ?? err.message)));
    const body = request.body as Readable | undefined;
    if (body && typeof body.pipe === 'function') pipeline(body, upstream, () => undefined);
    else upstream.end();
  });
}

/**
 * Resolves once something accepts connections on host:port, trying again for up to `withinMs` while
 * the connection fails: a server still starting refuses it, and a container that has only just joined
 * its network may not be reachable for a moment either (EHOSTUNREACH). The deadline ends it quietly;
 * the caller's own connection then says what is wrong.
 */
export async function whenListening(host: string, port: number, withinMs: number, attemptMs = 1_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const listening = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port, timeout: Math.min(attemptMs, Math.max(1, deadline - Date.now())) });
      const done = (answer: boolean) => {
        socket.destroy();
        resolve(answer);
      };
      socket.once('connect', () => done(true));
      socket.once('timeout', () => done(false));
      socket.once('error', () => done(false));
    });
    if (listening || Date.now() >= deadline) return;
    await sleep(100);
  }
}
