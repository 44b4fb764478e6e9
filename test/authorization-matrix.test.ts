import { gzipSync } from 'node:zlib';
import type { Template } from '@berth/contracts';
import type { LightMyRequestResponse } from 'fastify';
import type { OpenAPIV3_1 } from 'openapi-types';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox } from './support/e2b.js';
import { environmentsThatNeverRan } from './support/never-run.js';
import { inOrg } from './support/orgs.js';
import { ADMIN, ORIGIN, startTestServer, type Caller, type TestServer } from './support/server.js';
import { upgradeRequest } from './support/upgrade.js';
import { runningEnvironment, waitFor } from './support/wait.js';

/**
 * Every route Berth serves, as every kind of caller: the resource's owner
 * (alice, who owns the organization mx-org and made its environment), the
 * organization's people by role (an admin; a member in the team the
 * environment is shared with at use; a member in no such team; a viewer in that
 * team), a member who was removed, a member of another organization, an
 * instance admin, nobody, a deactivated user (their old session cookie and
 * their old token), a revoked token, and a token of a suspended organization.
 * The table is keyed "METHOD path" (OpenAPI form; WS for WebSocket upgrades)
 * and the app's own route table is checked against it, so a route added
 * without an expectation fails here.
 *
 * Allowed callers send requests that pass validation and get the route's
 * success (or stated) status; refused callers must get the refusal, never a 2xx.
 * Rows run in table order: reads first, then changes, lifecycle, deletes and
 * sign-out last, on resources of their own where a change would get in the way.
 *
 * Previews themselves live on their own origin and have their own access
 * rules (grants, sharing): test/previews.test.ts walks those.
 */

/** In this order: refusals come before the callers allowed to change or delete what they aim at. */
const CALLERS = ['anonymous', 'deactivatedCookie', 'deactivatedToken', 'revokedToken', 'suspended', 'removed', 'other', 'viewer', 'memberNoShare', 'member', 'orgAdmin', 'owner', 'admin'] as const;
type CallerName = (typeof CALLERS)[number];
/** The organization's people below its owner, who act in it with tokens of it. */
const ROLE_CALLERS = ['viewer', 'memberNoShare', 'member', 'orgAdmin'] as const;
type RoleCaller = (typeof ROLE_CALLERS)[number] | 'owner';
/** Let through, with one of these statuses; or refused, with this one. */
type Outcome = { ok: number[] } | { refused: 401 | 403 | 404 };
/**
 * A suspended organization's token reads like any stranger and changes
 * nothing (403 organization_suspended): derived, unless a row says otherwise.
 */
type Expect = Record<Exclude<CallerName, 'suspended'>, Outcome> & { suspended?: Outcome };

/**
 * How far each of them may go with mx-org's environment, and their role in
 * mx-org: written out here, not read from the server's policy table, so the
 * matrix checks the table too.
 */
const LEVEL: Record<RoleCaller, 'view' | 'use' | 'manage' | null> = { viewer: 'view', memberNoShare: null, member: 'use', orgAdmin: 'manage', owner: 'manage' };
const ROLE: Record<RoleCaller, 'viewer' | 'member' | 'admin' | 'owner'> = { viewer: 'viewer', memberNoShare: 'member', member: 'member', orgAdmin: 'admin', owner: 'owner' };
const MAY: Record<'org.read' | 'org.create' | 'org.manage' | 'org.own', string[]> = {
  'org.read': ['owner', 'admin', 'member', 'viewer'],
  'org.create': ['owner', 'admin', 'member'],
  'org.manage': ['owner', 'admin'],
  'org.own': ['owner'],
};
const RANK = { view: 0, use: 1, manage: 2 } as const;

interface Req {
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
}

interface Row {
  /** What to send; `as` picks per-caller resources for changes that can only happen once. */
  send: (as: CallerName) => Req;
  expect: Expect;
  /** More to check of an allowed caller's answer. */
  check?: (res: LightMyRequestResponse) => void;
}

const ok = (status: number | number[]): Outcome => ({ ok: [status].flat() });
const no = (status: 401 | 403 | 404): Outcome => ({ refused: status });
const signedOut = { anonymous: no(401), deactivatedCookie: no(401), deactivatedToken: no(401), revokedToken: no(401) };
/** The same outcome for everyone signed in who is not the resource's owner or an admin. */
const others = (outcome: Outcome) => ({ other: outcome, removed: outcome, ...Object.fromEntries(ROLE_CALLERS.map((c) => [c, outcome])) }) as Record<'other' | 'removed' | (typeof ROLE_CALLERS)[number], Outcome>;
/** Anyone; a bearer token that does not authenticate is refused even here. */
const open = (status: number | number[]): Expect => ({ anonymous: ok(status), deactivatedCookie: ok(status), deactivatedToken: no(401), revokedToken: no(401), ...others(ok(status)), owner: ok(status), admin: ok(status) });
/** Any signed-in user. */
const user = (status: number | number[]): Expect => ({ ...signedOut, ...others(ok(status)), owner: ok(status), admin: ok(status) });
/** An admin action: 403 for users. */
const admin = (status: number | number[]): Expect => ({ ...signedOut, ...others(no(403)), owner: no(403), admin: ok(status) });
/** The owner's own resource (a template, a sandbox): admins too; anyone else finds nothing (404). */
const owned = (status: number | number[]): Expect => ({ ...signedOut, ...others(no(404)), owner: ok(status), admin: ok(status) });
/** The caller's own credential: nobody else, admins included, finds it. */
const personal = (status: number | number[]): Expect => ({ ...signedOut, ...others(no(404)), owner: ok(status), admin: no(404) });
/** mx-org's environment, at a level: 403 for whoever sees it with less, 404 for whoever does not see it. */
const environment = (level: 'view' | 'use' | 'manage', status: number | number[]): Expect => {
  const by = (c: RoleCaller): Outcome => {
    const have = LEVEL[c];
    return have === null ? no(404) : RANK[have] >= RANK[level] ? ok(status) : no(403);
  };
  return { ...signedOut, ...others(no(404)), ...Object.fromEntries(ROLE_CALLERS.map((c) => [c, by(c)])), owner: by('owner'), admin: ok(status) } as Expect;
};
/** An action on mx-org itself: 403 for a role the policy does not allow, 404 for whoever is not a member. */
const organization = (action: keyof typeof MAY, status: number | number[]): Expect => {
  const by = (c: RoleCaller): Outcome => (MAY[action].includes(ROLE[c]) ? ok(status) : no(403));
  return { ...signedOut, ...others(no(404)), ...Object.fromEntries(ROLE_CALLERS.map((c) => [c, by(c)])), owner: by('owner'), admin: ok(status) } as Expect;
};

