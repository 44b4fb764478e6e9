import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const KEY = 'k'.repeat(32);

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('BERTH_SECRET', () => {
  it('is optional: with nothing set, the database key is used (the quick start needs no configuration)', () => {
    expect(loadConfig({}).secret).toBeUndefined();
  });

  it('takes a key of 32 characters or more, and the previous key while rotating', () => {
    expect(loadConfig({ BERTH_SECRET: KEY }).secret).toEqual({ current: KEY, previous: undefined });
    expect(loadConfig({ BERTH_SECRET: KEY, BERTH_SECRET_PREVIOUS: 'p'.repeat(40) }).secret).toEqual({ current: KEY, previous: 'p'.repeat(40) });
  });

  it('refuses a key shorter than 32 characters, current or previous, and lists both', () => {
    const problems = problemsOf({ BERTH_SECRET: 'k'.repeat(31), BERTH_SECRET_PREVIOUS: 'short' });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^BERTH_SECRET: at least 32 characters/);
    expect(problems[1]).toMatch(/^BERTH_SECRET_PREVIOUS: at least 32 characters/);
  });

  it('refuses a previous key without a current one, alongside any other problem', () => {
    const problems = problemsOf({ BERTH_SECRET_PREVIOUS: KEY, BERTH_PORT: 'seventy' });
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).toMatch(/BERTH_PORT/);
    expect(problems.join('\n')).toMatch(/BERTH_SECRET_PREVIOUS: set it only while rotating/);
  });
});

describe('BERTH_METRICS_ADDRESS', () => {
  it('is unset by default: /metrics is served only on the main port, to admins', () => {
    expect(loadConfig({}).metricsAddress).toBeUndefined();
  });

  it.each([
    ['127.0.0.1:9464', { host: '127.0.0.1', port: 9464 }],
    ['0.0.0.0:0', { host: '0.0.0.0', port: 0 }],
    ['metrics.internal:9100', { host: 'metrics.internal', port: 9100 }],
    ['[::1]:9464', { host: '::1', port: 9464 }],
  ])('reads %s as a host and port', (value, expected) => {
    expect(loadConfig({ BERTH_METRICS_ADDRESS: value }).metricsAddress).toEqual(expected);
  });

  it.each(['9464', '127.0.0.1', '127.0.0.1:65536', '::1:9464', 'host name:80', ':9464'])('refuses %j', (value) => {
    expect(problemsOf({ BERTH_METRICS_ADDRESS: value })).toEqual([expect.stringMatching(/^BERTH_METRICS_ADDRESS: host:port/)]);
  });
});

describe('BERTH_PREVIEW_DOMAIN', () => {
  it('is unset by default (previews then live under localhost:<the port Berth listens on>), over http', () => {
    expect(loadConfig({}).preview).toMatchObject({ domain: undefined, scheme: 'http' });
  });

  it('takes a host with or without a port, lower-cased, and follows an https public URL', () => {
    expect(loadConfig({ BERTH_PREVIEW_DOMAIN: 'Preview.Example.com:8443' }).preview).toMatchObject({ domain: 'preview.example.com:8443', scheme: 'http' });
    expect(loadConfig({ BERTH_PREVIEW_DOMAIN: 'preview.example.com', BERTH_PUBLIC_URL: 'https://berth.example.com' }).preview).toMatchObject({ domain: 'preview.example.com', scheme: 'https' });
  });

  it('lets a scheme written on it choose over the public URL', () => {
    expect(loadConfig({ BERTH_PREVIEW_DOMAIN: 'https://preview.example.com' }).preview).toMatchObject({ domain: 'preview.example.com', scheme: 'https' });
    expect(loadConfig({ BERTH_PREVIEW_DOMAIN: 'http://preview.test', BERTH_PUBLIC_URL: 'https://berth.example.com' }).preview).toMatchObject({ domain: 'preview.test', scheme: 'http' });
  });

  it('refuses a path, a wildcard or a stray character', () => {
    for (const bad of ['preview.example.com/x', '*.preview.example.com', 'preview example.com', 'ftp://preview.example.com', '.example.com']) {
      expect(() => loadConfig({ BERTH_PREVIEW_DOMAIN: bad }), bad).toThrow(ConfigError);
    }
  });
});

