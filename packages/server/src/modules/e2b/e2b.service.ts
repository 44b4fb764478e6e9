import { isUuid } from '@berth/contracts';
import { requireActor, type Actor, type RequestContext } from '../../context.js';
import type { Db } from '../../db/client.js';
import type { Keyring } from '../../keyring.js';
import type { EventBus } from '../../control/event-bus.js';
import type { AuditService } from '../audit/audit.service.js';
import { authorize, may } from '../auth/authorize.js';
import type { ConfigService } from '../config/config.service.js';
import type { EnvironmentsService } from '../environments/environments.service.js';
import type { NewSandbox } from './e2b.contracts.js';
import { clampTimeout, DEFAULT_TIMEOUT_SECONDS, ENVD_VERSION, matchesMetadata, parseTemplateMap, sandboxState } from './e2b.domain.js';
import { E2bApiError } from './e2b.errors.js';
import type { E2bRepo, Sandbox } from './e2b.repo.js';
import type { TemplatesService } from '../templates/templates.service.js';
import type { RuntimeClasses } from '../nodes/runtime-classes.js';

interface Deps {
  db: Db;
  e2bRepo: E2bRepo;
  environments: Pick<EnvironmentsService, 'create' | 'lifecycle' | 'visible' | 'stats'>;
  /** Berth's templates, which E2B template ids name by slug where `e2b_templates` maps nothing. */
  templates: Pick<TemplatesService, 'visibleBySlug'>;
  config: Pick<ConfigService, 'value'>;
  audit: AuditService;
  bus: Pick<EventBus, 'subscribe'>;
  /** Keys the sandboxes' access tokens (see tokenOf). */
  keyring: Keyring;
  /** How long create and connect wait for the environment to run (the SDK gives up at 60 s). */
  readyTimeoutMs: number;
  /** Berth's preview domain: the sandbox `domain`, so the SDK's getHost(port) names Berth's preview of that port. */
  previewDomain: () => string;
  /** What sandboxes run under: sandboxed (gVisor) where the engine offers it, unless configured otherwise. */
  runtimeClasses: Pick<RuntimeClasses, 'forUntrusted'>;
}

const ENVD_TOKEN_PURPOSE = 'e2b-envd';
/** The token for a sandbox's other ports (the code interpreter's): the SDK sends it where it sends no access token. */
const TRAFFIC_TOKEN_PURPOSE = 'e2b-traffic';

/** Which of a sandbox's tokens a request carries: envd's access token, or the traffic token for its other ports. */
export interface SandboxCredentials {
  accessToken?: string;
  trafficToken?: string;
}

export interface ListQuery {
  metadata: Record<string, string>;
  states: Set<string> | null;
  template?: string;
  limit: number;
  offset: number;
}

/**
 * E2B's sandbox lifecycle on Berth environments. A sandbox is an environment
 * of the caller's, made and removed through the same intents, credit checks,
 * authorization and audit rows as any other; this adds E2B's template ids,
 * metadata, sandbox-wide variables, the timeout, and the envd access token.
 */