let server: TestServer;
let url: string;
/** Who each caller is on the wire: a session cookie, a token, both or neither. */
const creds: Partial<Record<CallerName, { cookie?: string; token?: string }>> = {};
/** Resources the rows act on, made in beforeAll. */
const r = {
  alice: '',
  bob: '',
  env: '',
  template: '',
  sandbox: '',
  /** A warm pool of no environments (its size stays 0: the matrix builds nothing). */
  pool: '',
  spareToken: '',
  archive: Buffer.alloc(0) as Buffer,
  doomed: {} as Record<'owner' | 'admin', { template: string; sandbox: string }>,
  /** An app of mx-org (its source answers nothing: its releases fail at once, nothing is built), and one for each caller allowed to delete one. */
  app: '',
  doomedApps: {} as Record<Deleter, string>,
  /** Environments of mx-org that never ran, one for each caller allowed to delete one. */
  doomedEnvs: {} as Record<Deleter, string>,
  /** alice's organization (bob is not in it), where the environment `env` is, shared with the team core at use. */
  org: 'mx-org',
  orgId: '',
  team: '',
  /** Of erin's organizations: an invitation for bob into one, and a link per caller into another. */
  bobInvitation: '',
  links: {} as Partial<Record<CallerName, string>>,
  perCaller: {} as Record<Deleter, { org: string; member: string; team: string; teamOfErin: string; invitation: string }>,
};
/** The callers who manage mx-org and its environment, each on things of its own where a change can happen once. */
type Deleter = 'owner' | 'admin' | 'orgAdmin';
const deleter = (as: CallerName): Deleter => (as === 'admin' || as === 'orgAdmin' ? as : 'owner');
const org = (rest = '') => `/api/v1/orgs/${r.org}${rest}`;
/** Per-caller resources of the organization rows: refused callers aim at the owner's. */
const ours = (as: CallerName) => r.perCaller[deleter(as)];

/** The organization a caller suspends and deletes: the owner and the admin one each of alice's; everyone else is refused on mx-org. */
const orgToEnd = (as: CallerName) => (as === 'owner' || as === 'admin' ? r.perCaller[as].org : r.org);

/** A per-caller resource: refused callers aim at the owner's. */
const mine = (as: CallerName, kind: 'template' | 'sandbox') => r.doomed[as === 'admin' ? 'admin' : 'owner'][kind];
const env = (rest = '') => `/api/v1/environments/${r.env}${rest}`;
const app = (rest = '') => `/api/v1/apps/${r.app}${rest}`;
/** A git source on this machine that answers nothing: a release of it fails at once, nothing is built. */
const NOWHERE = { kind: 'git', url: 'https://127.0.0.1:9/none.git', branch: 'main' };
const sbx = (rest = '') => `/sandboxes/${r.sandbox}${rest}`;
const json = (body: unknown) => ({ body, headers: { 'content-type': 'application/json' } });

/** A tar.gz of one small file, for the upload row. */
async function archive(): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const ended = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  pack.entry({ name: 'uploaded.txt' }, 'up\n');
  pack.finalize();
  await ended;
  return gzipSync(Buffer.concat(chunks));
}

const CATCH_ALL_METHODS = ['GET', 'TRACE', 'DELETE', 'OPTIONS', 'PATCH', 'PUT', 'POST', 'QUERY'] as const;
/** Nothing listens there inside the environment. */
const IDLE_PORT = 9;