describe('limits and intervals', () => {
  it('default to the values Berth always ran with', () => {
    const config = loadConfig({});
    expect(config.intervals).toEqual({ idleCheckMs: 60_000, e2bExpiryCheckMs: 1000, orgReconcileMs: 1000, poolCheckMs: 5000, poolRefillDelayMs: 1000 });
    expect(config.worker).toMatchObject({ leaseSeconds: 15, idleMs: 1000 });
    expect(config.shutdownGraceMs).toBe(15_000);
    expect(config.eventsStream).toEqual({ pingMs: 30_000 });
    expect(config.readyTimeoutMs).toBe(2000);
    expect(config.e2bReadyTimeoutMs).toBe(50_000);
    expect(config.terminal.scrollbackBytes).toBe(256 * 1024);
    expect(config.streamBuffer).toEqual({ highWaterBytes: 1024 * 1024, lowWaterBytes: 256 * 1024 });
    expect(config.preview).toMatchObject({ grantTtlSeconds: 60, cookieTtlSeconds: 12 * 3600, connectTimeoutMs: 5000, portsTimeoutMs: 10_000, portsMaxBytes: 1024 * 1024 });
  });

  it('are read from their BERTH_* variables', () => {
    const config = loadConfig({ BERTH_IDLE_CHECK_SECONDS: '5', BERTH_ORG_RECONCILE_MS: '500', BERTH_PREVIEW_GRANT_TTL_SECONDS: '30', BERTH_TERMINAL_SCROLLBACK_BYTES: '4096' });
    expect(config.intervals).toMatchObject({ idleCheckMs: 5000, orgReconcileMs: 500 });
    expect(config.preview.grantTtlSeconds).toBe(30);
    expect(config.terminal.scrollbackBytes).toBe(4096);
  });

  it('refuses a zero interval', () => {
    expect(problemsOf({ BERTH_E2B_EXPIRY_CHECK_MS: '0' })).toEqual([expect.stringMatching(/^BERTH_E2B_EXPIRY_CHECK_MS:/)]);
  });

  it('refuses a low-water mark above the high-water mark: reading would never resume', () => {
    expect(problemsOf({ BERTH_STREAM_HIGH_WATER_BYTES: '1000', BERTH_STREAM_LOW_WATER_BYTES: '2000' })).toEqual([expect.stringMatching(/^BERTH_STREAM_LOW_WATER_BYTES: at most/)]);
  });
});

describe('BERTH_EDGE', () => {
  it('puts Caddy in front of apps when it is installed, at its own port', () => {
    const config = loadConfig({ BERTH_EDGE: 'caddy', BERTH_EDGE_CADDY_BIN: '/usr/bin/caddy' });
    expect(config.edge).toMatchObject({ kind: 'caddy', bin: '/usr/bin/caddy', httpAddress: { host: '127.0.0.1', port: 8081 } });
    expect(config.apps.domain).toBe('apps.localhost:8081');
  });

  // Caddy is looked for on the server's search path; here, one that has none.
  afterEach(() => vi.unstubAllEnvs());

  it('drives a Caddy that runs already, at its admin URL, installed here or not', () => {
    vi.stubEnv('PATH', '/nowhere');
    const config = loadConfig({ BERTH_EDGE: 'caddy', BERTH_EDGE_ADMIN_URL: 'http://10.0.0.5:2019' });
    expect(config.edge).toMatchObject({ kind: 'caddy', adminUrl: 'http://10.0.0.5:2019', bin: undefined });
  });

  it('serves apps through Berth, at its own address, when Caddy is asked for but not installed', () => {
    vi.stubEnv('PATH', '/nowhere');
    const config = loadConfig({ BERTH_EDGE: 'caddy' });
    expect(config.edge).toEqual({ kind: 'berth', caddyMissing: true });
    expect(config.apps.domain).toBe(loadConfig({}).apps.domain);
  });
});

describe('DOCKER_HOST', () => {
  it('takes a Unix socket as it is', () => {
    expect(loadConfig({ DOCKER_HOST: 'unix:///run/other.sock' }).docker).toEqual({ socketPath: '/run/other.sock' });
  });

  it('refuses a tcp:// engine without TLS: anyone who reaches that port owns the machine', () => {
    const problems = problemsOf({ DOCKER_HOST: 'tcp://10.0.0.5:2375' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^DOCKER_HOST: a tcp:\/\/ engine needs TLS with a client certificate \(DOCKER_CERT_PATH/);
  });

  it('refuses a certificate folder it cannot read, naming the file', () => {
    expect(problemsOf({ DOCKER_HOST: 'tcp://10.0.0.5:2376', DOCKER_CERT_PATH: '/nonexistent-berth-certs' })[0]).toMatch(/^DOCKER_CERT_PATH: .*ca\.pem/);
  });

  it('reaches a tcp:// engine over TLS with the folder\'s CA, certificate and key (port 2376 unless named)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-certs-'));
    for (const file of ['ca.pem', 'cert.pem', 'key.pem']) await writeFile(path.join(dir, file), `${file} contents`);
    try {
      const docker = loadConfig({ DOCKER_HOST: 'tcp://engine.example', DOCKER_CERT_PATH: dir }).docker;
      expect(docker).toMatchObject({ host: 'engine.example', port: 2376, protocol: 'https' });
      expect(String((docker as { ca: Buffer }).ca)).toBe('ca.pem contents');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
