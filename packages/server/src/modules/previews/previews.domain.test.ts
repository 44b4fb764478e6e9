import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createKeyring } from '../../keyring.js';
import {
  appRequestHeaders,
  appResponseHeaders,
  cookieValues,
  credentialOfGrant,
  grantOf,
  hostnameOf,
  landingPath,
  listeningPorts,
  mayOpen,
  parsePreviewHost,
  previewHost,
  previewZone,
  readPass,
  signPass,
  withoutCookies,
  type PreviewPass,
} from './previews.domain.js';

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 100 0 0 10 0
   3: 0B00007F:A67F 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5 1 0000000000000000 100 0 0 10 0
   2: 0100007F:0BB8 0100007F:A0C2 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 20 4 30 10 -1
   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4 1`;

describe('listeningPorts', () => {
  it("finds each listening port once, with its address, ignoring established connections and Docker's DNS", () => {
    expect(listeningPorts(TCP)).toEqual([
      { port: 3000, address: '127.0.0.1' },
      { port: 8080, address: '0.0.0.0' },
    ]);
  });

  it('is empty for nothing listening', () => {
    expect(listeningPorts('  sl  local_address rem_address   st\n')).toEqual([]);
  });
});

const ENV = '0b9f3c2e-6a1d-4c8e-9f00-123456789abc';
const OTHER = '1c9f3c2e-6a1d-4c8e-9f00-123456789abc';

describe('preview hosts', () => {
  const zone = previewZone('localhost');

  it('reads the port and environment from <port>-<id>.<domain>, whatever the Host port or letter case', () => {
    expect(previewHost('localhost:8080', { environmentId: ENV, port: 8000 })).toBe(`8000-${ENV}.localhost:8080`);
    expect(parsePreviewHost(hostnameOf(`8000-${ENV}.localhost:8080`), zone)).toEqual({ environmentId: ENV, port: 8000 });
    expect(parsePreviewHost(hostnameOf(`8000-${ENV.toUpperCase()}.LOCALHOST`), zone)).toEqual({ environmentId: ENV, port: 8000 });
  });

  it('claims preview-shaped hosts that name nothing (so Berth never answers there) but names no target for them', () => {
    for (const bad of [`70000-${ENV}.localhost`, `0-${ENV}.localhost`, `08000-${ENV}.localhost`, '8000-not-an-id.localhost']) {
      expect(zone.test(hostnameOf(bad)), bad).toBe(true);
      expect(parsePreviewHost(hostnameOf(bad), zone), bad).toBeUndefined();
    }
  });

  it("leaves Berth's own hosts and other names alone", () => {
    for (const host of ['localhost:8080', '127.0.0.1:8080', 'app.localhost', `8000-${ENV}.localhost.evil.com`, `x.8000-${ENV}.localhost`, `8000-${ENV}.otherhost`]) {
      expect(zone.test(hostnameOf(host)), host).toBe(false);
    }
  });
});

describe('mayOpen', () => {
  const owner = { id: 'o', isAdmin: false };
  const other = { id: 'x', isAdmin: false };
  const admin = { id: 'a', isAdmin: true };

  // Who may use the environment is the policy's answer (auth.policy.ts); here, the owner and admins.
  const mayUse = (v: { id: string; isAdmin: boolean }) => v.id === 'o' || v.isAdmin;

  it('opens owner ports to whoever may use the environment, authenticated ones to any signed-in user, public ones to anyone', () => {
    expect([owner, other, admin, null].map((v) => mayOpen('owner', v, mayUse))).toEqual([true, false, true, false]);
    expect([owner, other, admin, null].map((v) => mayOpen('authenticated', v, mayUse))).toEqual([true, true, true, false]);
    expect([owner, other, admin, null].map((v) => mayOpen('public', v, mayUse))).toEqual([true, true, true, true]);
  });
});

describe('the preview pass', () => {
  const key = createKeyring(randomBytes(32).toString('hex'));
  const pass: PreviewPass = { userId: 'u', credential: { via: 'session', id: ENV }, environmentId: ENV, port: 8000, expiresAt: 2_000 };
  const target = { environmentId: ENV, port: 8000 };

  it('reads back what was signed, for its own port and before it expires', () => {
    expect(readPass(key, signPass(key, pass), target, 1_999)).toEqual(pass);
  });

  it('is refused when expired, for another port or environment, under another key, or altered', () => {
    const value = signPass(key, pass);
    expect(readPass(key, value, target, 2_000)).toBeUndefined();
    expect(readPass(key, value, { environmentId: ENV, port: 8001 }, 1)).toBeUndefined();
    expect(readPass(key, value, { environmentId: OTHER, port: 8000 }, 1)).toBeUndefined();
    expect(readPass(createKeyring(randomBytes(32).toString('hex')), value, target, 1)).toBeUndefined();
    const [payload, mac] = value.split('.');
    const forged = Buffer.from(Buffer.from(payload!, 'base64url').toString().replace('"u"', '"admin"')).toString('base64url');
    expect(readPass(key, `${forged}.${mac}`, target, 1)).toBeUndefined();
    expect(readPass(key, 'garbage', target, 1)).toBeUndefined();
  });

  it('names the credential a grant was minted with, and nothing for a malformed one', () => {
    expect(credentialOfGrant(grantOf('bpg_secret', { via: 'token', id: ENV }))).toEqual({ via: 'token', id: ENV });
    expect(credentialOfGrant('bpg_secret')).toBeUndefined();
    expect(credentialOfGrant(`bpg_secret.root.${ENV}`)).toBeUndefined();
  });
});

const BERTH = ['berth_session', '__Host-berth_session', 'berth_preview'];

describe('cookies and headers between the browser and the app', () => {
  it("keeps Berth's cookies from the app and passes the app's own", () => {
    expect(withoutCookies('berth_session=secret; theme=dark; berth_preview=p; sid=1', BERTH)).toBe('theme=dark; sid=1');
    expect(withoutCookies('berth_preview=p', BERTH)).toBeUndefined();
    expect(withoutCookies(undefined, BERTH)).toBeUndefined();
    expect(cookieValues('berth_preview=a; x=1; berth_preview=b', 'berth_preview')).toEqual(['a', 'b']);
  });

  it('sends the app neither Berth tokens nor hop-by-hop headers, but its own Authorization', () => {
    const token = `berth_${'A'.repeat(43)}`;
    expect(appRequestHeaders({ authorization: `Bearer ${token}`, 'x-api-key': token, host: 'h', connection: 'close', accept: '*/*', cookie: 'berth_preview=p; a=1' }, BERTH)).toEqual({ accept: '*/*', cookie: 'a=1' });
    expect(appRequestHeaders({ authorization: 'Bearer app-jwt' }, BERTH)).toEqual({ authorization: 'Bearer app-jwt' });
  });

  it("drops the app's Set-Cookie for Berth's names (any letter case) and Service-Worker-Allowed, keeping the rest", () => {
    const out = appResponseHeaders(
      {
        'set-cookie': ['berth_session=evil; Domain=localhost; Path=/', 'BERTH_PREVIEW=x', '__Host-berth_session=evil; Secure; Path=/', 'theme=dark; Path=/'],
        'service-worker-allowed': '/',
        'content-type': 'text/html',
        'transfer-encoding': 'chunked',
      },
      BERTH,
    );
    expect(out).toEqual({ 'set-cookie': ['theme=dark; Path=/'], 'content-type': 'text/html' });
  });

  it('lands on a path of the preview host, never another host', () => {
    expect(landingPath('/app?x=1#y')).toBe('/app?x=1#y');
    for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example', 'evil', undefined, '/a\r\nSet-Cookie: x=1']) expect(landingPath(bad)).toBe('/');
  });
});