const TABLE: [string, Row][] = [
  // Berth's own, open to all.
  ['GET /healthz', { send: () => ({ url: '/healthz' }), expect: open(200) }],
  ['GET /readyz', { send: () => ({ url: '/readyz' }), expect: open(200) }],
  ['GET /api/openapi.json', { send: () => ({ url: '/api/openapi.json' }), expect: open(200) }],
  // Administrators only on Berth's port (a scraper gets BERTH_METRICS_ADDRESS).
  ['GET /metrics', { send: () => ({ url: '/metrics' }), expect: admin(200) }],
  // Open, so only the credentials decide: wrong ones for everyone (a name each, below the per-user throttle).
  ['POST /api/v1/auth/login', { send: (as) => ({ url: '/api/v1/auth/login', ...json({ username: `nobody-${as}`, password: 'not-the-password' }) }), expect: open(401) }],

  // Any signed-in user, on their own things.
  ['GET /api/v1/me', { send: () => ({ url: '/api/v1/me' }), expect: user(200) }],
  ['GET /api/v1/tokens', { send: () => ({ url: '/api/v1/tokens' }), expect: user(200) }],
  ['GET /api/v1/orgs', { send: () => ({ url: '/api/v1/orgs' }), expect: user(200) }],
  ['GET /api/v1/invitations', { send: () => ({ url: '/api/v1/invitations' }), expect: user(200) }],
  ['POST /api/v1/orgs', { send: (as) => ({ url: '/api/v1/orgs', ...json({ slug: `mx-org-by-${as.toLowerCase()}`, name: 'mx' }) }), expect: user(202) }],
  // A wrong current password for everyone: refused (403 wrong_password) only once the caller is known.
  ['POST /api/v1/me/password', { send: () => ({ url: '/api/v1/me/password', ...json({ currentPassword: 'not-the-password', newPassword: 'another-long-password' }) }), expect: user(403) }],
  ['POST /api/v1/tokens', { send: (as) => ({ url: '/api/v1/tokens', ...json({ name: `matrix-${as}` }) }), expect: user(201) }],
  ['GET /api/v1/machine-types', { send: () => ({ url: '/api/v1/machine-types' }), expect: user(200) }],
  ['GET /api/v1/templates', { send: () => ({ url: '/api/v1/templates' }), expect: user(200) }],
  ['POST /api/v1/templates', { send: (as) => ({ url: '/api/v1/templates', ...json({ slug: `mx-${as.toLowerCase()}`, name: 'mx', files: [] }) }), expect: user(201) }],
  ['GET /api/v1/environments', { send: () => ({ url: '/api/v1/environments' }), expect: user(200) }],
  // In the organization the caller acts in (the role callers: mx-org), where a viewer makes nothing.
  ['POST /api/v1/environments', { send: () => ({ url: '/api/v1/environments', ...json({ type: 'small' }) }), expect: { ...user(202), viewer: no(403) } }],
  ['GET /api/v1/apps', { send: () => ({ url: '/api/v1/apps' }), expect: user(200) }],
  // Public: Caddy asks it. No app serves at this host, whoever asks.
  ['GET /api/v1/edge/ask', { send: () => ({ url: '/api/v1/edge/ask?domain=nobody.apps.localhost' }), expect: open(404) }],
  ['POST /api/v1/apps', { send: (as) => ({ url: '/api/v1/apps', ...json({ name: `mx-${as.toLowerCase()}`, source: NOWHERE }) }), expect: { ...user(201), viewer: no(403) } }],
  ['POST /sandboxes', { send: () => ({ url: '/sandboxes', ...json({ templateID: 'no-such-template' }) }), expect: user(404), check: templateMissing }],
  ['POST /v2/sandboxes', { send: () => ({ url: '/v2/sandboxes', ...json({ templateID: 'no-such-template' }) }), expect: user(404), check: templateMissing }],
  ['GET /sandboxes', { send: () => ({ url: '/sandboxes' }), expect: user(200) }],
  ['GET /v2/sandboxes', { send: () => ({ url: '/v2/sandboxes' }), expect: user(200) }],

  // Admin actions.
  ['GET /api/v1/users', { send: () => ({ url: '/api/v1/users' }), expect: admin(200) }],
  ['POST /api/v1/users', { send: (as) => ({ url: '/api/v1/users', ...json({ username: `mx-made-by-${as}`, password: 'a-long-enough-password' }) }), expect: admin(201) }],
  ['GET /api/v1/users/{id}', { send: () => ({ url: `/api/v1/users/${r.bob}` }), expect: admin(200) }],
  ['PATCH /api/v1/users/{id}', { send: () => ({ url: `/api/v1/users/${r.bob}`, ...json({ email: 'bob@example.com' }) }), expect: admin(200) }],
  ['GET /api/v1/users/{id}/quota', { send: () => ({ url: `/api/v1/users/${r.bob}/quota` }), expect: admin(200) }],
  ['PATCH /api/v1/users/{id}/quota', { send: () => ({ url: `/api/v1/users/${r.bob}/quota`, ...json({ credits: 50 }) }), expect: admin(200) }],
  ['GET /api/v1/config', { send: () => ({ url: '/api/v1/config' }), expect: admin(200) }],
  ['PUT /api/v1/config/{name}', { send: () => ({ url: '/api/v1/config/ai_model', ...json({ value: 'matrix-model' }) }), expect: admin(200) }],
  ['GET /api/v1/audit', { send: () => ({ url: '/api/v1/audit' }), expect: admin(200) }],
  ['GET /api/v1/assistant/usage', { send: () => ({ url: '/api/v1/assistant/usage' }), expect: admin(200) }],
  ['POST /api/v1/machine-types', { send: () => ({ url: '/api/v1/machine-types', ...json({ name: 'matrix', vcpus: 1, memoryMb: 256, diskGib: 1, creditsCost: 1 }) }), expect: admin(201) }],
  ['PATCH /api/v1/machine-types/{name}', { send: () => ({ url: '/api/v1/machine-types/matrix', ...json({ creditsCost: 2 }) }), expect: admin(200) }],
  ['DELETE /api/v1/machine-types/{name}', { send: () => ({ url: '/api/v1/machine-types/matrix' }), expect: admin(204) }],
  ['GET /api/v1/nodes', { send: () => ({ url: '/api/v1/nodes' }), expect: admin(200) }],
  // The test engine is in no swarm: an administrator's change is refused as such (409), anyone else's as theirs.
  ['PATCH /api/v1/nodes/{id}', { send: () => ({ url: '/api/v1/nodes/local', ...json({ availability: 'drain' }) }), expect: admin(409) }],
  ['GET /api/v1/pools', { send: () => ({ url: '/api/v1/pools' }), expect: admin(200) }],
  ['POST /api/v1/pools', { send: () => ({ url: '/api/v1/pools', ...json({ machineType: 'small', size: 0 }) }), expect: admin(201) }],
  ['PATCH /api/v1/pools/{id}', { send: () => ({ url: `/api/v1/pools/${r.pool}`, ...json({ size: 0 }) }), expect: admin(200) }],
  ['DELETE /api/v1/pools/{id}', { send: () => ({ url: `/api/v1/pools/${r.pool}` }), expect: admin(204) }],

  // The owner's environment (admins too).
  ['GET /api/v1/environments/{id}', { send: () => ({ url: env() }), expect: environment('view', 200) }],
  ['GET /api/v1/environments/{id}/events', { send: () => ({ url: env('/events') }), expect: environment('view', 200) }],
  ['WS /api/v1/environments/{id}/events/ws', { send: () => ({ url: env('/events/ws') }), expect: environment('view', 101) }],
  ['GET /api/v1/environments/{id}/stats', { send: () => ({ url: env('/stats') }), expect: environment('view', 200) }],
  ['POST /api/v1/environments/{id}/exec', { send: () => ({ url: env('/exec'), ...json({ command: ['true'] }) }), expect: environment('use', 200) }],
  ['POST /api/v1/environments/{id}/exec/stream', { send: () => ({ url: env('/exec/stream'), ...json({ command: ['true'] }) }), expect: environment('use', 200) }],
  ['WS /api/v1/environments/{id}/terminal', { send: () => ({ url: env('/terminal') }), expect: environment('use', 101) }],
  ['WS /api/v1/environments/{id}/assistant', { send: () => ({ url: env('/assistant') }), expect: environment('use', 101) }],
  ['GET /api/v1/environments/{id}/files', { send: () => ({ url: env('/files?path=mx') }), expect: environment('use', 200) }],
  ['PUT /api/v1/environments/{id}/files/content', { send: () => ({ url: env('/files/content?path=mx/written.txt'), body: 'x', headers: { 'content-type': 'text/plain' } }), expect: environment('use', [200, 201]) }],
  ['GET /api/v1/environments/{id}/files/content', { send: () => ({ url: env('/files/content?path=mx/read.txt') }), expect: environment('use', 200) }],
  ['POST /api/v1/environments/{id}/files/mkdir', { send: (as) => ({ url: env('/files/mkdir'), ...json({ path: `mx/dir-${as}` }) }), expect: environment('use', 204) }],
  ['POST /api/v1/environments/{id}/files/move', { send: (as) => ({ url: env('/files/move'), ...json({ from: `mx/mv-${as}`, to: `mx/moved-${as}` }) }), expect: environment('use', 204) }],
  ['DELETE /api/v1/environments/{id}/files', { send: (as) => ({ url: env(`/files?path=mx/del-${as}`) }), expect: environment('use', 204) }],
  ['GET /api/v1/environments/{id}/files/archive', { send: () => ({ url: env('/files/archive?path=mx') }), expect: environment('use', 200) }],
  ['POST /api/v1/environments/{id}/files/archive', { send: () => ({ url: env('/files/archive?path=mx/up'), body: r.archive, headers: { 'content-type': 'application/gzip' } }), expect: environment('use', 200) }],
  ['GET /api/v1/environments/{id}/files/search', { send: () => ({ url: env('/files/search?q=x&path=mx') }), expect: environment('use', 200) }],
  ['GET /api/v1/environments/{id}/ports', { send: () => ({ url: env('/ports') }), expect: environment('use', 200) }],
  // Previews are served on their own origin (previews.test.ts); on Berth's, only sharing and grants.
  ['PUT /api/v1/environments/{id}/ports/{port}/sharing', { send: () => ({ url: env(`/ports/${IDLE_PORT}/sharing`), ...json({ sharing: 'owner' }) }), expect: environment('manage', 200) }],
  // A port shared with its "owner" opens to whoever may use the environment; anyone else finds nothing.
  ['POST /api/v1/environments/{id}/ports/{port}/grant', { send: () => ({ url: env(`/ports/${IDLE_PORT}/grant`) }), expect: { ...environment('use', 201), viewer: no(404) } }],
  // Administrators move environments between nodes; on this lone engine there is no other node.
  ['POST /api/v1/environments/{id}/move', { send: () => ({ url: env('/move'), ...json({ nodeId: 'local' }) }), expect: admin(409) }],
  ['PUT /api/v1/environments/{id}/egress', { send: () => ({ url: env('/egress'), ...json({ egress: 'internet' }) }), expect: environment('manage', 202) }],
  // The template is alice's own: a member who may use the environment still cannot see it.
  ['POST /api/v1/environments/{id}/apply-template', { send: (as) => ({ url: env('/apply-template'), ...json({ templateId: r.template, path: `mx/tpl-${as}` }) }), expect: { ...environment('use', 200), member: no(404), orgAdmin: no(404) } }],

  // An app of mx-org: its organization's readers see it, its members deploy it; others find nothing.
  ['GET /api/v1/apps/{id}', { send: () => ({ url: app() }), expect: organization('org.read', 200) }],
  ['GET /api/v1/apps/{id}/releases', { send: () => ({ url: app('/releases') }), expect: organization('org.read', 200) }],
  ['GET /api/v1/apps/{id}/config', { send: () => ({ url: app('/config') }), expect: organization('org.read', 200) }],
  ['GET /api/v1/apps/{id}/events', { send: () => ({ url: app('/events') }), expect: organization('org.read', 200) }],
  ['GET /api/v1/apps/{id}/logs', { send: () => ({ url: app('/logs') }), expect: organization('org.read', 200) }],
  ['GET /api/v1/apps/{id}/metrics', { send: () => ({ url: app('/metrics') }), expect: organization('org.read', 200) }],
  ['GET /api/v1/apps/{id}/domains', { send: () => ({ url: app('/domains') }), expect: organization('org.read', 200) }],
  // Let through, then refused: this server does not know its own name (no BERTH_PUBLIC_URL), so it takes no
  // custom domain at all (apps.test.ts adds them on one that does).
  ['POST /api/v1/apps/{id}/domains', { send: () => ({ url: app('/domains'), ...json({ host: 'mx.example.test' }) }), expect: organization('org.manage', 403) }],
  // Before it has a database: let through, then nothing there.
  ['GET /api/v1/apps/{id}/database', { send: () => ({ url: app('/database') }), expect: organization('org.read', 404) }],
  ['GET /api/v1/apps/{id}/database/backup', { send: () => ({ url: app('/database/backup') }), expect: organization('org.create', 404) }],
  ['POST /api/v1/apps/{id}/database/restore', { send: () => ({ url: app('/database/restore'), body: 'select 1;', headers: { 'content-type': 'application/sql' } }), expect: organization('org.manage', 404) }],
  ['PATCH /api/v1/apps/{id}', { send: () => ({ url: app(), ...json({ replicas: 1 }) }), expect: organization('org.create', 200) }],
  ['PATCH /api/v1/apps/{id}/config', { send: () => ({ url: app('/config'), ...json({ set: { MATRIX: { value: '1' } } }) }), expect: organization('org.create', 200) }],
  ['POST /api/v1/apps/{id}/deploys', { send: () => ({ url: app('/deploys') }), expect: organization('org.create', 202) }],
  // The first allowed caller attaches it; the next find one there.
  ['POST /api/v1/apps/{id}/database', { send: () => ({ url: app('/database') }), expect: organization('org.create', [201, 409]) }],
  ['POST /api/v1/apps/{id}/webhook', { send: () => ({ url: app('/webhook') }), expect: organization('org.create', 201) }],
  // Public, and its signature is the only credential: an unsigned push is refused, whoever sends it
  // (a suspended organization's token changes nothing anywhere, and says so first).
  ['POST /api/v1/apps/{id}/push', { send: () => ({ url: app('/push'), ...json({ ref: 'refs/heads/main' }) }), expect: { ...(Object.fromEntries(CALLERS.map((c) => [c, no(401)])) as Expect), suspended: no(403) } }],
  // Release 1 never went live: let through, then refused as having nothing to go back to.
  ['POST /api/v1/apps/{id}/rollback', { send: () => ({ url: app('/rollback'), ...json({ release: 1 }) }), expect: organization('org.create', 409) }],

  // alice's organization: bob is not a member (404); the instance admin may.
  ['GET /api/v1/orgs/{org}', { send: () => ({ url: org() }), expect: organization('org.read', 200) }],
  ['GET /api/v1/orgs/{org}/members', { send: () => ({ url: org('/members') }), expect: organization('org.read', 200) }],
  ['PATCH /api/v1/orgs/{org}/members/{username}', { send: () => ({ url: org('/members/erin'), ...json({ role: 'member' }) }), expect: organization('org.manage', 200) }],
  ['GET /api/v1/orgs/{org}/invitations', { send: () => ({ url: org('/invitations') }), expect: organization('org.manage', 200) }],
  ['POST /api/v1/orgs/{org}/invitations', { send: () => ({ url: org('/invitations'), ...json({ role: 'viewer' }) }), expect: organization('org.manage', 201) }],
  ['GET /api/v1/orgs/{org}/quota', { send: () => ({ url: org('/quota') }), expect: organization('org.read', 200) }],
  ['PATCH /api/v1/orgs/{org}/quota', { send: () => ({ url: org('/quota'), ...json({ idleTimeoutMinutes: 30 }) }), expect: organization('org.manage', 200) }],
  ['PATCH /api/v1/orgs/{org}/ceiling', { send: () => ({ url: org('/ceiling'), ...json({ credits: 50 }) }), expect: admin(200) }],
  ['GET /api/v1/orgs/{org}/audit', { send: () => ({ url: org('/audit') }), expect: organization('org.manage', 200) }],
  ['GET /api/v1/orgs/{org}/assistant/usage', { send: () => ({ url: org('/assistant/usage') }), expect: organization('org.manage', 200) }],
  ['PUT /api/v1/orgs/{org}/members/{username}/assistant', { send: () => ({ url: org('/members/erin/assistant'), ...json({ usesPerDay: 3 }) }), expect: organization('org.manage', 200) }],
  ['GET /api/v1/orgs/{org}/teams', { send: () => ({ url: org('/teams') }), expect: organization('org.read', 200) }],
  ['POST /api/v1/orgs/{org}/teams', { send: (as) => ({ url: org('/teams'), ...json({ slug: `t-${as.toLowerCase()}`, name: 'mx' }) }), expect: organization('org.manage', 201) }],
  ['PUT /api/v1/orgs/{org}/teams/{team}/members/{username}', { send: () => ({ url: org('/teams/core/members/erin'), ...json({ role: 'member' }) }), expect: organization('org.manage', 200) }],
  ['GET /api/v1/environments/{id}/shares', { send: () => ({ url: env('/shares') }), expect: environment('view', 200) }],
  ['PUT /api/v1/environments/{id}/shares/{teamId}', { send: () => ({ url: env(`/shares/${r.team}`), ...json({ level: 'use' }) }), expect: environment('manage', 200) }],
  // Into erin's organizations: an invitation made for bob alone, and a link for each caller.
  ['POST /api/v1/invitations/{id}/accept', { send: () => ({ url: `/api/v1/invitations/${r.bobInvitation}/accept` }), expect: { ...signedOut, ...others(no(404)), other: ok(200), owner: no(404), admin: no(404) } }],
  ['POST /api/v1/invitations/accept', { send: (as) => ({ url: '/api/v1/invitations/accept', ...json({ token: r.links[as] ?? 'berthinv_none' }) }), expect: user(200) }],

  // The owner's template and sandbox.
  ['GET /api/v1/templates/{id}', { send: () => ({ url: `/api/v1/templates/${r.template}` }), expect: owned(200) }],
  ['PATCH /api/v1/templates/{id}', { send: () => ({ url: `/api/v1/templates/${r.template}`, ...json({ description: 'changed' }) }), expect: owned(200) }],
  // The owner's template has no Dockerfile: let through, then refused as a conflict.
  ['POST /api/v1/templates/{id}/build', { send: () => ({ url: `/api/v1/templates/${r.template}/build` }), expect: owned(409) }],
  ['GET /sandboxes/{sandboxID}', { send: () => ({ url: sbx() }), expect: owned(200) }],
  ['GET /sandboxes/{sandboxID}/metrics', { send: () => ({ url: sbx('/metrics') }), expect: owned(200) }],
  ['POST /sandboxes/{sandboxID}/timeout', { send: () => ({ url: sbx('/timeout'), ...json({ timeout: 600 }) }), expect: owned(204) }],
  // The owner pauses it; the admin then finds it paused already.
  ['POST /sandboxes/{sandboxID}/pause', { send: () => ({ url: sbx('/pause') }), expect: { ...owned(409), owner: ok(204) } }],
  // The owner resumes it (201); the admin then finds it running (200).
  ['POST /sandboxes/{sandboxID}/connect', { send: () => ({ url: sbx('/connect'), ...json({ timeout: 600 }) }), expect: { ...owned(200), owner: ok(201) } }],
  ['POST /v2/sandboxes/{sandboxID}/connect', { send: () => ({ url: `/v2${sbx('/connect')}`, ...json({ timeout: 600 }) }), expect: owned(200) }],
  // What Berth's E2B API does not serve answers 501 to any signed-in caller: it touches nothing.
  // (QUERY must carry a body.)
  ...CATCH_ALL_METHODS.flatMap((m): [string, Row][] => [
    [`${m} /sandboxes/{sandboxID}/{*}`, { send: () => ({ url: sbx('/snapshots'), ...(m === 'QUERY' ? json({}) : {}) }), expect: user(501) }],
    [`${m} /v2/sandboxes/{sandboxID}/{*}`, { send: () => ({ url: `/v2${sbx('/snapshots')}`, ...(m === 'QUERY' ? json({}) : {}) }), expect: user(501) }],
  ]),

  // Lifecycle of the shared environment, once nothing else needs it running.
  ['POST /api/v1/environments/{id}/start', { send: () => ({ url: env('/start') }), expect: environment('manage', 202) }],
  ['POST /api/v1/environments/{id}/restart', { send: () => ({ url: env('/restart') }), expect: environment('manage', 202) }],
  ['POST /api/v1/environments/{id}/stop', { send: () => ({ url: env('/stop') }), expect: environment('manage', 202) }],

  // Deletes, each caller on a resource of its own.
  // Refused callers aim at the shared environment (what they see of it decides their answer).
  ['DELETE /api/v1/environments/{id}', { send: (as) => ({ url: as === 'owner' || as === 'admin' || as === 'orgAdmin' ? `/api/v1/environments/${r.doomedEnvs[as]}` : env() }), expect: environment('manage', 202) }],
  ['DELETE /api/v1/templates/{id}', { send: (as) => ({ url: `/api/v1/templates/${mine(as, 'template')}` }), expect: owned(204) }],
  // Let through, then nothing there to remove.
  ['DELETE /api/v1/apps/{id}/domains/{host}', { send: () => ({ url: app('/domains/mx.example.test') }), expect: organization('org.manage', 404) }],
  // Named as the confirmation: the first allowed caller deletes it; the next find it going.
  ['DELETE /api/v1/apps/{id}/database', { send: () => ({ url: app('/database?confirm=mx-app') }), expect: organization('org.manage', [202, 404]) }],
  ['DELETE /api/v1/apps/{id}', { send: (as) => ({ url: as === 'owner' || as === 'admin' || as === 'orgAdmin' ? `/api/v1/apps/${r.doomedApps[as]}` : app() }), expect: organization('org.manage', 202) }],
  ['DELETE /sandboxes/{sandboxID}', { send: (as) => ({ url: `/sandboxes/${mine(as, 'sandbox')}` }), expect: owned(204) }],
  ['DELETE /api/v1/tokens/{id}', { send: () => ({ url: `/api/v1/tokens/${r.spareToken}` }), expect: personal(204) }],
  ['DELETE /api/v1/environments/{id}/shares/{teamId}', { send: (as) => ({ url: env(`/shares/${ours(as).team}`) }), expect: environment('manage', 204) }],
  ['DELETE /api/v1/orgs/{org}/teams/{team}/members/{username}', { send: (as) => ({ url: org(`/teams/${ours(as).teamOfErin}/members/erin`) }), expect: organization('org.manage', 204) }],
  ['DELETE /api/v1/orgs/{org}/teams/{team}', { send: (as) => ({ url: org(`/teams/${ours(as).team}`) }), expect: organization('org.manage', 204) }],
  ['DELETE /api/v1/orgs/{org}/invitations/{id}', { send: (as) => ({ url: org(`/invitations/${ours(as).invitation}`) }), expect: organization('org.manage', 204) }],
  ['DELETE /api/v1/orgs/{org}/members/{username}', { send: (as) => ({ url: org(`/members/${ours(as).member}`) }), expect: organization('org.manage', 204) }],
  // The owner and the admin suspend, lift and delete an organization of their own (of alice's); the others try mx-org.
  ['POST /api/v1/orgs/{org}/suspend', { send: (as) => ({ url: `/api/v1/orgs/${orgToEnd(as)}/suspend` }), expect: organization('org.own', 200) }],
  ['POST /api/v1/orgs/{org}/reactivate', { send: (as) => ({ url: `/api/v1/orgs/${orgToEnd(as)}/reactivate` }), expect: organization('org.own', 200) }],
  ['DELETE /api/v1/orgs/{org}', { send: (as) => ({ url: `/api/v1/orgs/${orgToEnd(as)}` }), expect: organization('org.own', 202) }],
  // Last: it ends the cookie callers' sessions.
  ['POST /api/v1/auth/logout', { send: () => ({ url: '/api/v1/auth/logout' }), expect: user(204) }],
];

