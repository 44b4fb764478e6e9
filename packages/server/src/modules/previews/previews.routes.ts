import http from 'node:http';
import type { Readable } from 'node:stream';
import { PortListSchema, PortParamsSchema, IdParamsSchema } from '@berth/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import WebSocket from 'ws';
import { AppError } from '../../errors.js';
import { SESSION_COOKIE } from '../../http/auth.js';
import { responses } from '../../http/responses.js';
import type { App } from '../../http/types.js';
import type { RuntimeDriver } from '../../runtime/driver.js';
import type { EnvironmentsService } from '../environments/environments.service.js';
import { appCookies, listeningPorts, STRIPPED_HEADERS } from './previews.domain.js';

interface Deps {
  environments: Pick<EnvironmentsService, 'running' | 'noteActivity'>;
  runtime: Pick<RuntimeDriver, 'endpoint' | 'exec'>;
}

const CONNECT_TIMEOUT_MS = 5_000;
type PortRequest = FastifyRequest<{ Params: { id: string; port: number; '*'?: string } }>;

/**
 * Port previews: /environments/:id/ports/:port/* reaches that port inside the
 * environment, HTTP and WebSocket, streaming both ways. Berth's own credentials
 * are stripped before anything reaches the app.
 */
export function registerPreviewRoutes(app: App, { environments, runtime }: Deps): void {
  app.get(
    '/environments/:id/ports',
    { config: { owns: 'environment' }, schema: { tags: ['previews'], summary: 'TCP ports listening inside the environment', params: IdParamsSchema, response: responses({ 200: PortListSchema }) } },
    async (request) => {
      await environments.running(request.ctx, request.params.id);
      const result = await runtime.exec(request.params.id, { argv: ['cat', '/proc/net/tcp', '/proc/net/tcp6'], timeoutMs: 10_000, maxOutputBytes: 1024 * 1024 });
      return {
        items: listeningPorts(result.stdout).map((p) => ({ ...p, url: `/api/v1/environments/${request.params.id}/ports/${p.port}/` })),
      };
    },
  );

  async function target(request: PortRequest): Promise<{ host: string; port: number; path: string; headers: http.OutgoingHttpHeaders }> {
    const { id, port } = request.params;
    const endpoint = await runtime.endpoint(id, port);
    environments.noteActivity(id);
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(request.headers)) if (!STRIPPED_HEADERS.has(name) && value !== undefined) headers[name] = value;
    const cookie = appCookies(request.headers.cookie, SESSION_COOKIE);
    if (cookie) headers.cookie = cookie;
    headers['x-forwarded-host'] = request.headers.host;
    headers['x-forwarded-proto'] = request.protocol;
    headers['x-forwarded-prefix'] = `/api/v1/environments/${id}/ports/${port}`;
    return { ...endpoint, path: `/${request.params['*'] ?? ''}${query}`, headers };
  }

  const unreachable = (port: number, why: string) => new AppError('port_unreachable', `Nothing answers on port ${port} in the environment (${why}); start a server listening on 0.0.0.0:${port}`);

  async function proxyHttp(request: PortRequest, reply: FastifyReply): Promise<void> {
    const t = await target(request);
    await new Promise<void>((resolve, reject) => {
      // Lenient parsing: dev servers (busybox httpd CGI, say) end header lines with a bare LF.
      const upstream = http.request({ host: t.host, port: t.port, method: request.method, path: t.path, headers: t.headers, timeout: CONNECT_TIMEOUT_MS, insecureHTTPParser: true }, (res) => {
        upstream.setTimeout(0);
        const headers = Object.fromEntries(Object.entries(res.headers).filter(([name]) => !STRIPPED_HEADERS.has(name)));
        void reply.code(res.statusCode ?? 502).headers(headers).send(res);
        resolve();
      });
      upstream.on('timeout', () => upstream.destroy(new Error('no answer in time')));
      upstream.on('error', (err: NodeJS.ErrnoException) => reject(unreachable(t.port, err.code ?? err.message)));
      const body = request.body as Readable | undefined;
      if (body && typeof body.pipe === 'function') body.pipe(upstream);
      else upstream.end();
    });
  }

  function proxyWebSocket(client: WebSocket, request: PortRequest): void {
    const pending: [WebSocket.RawData, boolean][] = [];
    client.on('message', (data, isBinary) => (upstream?.readyState === WebSocket.OPEN ? upstream.send(data, { binary: isBinary }) : pending.push([data, isBinary])));
    let upstream: WebSocket | undefined;
    void target(request)
      .then((t) => {
        const protocols = request.headers['sec-websocket-protocol']?.split(',').map((p) => p.trim());
        const headers = Object.fromEntries(Object.entries(t.headers).filter(([name]) => !name.startsWith('sec-websocket')));
        upstream = new WebSocket(`ws://${t.host}:${t.port}${t.path}`, protocols, { headers: headers as Record<string, string>, handshakeTimeout: CONNECT_TIMEOUT_MS });
        const up = upstream;
        up.on('open', () => pending.splice(0).forEach(([data, isBinary]) => up.send(data, { binary: isBinary })));
        up.on('message', (data, isBinary) => client.readyState === WebSocket.OPEN && client.send(data, { binary: isBinary }));
        up.on('close', (code, reason) => client.close(code >= 1000 && code < 5000 && code !== 1005 && code !== 1006 ? code : 1011, reason));
        up.on('error', () => client.close(1011, 'upstream unreachable'));
        client.on('close', () => up.close());
      })
      .catch(() => client.close(1011, 'upstream unreachable'));
  }

  // Raw bodies are passed through untouched, whatever their type.
  void app.register(async (raw: App) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    const common = {
      config: { owns: 'environment' as const },
      schema: { tags: ['previews'], summary: 'Proxy HTTP and WebSocket traffic to a port inside the environment', params: PortParamsSchema },
      preHandler: async (request: FastifyRequest) => {
        await environments.running(request.ctx, (request.params as { id: string }).id);
      },
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        await proxyHttp(request as PortRequest, reply);
        return reply;
      },
    };
    for (const url of ['/environments/:id/ports/:port', '/environments/:id/ports/:port/*']) {
      // WebSocket upgrades arrive as GET: that route takes both.
      raw.route({ method: 'GET', url, ...common, wsHandler: (socket, request) => proxyWebSocket(socket, request as PortRequest) });
      raw.route({ method: ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], url, ...common }); // HEAD comes with GET
    }
  });
}
