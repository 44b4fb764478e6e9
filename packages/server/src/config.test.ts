import { describe, expect, it } from 'vitest';
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