/** Routes the table leaves to others, and why. */
const NOT_HERE: { test: (path: string, constrained: boolean) => boolean; why: string }[] = [
  { test: (_path, constrained) => constrained, why: "E2B's in-sandbox API: opened by the sandbox's access token, not a Berth caller (test/e2b*.test.ts)" },
  { test: (path) => path.startsWith('/api/docs'), why: 'the static Swagger UI' },
  { test: (path) => path === '/mcp', why: 'MCP: JSON-RPC sessions opened by an API token only, each tool checking its scope (test/mcp.test.ts)' },
];

function templateMissing(res: LightMyRequestResponse): void {
  expect(res.json<{ message: string }>().message).toContain("template 'no-such-template' not found");
}

const isE2b = (path: string) => /^\/(v2\/)?sandboxes/.test(path);

/** The headers that make `as` who they are, for Berth's API or for the E2B API (a token in X-API-KEY). */
function credentialsOf(as: CallerName, e2b: boolean): Record<string, string> {
  const c = creds[as] ?? {};
  if (e2b && c.token) return { 'x-api-key': c.token };
  if (c.cookie) return { cookie: c.cookie, origin: ORIGIN };
  if (c.token) return { authorization: `Bearer ${c.token}` };
  return {};
}

async function call(key: string, row: Row, as: CallerName, tweak: (req: Req) => Req = (req) => req): Promise<{ status: number; res?: LightMyRequestResponse; body: string }> {
  const [method, path] = key.split(' ') as [string, string];
  const req = tweak(row.send(as));
  if (method === 'WS') {
    const c = creds[as] ?? {};
    const headers: Record<string, string> = c.cookie ? { cookie: c.cookie } : c.token ? { authorization: `Bearer ${c.token}` } : {};
    const answer = await upgradeRequest(url, req.url, headers);
    return { status: answer.status, body: answer.body };
  }
  const res = await server.app.inject({
    method: method as 'GET',
    url: req.url,
    headers: { ...credentialsOf(as, isE2b(path)), ...req.headers },
    ...(req.body === undefined ? {} : { payload: typeof req.body === 'string' || Buffer.isBuffer(req.body) ? req.body : JSON.stringify(req.body) }),
  });
  return { status: res.statusCode, res, body: res.body };
}

