import { describe, expect, it } from 'vitest';
import { caddyConfig, EdgeConfigError, NO_REPLICA_BODY, parseAccessLine, UNKNOWN_HOST_BODY, type EdgeConfigInput } from './caddy.config.js';

const BASE: EdgeConfigInput = {
  routes: [],
  adminListen: '127.0.0.1:2019',
  httpListen: ':8080',
  httpsListen: null,
  tls: { mode: 'internal' },
  accessLog: null,
};

const ACME_APP = { id: 'app_b', hosts: ['app-acme.apps.localhost'], upstreams: ['10.0.0.2:3000', '10.0.0.1:3000'] };
const SHOP_APP = { id: 'app_a', hosts: ['WWW.shop.example', 'shop.example'], upstreams: ['10.0.0.9:8000'] };

/** The generated config as the JSON Caddy receives, walked by keys. */
function at(config: object, ...keys: string[]): unknown {
  return keys.reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], JSON.parse(JSON.stringify(config)));
}
function generate(input: Partial<EdgeConfigInput>): object {
  return caddyConfig({ ...BASE, ...input });
}
function server(config: object, name = 'berth_http', ...keys: string[]): unknown {
  return at(config, 'apps', 'http', 'servers', name, ...keys);
}
type Route = { match?: Array<{ host: string[] }> };

describe('caddyConfig', () => {
  it('serves plain HTTP only when there is no HTTPS listener: one server, automatic HTTPS off, no TLS app', () => {
    const config = generate({ routes: [ACME_APP] });
    expect(Object.keys(at(config, 'apps', 'http', 'servers') as object)).toEqual(['berth_http']);
    expect(server(config)).toMatchObject({ listen: [':8080'], automatic_https: { disable: true } });
    expect(at(config, 'apps', 'tls')).toBeUndefined();
    expect(at(config, 'apps', 'http')).toMatchObject({ http_port: 8080 });
  });

  it('proxies each host to its replicas round-robin, retrying a failed dial on another replica, and answers 404 to any other host', () => {
    expect(server(generate({ routes: [ACME_APP] }), 'berth_http', 'routes')).toEqual([
      {
        match: [{ host: ['app-acme.apps.localhost'] }],
        handle: [
          {
            handler: 'reverse_proxy',
            upstreams: [{ dial: '10.0.0.1:3000' }, { dial: '10.0.0.2:3000' }],
            load_balancing: { selection_policy: { policy: 'round_robin' }, try_duration: '2s', try_interval: '100ms' },
          },
        ],
        terminal: true,
      },
      { handle: [{ handler: 'static_response', status_code: 404, body: UNKNOWN_HOST_BODY, headers: { 'Content-Type': ['text/plain; charset=utf-8'] } }], terminal: true },
    ]);
  });

  it('gives equal configs for equal routes in any order: routes by id, hosts and upstreams sorted, hosts lowercased', () => {
    const one = caddyConfig({ ...BASE, routes: [ACME_APP, SHOP_APP] });
    const other = caddyConfig({
      ...BASE,
      routes: [
        { ...SHOP_APP, hosts: ['shop.example', 'www.shop.example', 'shop.example'] },
        { ...ACME_APP, upstreams: [...ACME_APP.upstreams].reverse() },
      ],
    });
    expect(JSON.stringify(one)).toBe(JSON.stringify(other));
    const hosts = (server(one, 'berth_http', 'routes') as Route[]).map((r) => r.match?.[0]?.host);
    expect(hosts).toEqual([['shop.example', 'www.shop.example'], ['app-acme.apps.localhost'], undefined]);
  });

  it('answers 503 for an app with no healthy replica, and leaves out a route with no hosts', () => {
    const routes = server(generate({ routes: [{ id: 'a', hosts: ['idle.example'], upstreams: [] }, { id: 'b', hosts: [], upstreams: ['10.0.0.1:1'] }] }), 'berth_http', 'routes') as Route[];
    expect(routes).toHaveLength(2);
    expect(routes[0]).toMatchObject({ match: [{ host: ['idle.example'] }], handle: [{ handler: 'static_response', status_code: 503, body: NO_REPLICA_BODY }] });
  });

  it('with internal TLS adds an HTTPS server with the same routes and certificates from the local CA, never trusted on the host', () => {
    const config = generate({ routes: [ACME_APP], httpsListen: '127.0.0.1:8443' });
    expect(server(config, 'berth_https')).toMatchObject({
      listen: ['127.0.0.1:8443'],
      tls_connection_policies: [{}],
      automatic_https: { disable_redirects: true },
      protocols: ['h1', 'h2'],
    });
    expect(server(config, 'berth_https', 'routes')).toEqual(server(config, 'berth_http', 'routes'));
    expect(at(config, 'apps', 'http')).toMatchObject({ http_port: 8080, https_port: 8443 });
    expect(at(config, 'apps', 'tls')).toEqual({ automation: { policies: [{ issuers: [{ module: 'internal' }] }] } });
    expect(at(config, 'apps', 'pki')).toEqual({ certificate_authorities: { local: { install_trust: false } } });
  });

  it('with ACME obtains certificates on demand, only for names the ask endpoint approves', () => {
    const askUrl = 'http://127.0.0.1:3000/internal/edge/ask';
    const withEmail = generate({ httpsListen: ':443', tls: { mode: 'acme', email: 'ops@example.com', askUrl } });
    expect(at(withEmail, 'apps', 'tls')).toEqual({
      automation: { policies: [{ issuers: [{ module: 'acme', email: 'ops@example.com' }], on_demand: true }], on_demand: { ask: askUrl } },
    });
    const withoutEmail = generate({ httpsListen: ':443', tls: { mode: 'acme', askUrl } });
    expect(at(withoutEmail, 'apps', 'tls', 'automation')).toMatchObject({ policies: [{ issuers: [{ module: 'acme' }] }] });
  });

  it('keeps the local CA out of the host trust store even with plain HTTP only', () => {
    expect(at(generate({}), 'apps', 'pki')).toEqual({ certificate_authorities: { local: { install_trust: false } } });
  });

  it('writes access logs as JSON lines to the file given, on every server, and not also to stderr', () => {
    const config = generate({ httpsListen: ':8443', accessLog: '/var/lib/berth/edge/access.log' });
    expect(at(config, 'logging')).toEqual({
      logs: {
        default: { exclude: ['http.log.access.berth'] },
        berth: {
          writer: { output: 'file', filename: '/var/lib/berth/edge/access.log' },
          encoder: { format: 'json', time_format: 'unix_seconds_float', duration_format: 'seconds' },
          include: ['http.log.access.berth'],
        },
      },
    });
    expect(server(config, 'berth_http', 'logs')).toEqual({ default_logger_name: 'berth' });
    expect(server(config, 'berth_https', 'logs')).toEqual({ default_logger_name: 'berth' });
    const none = generate({});
    expect(at(none, 'logging')).toBeUndefined();
    expect(server(none, 'berth_http', 'logs')).toBeUndefined();
  });

  it('puts the admin API on the loopback address given, never saving its config for a resume', () => {
    expect(at(generate({}), 'admin')).toEqual({ listen: '127.0.0.1:2019', config: { persist: false } });
    for (const listen of ['localhost:2019', '[::1]:2019', '127.0.0.2:12019']) expect(at(generate({ adminListen: listen }), 'admin')).toMatchObject({ listen });
  });

  it.each([':2019', '0.0.0.0:2019', '[::]:2019', '10.0.0.5:2019', 'localhost', 'unix//run/caddy.sock'])('refuses to put the admin API on %s', (listen) => {
    expect(() => caddyConfig({ ...BASE, adminListen: listen })).toThrow(EdgeConfigError);
  });

  it('refuses hosts and upstreams that are not plain names, so no Caddy placeholder can be smuggled in', () => {
    const bad = [
      { id: 'x', hosts: ['{env.HOME}.example'], upstreams: [] },
      { id: 'x', hosts: ['a.example/path'], upstreams: [] },
      { id: 'x', hosts: ['ok.example'], upstreams: ['{http.request.header.X-Target}:80'] },
      { id: 'x', hosts: ['ok.example'], upstreams: ['10.0.0.1'] },
      { id: 'x', hosts: ['ok.example'], upstreams: ['10.0.0.1:65536'] },
    ];
    for (const route of bad) expect(() => caddyConfig({ ...BASE, routes: [route] })).toThrow(EdgeConfigError);
    expect(() => caddyConfig({ ...BASE, routes: [{ id: 'x', hosts: ['*.apps.example'], upstreams: ['[fd00::1]:80', 'web-1:3000'] }] })).not.toThrow();
  });

  it('refuses a listen address without a port', () => {
    expect(() => caddyConfig({ ...BASE, httpListen: '0.0.0.0' })).toThrow(EdgeConfigError);
    expect(() => caddyConfig({ ...BASE, httpsListen: 'https' })).toThrow(EdgeConfigError);
    expect(() => caddyConfig({ ...BASE, httpListen: ':0' })).toThrow(EdgeConfigError);
  });
});

