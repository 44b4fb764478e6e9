import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

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