const CODES: Record<number, string> = { 401: 'unauthorized', 403: 'forbidden', 404: 'not_found' };

/** Requests that change nothing: what a suspended organization's token may still send. */
const reads = (key: string) => /^(GET|WS|OPTIONS) /.test(key);

/** What a caller should get: a suspended organization's token reads as a stranger would and changes nothing. */
function expected(key: string, row: Row, as: CallerName): Outcome {
  if (as !== 'suspended') return row.expect[as];
  return row.expect.suspended ?? (reads(key) ? row.expect.other : no(403));
}

/** A refusal says what it is: problem+json with its code on Berth's API, E2B's `{code}` on E2B's. */
function expectRefusal(key: string, as: CallerName, got: { status: number; res?: LightMyRequestResponse }, status: number): void {
  expect(got.status, `${key} as ${as}`).toBe(status);
  if (!got.res) return;
  const code = as === 'suspended' && !reads(key) ? 'organization_suspended' : CODES[status];
  if (isE2b(key.split(' ')[1]!)) expect(got.res.json(), `${key} as ${as}`).toMatchObject({ code: status });
  else expect(got.res.json(), `${key} as ${as}`).toMatchObject({ status, code });
}

/**
 * Every route the app serves, from its router: method and path (find-my-way
 * form), and whether a constraint guards it. The printed tree drops the
 * segment before a wildcard, so a wildcard reads as "<its nearest printed
 * ancestor>*": matched against the table by that prefix.
 */