describe('parseAccessLine', () => {
  // A line as Caddy 2.6.2 wrote it with the logging config above (headers shortened).
  const LINE =
    '{"level":"info","ts":1795717256.7882187,"logger":"http.log.access.berth","msg":"handled request","request":{"remote_ip":"127.0.0.1","remote_port":"36920","proto":"HTTP/2.0","method":"GET","host":"App-Acme.apps.localhost:18443","uri":"/","headers":{"Accept":["*/*"]}},"user_id":"","duration":0.001138599,"size":2,"status":200,"resp_headers":{"Server":["Caddy"]}}';

  it('reads host (lowercased, port dropped), status, duration in ms and time', () => {
    const request = parseAccessLine(LINE);
    expect(request).toMatchObject({ host: 'app-acme.apps.localhost', status: 200 });
    expect(request!.durationMs).toBeCloseTo(1.138599, 6);
    expect(request!.at.getTime()).toBe(Math.floor(1795717256.7882187 * 1000));
  });

  it('keeps a host without a port as it is, and unwraps bracketed IPv6', () => {
    const line = (host: string) => LINE.replace('App-Acme.apps.localhost:18443', host);
    expect(parseAccessLine(line('shop.example'))!.host).toBe('shop.example');
    expect(parseAccessLine(line('[::1]:8080'))!.host).toBe('::1');
    expect(parseAccessLine(line('[::1]'))!.host).toBe('::1');
  });

  it('skips lines that are not access entries', () => {
    for (const line of ['', 'not json', '{"level":"info","msg":"server running"}', '{"request":{"host":"a"},"status":"200","duration":1,"ts":1}', LINE.slice(0, 80)]) {
      expect(parseAccessLine(line)).toBeNull();
    }
  });
});