export function createE2bService(deps: Deps) {
  const { db, e2bRepo, environments } = deps;

  /**
   * The access token of a sandbox's in-sandbox API. Derived, not stored: connect
   * must hand the same token out again, and an HMAC needs no table of secrets.
   */
  const tokenOf = (sandboxId: string) => deps.keyring.sign(ENVD_TOKEN_PURPOSE, sandboxId);
  const trafficTokenOf = (sandboxId: string) => deps.keyring.sign(TRAFFIC_TOKEN_PURPOSE, sandboxId);
  /** Tokens handed out under the previous key keep working while BERTH_SECRET is rotated. */
  const tokenMatches = (sandboxId: string, given: string | undefined, purpose = ENVD_TOKEN_PURPOSE) => given !== undefined && deps.keyring.verify(purpose, sandboxId, given);

  /** The caller's live sandbox; anyone else's, or none, is not found. */
  /** The caller's sandbox, in the organization its key acts in (instance admins: anyone's). */
  async function visible(actor: Actor | null, sandboxId: string): Promise<Sandbox> {
    const found = isUuid(sandboxId) ? await e2bRepo.get(db, sandboxId) : undefined;
    const sandbox = found && (may(actor, 'environments.all') || found.env.orgId === actor?.orgId) ? found : undefined;
    authorize(actor, 'own', sandbox && { ownerId: sandbox.env.ownerId }, `Sandbox ${sandboxId}`);
    return sandbox!;
  }

  /** Resolves once the environment runs; answers the SDK's way if it fails or takes too long. */
  async function whenRunning(actor: Actor, id: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unsubscribe();
        if (err) reject(err);
        else resolve();
      };
      const check = () =>
        environments.visible(actor, id).then((env) => {
          if (env.status === 'running' && env.desiredState === 'running') finish();
          else if (env.status === 'error') finish(new E2bApiError(500, `Sandbox ${id} failed to start: ${env.lastError ?? 'unknown error'}`));
          else if (env.desiredState !== 'running') finish(new E2bApiError(409, `Sandbox ${id} was stopped while starting`));
        }, finish);
      const timer = setTimeout(() => finish(new E2bApiError(504, `Sandbox ${id} did not start within ${deps.readyTimeoutMs / 1000} s`)), deps.readyTimeoutMs);
      const unsubscribe = deps.bus.subscribe(id, () => void check());
      void check();
    });
  }

  function describe(sandbox: Sandbox) {
    const { env } = sandbox;
    return {
      sandboxID: env.id,
      templateID: sandbox.templateId,
      alias: sandbox.templateId,
      clientID: env.id,
      startedAt: (env.startedAt ?? env.createdAt).toISOString(),
      endAt: sandbox.endAt.toISOString(),
      state: sandboxState(env.desiredState),
      cpuCount: env.vcpus,
      memoryMB: env.memoryMb,
      diskSizeMB: env.diskGib * 1024,
      envdVersion: ENVD_VERSION,
      metadata: sandbox.metadata,
      volumeMounts: [],
    };
  }

  const handle = (id: string, templateId: string) => ({
    sandboxID: id,
    templateID: templateId,
    alias: templateId,
    clientID: id,
    envdVersion: ENVD_VERSION,
    envdAccessToken: tokenOf(id),
    domain: deps.previewDomain(),
    trafficAccessToken: trafficTokenOf(id),
  });

  async function create(ctx: RequestContext, body: NewSandbox) {
    const actor = requireActor(ctx);
    const map = parseTemplateMap(await deps.config.value('e2b_templates'));
    // The admin's mapping first (aliases, and images of the catalogue), then Berth's own templates by slug,
    // on the machine type `base` runs on: their image (a Dockerfile's) and files come with them.
    const mapped = map[body.templateID];
    const template = mapped ? undefined : await deps.templates.visibleBySlug(actor, body.templateID);
    if (!mapped && !template) throw new E2bApiError(404, `template '${body.templateID}' not found`);
    const target = mapped ?? { type: map.base?.type ?? 'small' };
    const timeout = clampTimeout(body.timeout ?? DEFAULT_TIMEOUT_SECONDS);
    const env = await environments.create(
      ctx,
      { type: target.type, ...(template ? { templateId: template.id } : {}), runtimeClass: await deps.runtimeClasses.forUntrusted() },
      {
        origin: 'e2b',
        image: target.image,
        attach: (tx, row) =>
          e2bRepo.insert(tx, { environmentId: row.id, templateId: body.templateID, metadata: body.metadata ?? {}, envVars: body.envVars ?? {}, endAt: new Date(Date.now() + timeout * 1000) }),
      },
    );
    // Claimed from a warm pool, it runs already.
    if (env.status !== 'running') await whenRunning(actor, env.id);
    return handle(env.id, body.templateID);
  }

  /** Resumes a paused sandbox; a running one gets a longer timeout if asked (never a shorter one). */
  async function connect(ctx: RequestContext, sandboxId: string, timeoutSeconds: number | undefined) {
    const actor = requireActor(ctx);
    const sandbox = await visible(actor, sandboxId);
    const id = sandbox.env.id;
    const resumed = sandbox.env.desiredState !== 'running';
    const wanted = new Date(Date.now() + clampTimeout(timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000);
    const endAt = resumed || wanted > sandbox.endAt ? wanted : sandbox.endAt;
    await deps.audit.mutate(ctx, 'sandbox.connect', { targetType: 'environment', targetId: id, metadata: { resumed, endAt: endAt.toISOString() } }, (tx) =>
      e2bRepo.setEndAt(tx, id, endAt),
    );
    if (resumed) await environments.lifecycle(ctx, id, 'start');
    await whenRunning(actor, id);
    return { resumed, sandbox: handle(id, sandbox.templateId) };
  }

  async function list(ctx: RequestContext, query: ListQuery) {
    const actor = requireActor(ctx);
    const all = (await e2bRepo.listByOwner(db, actor.id, actor.orgId)).filter(
      (s) =>
        matchesMetadata(s.metadata, query.metadata) &&
        (!query.states || query.states.has(sandboxState(s.env.desiredState))) &&
        (!query.template || query.template === s.templateId),
    );
    const page = all.slice(query.offset, query.offset + query.limit);
    const next = query.offset + query.limit < all.length ? String(query.offset + query.limit) : null;
    return { items: page.map(describe), next };
  }

  async function info(ctx: RequestContext, sandboxId: string) {
    const sandbox = await visible(requireActor(ctx), sandboxId);
    return { ...describe(sandbox), envdAccessToken: tokenOf(sandbox.env.id), trafficAccessToken: trafficTokenOf(sandbox.env.id), domain: deps.previewDomain() };
  }

  async function kill(ctx: RequestContext, sandboxId: string): Promise<void> {
    const sandbox = await visible(requireActor(ctx), sandboxId);
    await environments.lifecycle(ctx, sandbox.env.id, 'delete');
  }

  /** E2B's setTimeout: the sandbox now ends this many seconds from now, sooner or later than before. */
  async function setTimeout_(ctx: RequestContext, sandboxId: string, seconds: number): Promise<void> {
    const sandbox = await visible(requireActor(ctx), sandboxId);
    const endAt = new Date(Date.now() + clampTimeout(seconds) * 1000);
    await deps.audit.mutate(ctx, 'sandbox.set_timeout', { targetType: 'environment', targetId: sandbox.env.id, metadata: { timeoutSeconds: seconds, endAt: endAt.toISOString() } }, (tx) =>
      e2bRepo.setEndAt(tx, sandbox.env.id, endAt),
    );
  }

  /** E2B's pause is Berth's stop: the workspace stays, the credits are freed, connect resumes it. */
  async function pause(ctx: RequestContext, sandboxId: string): Promise<void> {
    const sandbox = await visible(requireActor(ctx), sandboxId);
    if (sandbox.env.desiredState !== 'running') throw new E2bApiError(409, `Sandbox ${sandboxId} is already paused`);
    await environments.lifecycle(ctx, sandbox.env.id, 'stop');
  }

  /** One sample, now (Berth keeps no history of resource use); none while paused. */
  async function metrics(ctx: RequestContext, sandboxId: string) {
    const sandbox = await visible(requireActor(ctx), sandboxId);
    if (sandbox.env.desiredState !== 'running' || sandbox.env.status !== 'running') return [];
    const stats = await environments.stats(ctx, sandbox.env.id);
    const now = new Date();
    return [
      {
        timestamp: now.toISOString(),
        timestampUnix: Math.floor(now.getTime() / 1000),
        cpuUsedPct: stats.cpuPercent,
        cpuCount: sandbox.env.vcpus,
        memUsed: stats.memoryBytes,
        memTotal: stats.memoryLimitBytes,
        memCache: 0,
        diskUsed: 0,
        diskTotal: sandbox.env.diskGib * 1024 ** 3,
      },
    ];
  }

  /**
   * For the in-sandbox API: the live sandbox a request's credentials open, or why not. envd takes
   * only the access token; the sandbox's other ports (`ports: true`) its traffic token as well.
   */
  async function openedBy(sandboxId: string, credentials: SandboxCredentials, opts: { ports?: boolean } = {}): Promise<{ sandbox: Sandbox } | { refused: 'gone' | 'token' }> {
    const sandbox = isUuid(sandboxId) ? await e2bRepo.get(db, sandboxId) : undefined;
    if (!sandbox || sandbox.env.desiredState !== 'running' || sandbox.env.status !== 'running') return { refused: 'gone' };
    const opens = tokenMatches(sandbox.env.id, credentials.accessToken) || (opts.ports === true && tokenMatches(sandbox.env.id, credentials.trafficToken, TRAFFIC_TOKEN_PURPOSE));
    // The tokens stand in for their owner, so they open nothing once the owner is deactivated.
    if (!opens || !sandbox.ownerActive) return { refused: 'token' };
    return { sandbox };
  }

  return { create, connect, list, info, kill, setTimeout: setTimeout_, pause, metrics, openedBy, visible };
}


export type E2bService = ReturnType<typeof createE2bService>;