function appRoutes(): { method: string; path: string; constrained: boolean }[] {
  const routes: { method: string; path: string; constrained: boolean }[] = [];
  const stack: string[] = [];
  for (const line of server.app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:│ {3}| {4})*)[├└]── (\S+)(?: \(([^)]*)\))?(.*)$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    const full = (stack[depth - 1] ?? '') + m[2]!;
    stack[depth] = full;
    for (const method of (m[3] ?? '').split(', ').filter((x) => x && x !== 'HEAD')) routes.push({ method, path: full, constrained: m[4]!.includes('{') });
  }
  return routes;
}

/** A table key in find-my-way form: WS is a GET. */
function routerForm(key: string): { method: string; path: string } {
  const [method, path] = key.split(' ') as [string, string];
  return { method: method === 'WS' ? 'GET' : method, path: path.replace(/\{\*\}/g, '*').replace(/\{(\w+)\}/g, ':$1') };
}

beforeAll(async () => {
  // Its apps' source is on this machine (answering nothing): allowed here, as an administrator may.
  server = await startTestServer({ BERTH_APPS_ALLOW_LOCAL_SOURCES: 'true' });
  url = await server.app.listen({ host: '127.0.0.1', port: 0 });
  const anonymous = server.anonymous;
  /** A session cookie, and a token made with it in `org` (else in the user's personal organization). */
  const signIn = async (username: string, password: string, org?: string) => {
    const res = await anonymous.post('/api/v1/auth/login', { username, password });
    expect(res.statusCode, res.body).toBe(200);
    const cookie = `berth_session=${res.cookies.find((c) => c.name === 'berth_session')!.value}`;
    const headers = { cookie, origin: ORIGIN, ...(org ? { 'berth-org': org } : {}) };
    const token = await server.app.inject({ method: 'POST', url: '/api/v1/tokens', headers, payload: { name: 'matrix' } });
    expect(token.statusCode, token.body).toBe(201);
    return { cookie, token: token.json<{ token: string; id: string }>().token, tokenId: token.json<{ id: string }>().id };
  };
  const password = 'a-long-enough-password';
  const adminCaller = await server.login(ADMIN.username, ADMIN.password);
  r.alice = await server.createUser('alice', password);
  r.bob = await server.createUser('bob', password);
  const carolId = await server.createUser('carol', password);
  await server.createUser('dave', password);
  for (const id of [r.alice, r.bob]) expect((await adminCaller.patch(`/api/v1/users/${id}/quota`, { credits: 20, maxEnvironments: 20 })).statusCode).toBe(200);

  const alice = await signIn('alice', password);
  const bob = await signIn('bob', password);
  const adm = await signIn(ADMIN.username, ADMIN.password);
  creds.owner = alice;
  creds.other = bob;
  creds.admin = adm;
  r.spareToken = (await signIn('alice', password)).tokenId;

  // A deactivated user's credentials from before, and a revoked token of an active user.
  const carol = await signIn('carol', password);
  expect((await adminCaller.patch(`/api/v1/users/${carolId}`, { active: false })).statusCode).toBe(200);
  creds.deactivatedCookie = { cookie: carol.cookie };
  creds.deactivatedToken = { token: carol.token };
  const dave = await signIn('dave', password);
  expect((await server.withToken(dave.token).delete(`/api/v1/tokens/${dave.tokenId}`)).statusCode).toBe(204);
  creds.revokedToken = { token: dave.token };
  creds.anonymous = {};

  // Organizations: alice owns mx-org, and two more to suspend and delete (one for her, one for the admin).
  const aliceSession = await server.login('alice', password);
  const made = async (caller: Caller, slug: string) => {
    const res = await caller.post('/api/v1/orgs', { slug, name: slug });
    expect(res.statusCode, res.body).toBe(202);
  };
  const allActive = (caller: Caller, who: string) =>
    waitFor(`${who}'s organizations to be provisioned`, async () => (await caller.get('/api/v1/orgs')).json<{ items: { status: string }[] }>().items.every((o) => o.status === 'active'));
  for (const slug of [r.org, 'mx-org-owner', 'mx-org-admin']) await made(aliceSession, slug);
  await allActive(aliceSession, 'alice');
  r.orgId = (await aliceSession.get(org())).json<{ id: string }>().id;
  expect((await adminCaller.patch(org('/ceiling'), { credits: 50, maxEnvironments: 50 })).statusCode).toBe(200);
  expect((await aliceSession.patch(org('/quota'), { credits: 50, maxEnvironments: 50 })).statusCode).toBe(200);
  const join = async (orgSlug: string, username: string, role: 'admin' | 'member' | 'viewer' = 'member') => {
    const invited = await aliceSession.post(`/api/v1/orgs/${orgSlug}/invitations`, { username, role });
    expect(invited.statusCode, invited.body).toBe(201);
    const res = await (await server.login(username, password)).post(`/api/v1/invitations/${invited.json<{ id: string }>().id}/accept`);
    expect(res.statusCode, res.body).toBe(200);
  };
  const team = async (slug: string) => {
    const res = await aliceSession.post(org('/teams'), { slug, name: slug });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string }>().id;
  };
  const inTeam = async (teamSlug: string, username: string) => expect((await aliceSession.put(org(`/teams/${teamSlug}/members/${username}`), { role: 'member' })).statusCode).toBe(200);
  // erin is changed and moved between teams by the rows; fred, gina and hal are removed by the owner, the admin and the org admin.
  for (const name of ['erin', 'fred', 'gina', 'hal']) {
    await server.createUser(name, password);
    await join(r.org, name);
  }
  // The organization's people by role, acting in it with tokens of it: olive its admin, mel and vera
  // (member, viewer) in the team core the environment is shared with at use, nash a member of no team.
  const roles = { orgAdmin: ['olive', 'admin'], member: ['mel', 'member'], memberNoShare: ['nash', 'member'], viewer: ['vera', 'viewer'] } as const;
  for (const [caller, [name, role]] of Object.entries(roles)) {
    await server.createUser(name, password);
    await join(r.org, name, role);
    creds[caller as CallerName] = { token: (await signIn(name, password, r.org)).token };
  }
  r.team = await team('core');
  for (const name of ['mel', 'vera']) await inTeam('core', name);
  // rex was a member in core, and was removed: his session stays, in his own organization only.
  await server.createUser('rex', password);
  await join(r.org, 'rex');
  await inTeam('core', 'rex');
  creds.removed = { cookie: (await signIn('rex', password)).cookie };
  expect((await aliceSession.delete(org('/members/rex'))).statusCode).toBe(204);
  // sue's organization is suspended: its token reads and changes nothing.
  await server.createUser('sue', password);
  const sue = await server.login('sue', password);
  await made(sue, 'mx-frozen');
  await allActive(sue, 'sue');
  creds.suspended = { token: (await signIn('sue', password, 'mx-frozen')).token };
  expect((await sue.post('/api/v1/orgs/mx-frozen/suspend')).statusCode).toBe(200);

  // alice's environment in mx-org, shared with core at use.
  const aliceInOrg = inOrg(aliceSession, r.org);
  r.env = (await runningEnvironment(aliceInOrg)).id;
  expect((await aliceSession.put(env(`/shares/${r.team}`), { level: 'use' })).statusCode).toBe(200);
  for (const name of ['read.txt', ...(['owner', 'admin', 'member', 'orgAdmin'] as const).flatMap((as) => [`mv-${as}`, `del-${as}`])]) {
    expect((await aliceSession.put(env(`/files/content?path=mx/${name}`), 'x', { 'content-type': 'text/plain' })).statusCode).toBe(201);
  }
  const aliceCaller = server.withToken(alice.token);
  const template = async (slug: string) => {
    const res = await aliceCaller.post('/api/v1/templates', { slug, name: slug, files: [{ path: 'hello.txt', content: 'hi\n' }] });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<Template>().id;
  };
  r.template = await template('mx-private');
  r.pool = (await adminCaller.api.call('pools.create', { body: { machineType: 'medium', size: 0 } })).id;
  const madeApp = async (name: string) => {
    const res = await aliceInOrg.post('/api/v1/apps', { name, source: NOWHERE });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string }>().id;
  };
  r.app = await madeApp('mx-app');
  r.doomedApps = { owner: await madeApp('mx-doomed-owner'), admin: await madeApp('mx-doomed-admin'), orgAdmin: await madeApp('mx-doomed-orgadmin') };
  r.archive = await archive();
  r.sandbox = (await createSandbox(url, alice.token)).sandboxID;
  const owner = { id: r.alice, username: 'alice' };
  const [envOwner, envAdmin, envOrgAdmin] = await environmentsThatNeverRan(server, owner, 3, { orgId: r.orgId });
  r.doomedEnvs = { owner: envOwner!, admin: envAdmin!, orgAdmin: envOrgAdmin! };
  const [sbxOwner, sbxAdmin] = await environmentsThatNeverRan(server, owner, 2, { sandbox: true });
  r.doomed = {
    owner: { template: await template('mx-doomed-1'), sandbox: sbxOwner! },
    admin: { template: await template('mx-doomed-2'), sandbox: sbxAdmin! },
  };

  const erinsTeam = async (slug: string) => {
    const id = await team(slug);
    await inTeam(slug, 'erin');
    return id;
  };
  const inviteLink = async () => (await aliceSession.post(org('/invitations'), { role: 'member' })).json<{ id: string; token: string }>();
  r.perCaller = {
    owner: { org: 'mx-org-owner', member: 'fred', team: '', teamOfErin: 'erin-1', invitation: '' },
    admin: { org: 'mx-org-admin', member: 'gina', team: '', teamOfErin: 'erin-2', invitation: '' },
    orgAdmin: { org: r.org, member: 'hal', team: '', teamOfErin: 'erin-3', invitation: '' },
  };
  for (const as of ['owner', 'admin', 'orgAdmin'] as const) {
    const mine = r.perCaller[as];
    mine.team = await team(`doomed-${as.toLowerCase()}`);
    expect((await aliceSession.put(env(`/shares/${mine.team}`), { level: 'view' })).statusCode).toBe(200);
    await erinsTeam(mine.teamOfErin);
    mine.invitation = (await inviteLink()).id;
  }
  const erin = await server.login('erin', password);
  for (const slug of ['mx-invites', 'mx-links']) await made(erin, slug);
  await allActive(erin, 'erin');
  const forBob = await erin.post('/api/v1/orgs/mx-invites/invitations', { username: 'bob' });
  expect(forBob.statusCode, forBob.body).toBe(201);
  r.bobInvitation = forBob.json<{ id: string }>().id;
  for (const as of ['other', 'removed', ...ROLE_CALLERS, 'owner', 'admin'] as const) {
    const link = await erin.post('/api/v1/orgs/mx-links/invitations', {});
    expect(link.statusCode, link.body).toBe(201);
    r.links[as] = link.json<{ token: string }>().token;
  }
}, 240_000);

afterAll(async () => {
  await server?.close();
});

/** Routes outside the OpenAPI document that take a body or query, checked like the documented ones. */
const HIDDEN_WITH_INPUT: { key: string; body: boolean; query: boolean }[] = [
  { key: 'POST /sandboxes/{sandboxID}/connect', body: true, query: false },
  { key: 'POST /v2/sandboxes/{sandboxID}/connect', body: true, query: false },
  { key: 'POST /sandboxes/{sandboxID}/timeout', body: true, query: false },
  { key: 'WS /api/v1/environments/{id}/terminal', body: false, query: true },
  { key: 'WS /api/v1/environments/{id}/events/ws', body: false, query: true },
];

/** Input no schema accepts: a JSON array for an object body, an unknown field in a strict query. */
const spoil = (input: { body: boolean; query: boolean }) => (req: Req): Req => ({
  url: input.query ? `${req.url}${req.url.includes('?') ? '&' : '?'}__not_a_field=1` : req.url,
  ...(input.body ? json([]) : { body: req.body, headers: req.headers }),
});

describe('a bad body or query from a caller who may not use the route', () => {
  it('is refused as that caller (401/403/404), never answered 400 with the schema\'s field errors', async () => {
    const doc = (await server.anonymous.get('/api/openapi.json')).json<OpenAPIV3_1.Document>();
    const documented = Object.entries(doc.paths ?? {}).flatMap(([path, ops]) =>
      Object.entries(ops ?? {}).map(([method, op]) => {
        const operation = op as OpenAPIV3_1.OperationObject;
        const query = (operation.parameters ?? []).some((p) => (p as OpenAPIV3_1.ParameterObject).in === 'query');
        const body = !!(operation.requestBody as OpenAPIV3_1.RequestBodyObject | undefined)?.content?.['application/json'];
        return { key: `${method.toUpperCase()} ${path}`, body, query };
      }),
    );
    const inputs = [...documented.filter((d) => d.body || d.query), ...HIDDEN_WITH_INPUT];
    expect(inputs.length).toBeGreaterThan(15);
    const wrong: string[] = [];
    for (const input of inputs) {
      const row = TABLE.find(([key]) => key === input.key)?.[1];
      expect(row, `${input.key} has no row in TABLE`).toBeDefined();
      const refused = (['other', 'owner', 'anonymous'] as const).find((as) => 'refused' in row!.expect[as]);
      if (!refused) continue; // open to everyone (sign-in): nobody to refuse
      const want = (row!.expect[refused] as { refused: number }).refused;
      const got = await call(input.key, row!, refused, spoil(input));
      if (got.status !== want) wrong.push(`${input.key} as ${refused}: ${got.status} (want ${want}) ${got.body.slice(0, 120)}`);
      // The same input from a caller who may use the route is bad input indeed.
      const allowed = (['owner', 'admin'] as const).find((as) => 'ok' in row!.expect[as])!;
      const control = await call(input.key, row!, allowed, spoil(input));
      if (control.status !== 400) wrong.push(`${input.key} as ${allowed}: ${control.status} (want 400: the input should be bad)`);
    }
    expect(wrong).toEqual([]);
  }, 120_000);
});

describe('an id in the path that is not an id', () => {
  it('is refused on the path alone, whoever asks and whatever the body', async () => {
    for (const as of ['other', 'owner'] as const) {
      const res = await server.app.inject({ method: 'POST', url: '/api/v1/environments/not-a-uuid/exec', headers: { ...credentialsOf(as, false), 'content-type': 'application/json' }, payload: '[]' });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json<{ errors: { field: string }[] }>().errors.map((e) => e.field)).toEqual(['params.id']);
    }
  });
});

describe('the authorization matrix', () => {
  it('has an expectation for every route the app serves, and no row for a route it does not', async () => {
    const keys = TABLE.map(([key]) => key);
    expect(new Set(keys).size, 'a key appears twice in the table').toBe(keys.length);
    const rows = keys.map(routerForm);
    const missing = appRoutes()
      .filter((route) => !NOT_HERE.some((n) => n.test(route.path, route.constrained)))
      .filter((route) => {
        const wildcard = route.path.endsWith('*');
        return !rows.some((row) => row.method === route.method && (wildcard ? row.path.endsWith('*') && row.path.startsWith(route.path.slice(0, -1)) : row.path === route.path));
      })
      .map((route) => `${route.method} ${route.path}`);
    expect(missing, `routes without an expectation: add a row for each to TABLE in test/authorization-matrix.test.ts`).toEqual([]);
    const stale = rows.filter((row) => !server.app.hasRoute({ method: row.method as 'GET', url: row.path })).map((row) => `${row.method} ${row.path}`);
    expect(stale, 'rows for routes the app does not have').toEqual([]);

    const doc = (await server.anonymous.get('/api/openapi.json')).json<OpenAPIV3_1.Document>();
    const documented = Object.entries(doc.paths ?? {}).flatMap(([path, ops]) => Object.keys(ops ?? {}).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.filter((key) => !keys.includes(key)), 'OpenAPI operations without a row').toEqual([]);
  });

  describe.each(TABLE)('%s', (key, row) => {
    it('answers each caller as expected', async () => {
      for (const as of CALLERS) {
        const outcome = expected(key, row, as);
        const got = await call(key, row, as);
        if ('refused' in outcome) {
          expectRefusal(key, as, got, outcome.refused);
          continue;
        }
        expect(outcome.ok, `${key} as ${as}: ${got.status} ${got.body.slice(0, 300)}`).toContain(got.status);
        if (row.check && got.res) row.check(got.res);
      }
    }, 120_000);
  });
});
