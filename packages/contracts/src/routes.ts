import { z } from 'zod';
import { AssistantUsageQuerySchema, AssistantUsageSchema, MemberAssistantBodySchema, MemberAssistantSchema } from './assistant.js';
import { IdParamsSchema } from './common.js';
import { ConfigFlagSchema, ConfigListSchema, ConfigNameParamsSchema, UpdateConfigBodySchema } from './config.js';
import { type ErrorCode } from './errors.js';
import { AuditPageSchema, AuditQuerySchema, OrgAuditQuerySchema } from './audit.js';
import { LoginBodySchema, LoginResponseSchema } from './auth.js';
import {
  CreateEnvironmentBodySchema,
  EgressBodySchema,
  EnvironmentListSchema,
  EnvironmentSchema,
  EnvironmentStatsSchema,
  EventListSchema,
  EventsQuerySchema,
  ExecBodySchema,
  ExecResultSchema,
  ListEnvironmentsQuerySchema,
} from './environments.js';
import { ArchiveQuerySchema, DeleteQuerySchema, FileListSchema, MkdirBodySchema, MoveBodySchema, PathQuerySchema, SearchQuerySchema, SearchResultSchema } from './files.js';
import { AppMetricsSchema, AddDomainBodySchema, AppDomainListSchema, AppDomainSchema, DomainParamsSchema, AppDatabaseSchema, AppEventListSchema, AppEventsQuerySchema, AppLogsQuerySchema, AppLogsSchema, RemoveDatabaseQuerySchema, EdgeAskQuerySchema, WebhookSchema, AppListSchema, AppSchema, ConfigVarListSchema, CreateAppBodySchema, ReleaseListSchema, ReleaseSchema, RollbackBodySchema, SetConfigBodySchema, UpdateAppBodySchema } from './apps.js';
import { MoveEnvironmentBodySchema, NodeListSchema, NodeParamsSchema, NodeSchema, UpdateNodeBodySchema } from './nodes.js';
import { CreateWarmPoolBodySchema, UpdateWarmPoolBodySchema, WarmPoolListSchema, WarmPoolSchema } from './pools.js';
import { CreateMachineTypeBodySchema, MachineTypeListSchema, MachineTypeParamsSchema, MachineTypeSchema, UpdateMachineTypeBodySchema } from './machine-types.js';
import {
  AcceptLinkBodySchema,
  CreatedInvitationSchema,
  CreateInvitationBodySchema,
  CreateOrgBodySchema,
  CreateTeamBodySchema,
  InvitationListSchema,
  InvitationParamsSchema,
  MemberListSchema,
  MemberParamsSchema,
  MemberSchema,
  OrganizationListSchema,
  OrganizationSchema,
  OrgCeilingBodySchema,
  OrgParamsSchema,
  OrgQuotaSchema,
  ShareBodySchema,
  ShareListSchema,
  ShareParamsSchema,
  TeamListSchema,
  TeamMemberBodySchema,
  TeamMemberParamsSchema,
  TeamParamsSchema,
  TeamSchema,
  UpdateMemberBodySchema,
  UpdateOrgQuotaBodySchema,
} from './orgs.js';
import { PortListSchema, PortParamsSchema, PortSharingBodySchema, PortSharingResultSchema, PreviewGrantSchema } from './previews.js';
import { TerminalQuerySchema } from './terminal.js';
import { QuotaSchema, UpdateQuotaBodySchema } from './quotas.js';
import { ApplyTemplateBodySchema, CreateTemplateBodySchema, TemplateListSchema, TemplateSchema, UpdateTemplateBodySchema } from './templates.js';
import { CreatedTokenSchema, CreateTokenBodySchema, TokenListSchema } from './tokens.js';
import { ChangePasswordBodySchema, CreateUserBodySchema, MeSchema, UpdateUserBodySchema, UserListSchema, UserSchema } from './users.js';

/** The success statuses a route may answer with. */
export type SuccessStatus = 200 | 201 | 202 | 204;

/**
 * One JSON route of Berth's API: what to send, what comes back, and what it
 * is for. `path` is in OpenAPI form, its `{name}` segments filled from
 * `params`. Routes whose body or answer is bytes (file content, archives,
 * streams) say so with `raw`: the client hands them over as they are, and the
 * server's handler answers them itself.
 */
export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /** One line for the API document. */
  summary: string;
  /** The path's `{name}` segments, checked. */
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The answer's schema; absent: no content (204). */
  response?: z.ZodType;
  /** The success status; default 200 with an answer, 204 without. A list: the handler picks (a write answers 201 for a new file). */
  status?: SuccessStatus | readonly SuccessStatus[];
  /** The body, the answer or both are bytes, not JSON. */
  raw?: 'body' | 'response' | 'both';
  /**
   * The refusals particular to this route, beyond those any route can answer
   * (COMMON_PROBLEMS). The API document lists them; the test suite holds every
   * refusal it sees against them.
   */
  problems?: readonly ErrorCode[];
}

/** A WebSocket route: an upgraded GET, authenticated like the rest. */
export interface SocketSpec {
  path: string;
  summary: string;
  params?: z.ZodType;
  query?: z.ZodType;
  problems?: readonly ErrorCode[];
}

/**
 * What any route of the table may answer besides its own `problems`: a caller
 * missing or not allowed (a token of a suspended organization may only read), a token's scope, input that does not fit, a thing
 * that is not there (or not the caller's to see), and the server's own
 * troubles.
 */
export const COMMON_PROBLEMS = [
  'validation_failed',
  'invalid_json',
  'unsupported_media_type',
  'payload_too_large',
  'unauthorized',
  'forbidden',
  'csrf_failed',
  'token_scope',
  'organization_suspended',
  'not_found',
  'method_not_allowed',
  'rate_limited',
  'internal_error',
  'not_ready',
] as const satisfies readonly ErrorCode[];

/** The statuses a route answers success with: the table's, else 200 with an answer and 204 without. */
export const successStatuses = (spec: RouteSpec): readonly SuccessStatus[] => [spec.status ?? (spec.response || spec.raw === 'response' || spec.raw === 'both' ? 200 : 204)].flat();

const route = <const R extends RouteSpec>(spec: R): R => spec;
const socket = <const S extends SocketSpec>(spec: S): S => spec;
const Written = z.object({ path: z.string(), etag: z.string() });

/**
 * Every route of the API, by name: the one table the server registers its
 * routes from (http/route.ts) and the typed client (@berth/client) calls
 * through. Routes are grouped in the API document by the first part of their
 * name (routeTag).
 */
export const ROUTES = {
  'auth.login': route({ method: 'POST', path: '/api/v1/auth/login', body: LoginBodySchema, response: LoginResponseSchema, summary: 'Sign in; sets the session cookie' }),
  'auth.logout': route({ method: 'POST', path: '/api/v1/auth/logout', summary: 'End the current session' }),
  'me.get': route({ method: 'GET', path: '/api/v1/me', response: MeSchema, summary: 'The caller, with their quota and usage' }),
  'me.changePassword': route({ method: 'POST', path: '/api/v1/me/password', body: ChangePasswordBodySchema, problems: ['wrong_password'], summary: 'Change your own password; ends your other sessions (and, with revokeTokens, your API tokens) and what they opened' }),

  'tokens.list': route({ method: 'GET', path: '/api/v1/tokens', response: TokenListSchema, summary: 'The caller\'s usable tokens' }),
  'tokens.create': route({ method: 'POST', path: '/api/v1/tokens', body: CreateTokenBodySchema, response: CreatedTokenSchema, status: 201, summary: 'Create an API token (the secret is shown once)' }),
  'tokens.revoke': route({ method: 'DELETE', path: '/api/v1/tokens/{id}', params: IdParamsSchema, summary: 'Revoke a token' }),

  'users.list': route({ method: 'GET', path: '/api/v1/users', response: UserListSchema, summary: 'List users (admin)' }),
  'users.create': route({ method: 'POST', path: '/api/v1/users', body: CreateUserBodySchema, response: UserSchema, status: 201, problems: ['conflict'], summary: 'Create a user (admin)' }),
  'users.get': route({ method: 'GET', path: '/api/v1/users/{id}', params: IdParamsSchema, response: UserSchema, summary: 'One user (admin)' }),
  'users.update': route({ method: 'PATCH', path: '/api/v1/users/{id}', params: IdParamsSchema, body: UpdateUserBodySchema, response: UserSchema, problems: ['conflict'], summary: 'Change a user (admin); deactivating signs them out everywhere' }),
  'users.quota': route({ method: 'GET', path: '/api/v1/users/{id}/quota', params: IdParamsSchema, response: QuotaSchema, summary: 'A user\'s quota and usage (admin)' }),
  'users.setQuota': route({ method: 'PATCH', path: '/api/v1/users/{id}/quota', params: IdParamsSchema, body: UpdateQuotaBodySchema, response: QuotaSchema, summary: 'Change a user\'s quota (admin); inactive stops all their environments' }),

  'config.list': route({ method: 'GET', path: '/api/v1/config', response: ConfigListSchema, summary: 'Runtime flags (admin; secrets masked)' }),
  'config.set': route({ method: 'PUT', path: '/api/v1/config/{name}', params: ConfigNameParamsSchema, body: UpdateConfigBodySchema, response: ConfigFlagSchema, summary: 'Set a runtime flag (admin)' }),
  'audit.list': route({ method: 'GET', path: '/api/v1/audit', query: AuditQuerySchema, response: AuditPageSchema, summary: 'The audit log, newest first (admin)' }),

  'machineTypes.list': route({ method: 'GET', path: '/api/v1/machine-types', response: MachineTypeListSchema, summary: 'Machine types the caller may use (admins: all)' }),
  'machineTypes.create': route({ method: 'POST', path: '/api/v1/machine-types', body: CreateMachineTypeBodySchema, response: MachineTypeSchema, status: 201, problems: ['conflict'], summary: 'Create a machine type (admin)' }),
  'machineTypes.update': route({ method: 'PATCH', path: '/api/v1/machine-types/{name}', params: MachineTypeParamsSchema, body: UpdateMachineTypeBodySchema, response: MachineTypeSchema, summary: 'Change a machine type (admin)' }),
  'machineTypes.delete': route({ method: 'DELETE', path: '/api/v1/machine-types/{name}', params: MachineTypeParamsSchema, problems: ['conflict'], summary: 'Delete a machine type no environment uses (admin)' }),

  'nodes.list': route({ method: 'GET', path: '/api/v1/nodes', response: NodeListSchema, summary: "The machines environments run on: the swarm's nodes, or the one engine (admin)" }),
  'nodes.update': route({ method: 'PATCH', path: '/api/v1/nodes/{id}', params: NodeParamsSchema, body: UpdateNodeBodySchema, response: NodeSchema, problems: ['not_a_swarm'], summary: "Drain, pause or activate a node, or set its labels (admin; a swarm's nodes only)" }),
  'pools.list': route({ method: 'GET', path: '/api/v1/pools', response: WarmPoolListSchema, summary: 'Warm pools and their state: ready, building, failed, draining (admin)' }),
  'pools.create': route({ method: 'POST', path: '/api/v1/pools', body: CreateWarmPoolBodySchema, response: WarmPoolSchema, status: 201, problems: ['conflict', 'machine_type_not_allowed', 'runtime_class_unavailable'], summary: 'Keep this many environments of a machine type (and template or image) started for creates to claim (admin)' }),
  'pools.update': route({ method: 'PATCH', path: '/api/v1/pools/{id}', params: IdParamsSchema, body: UpdateWarmPoolBodySchema, response: WarmPoolSchema, summary: 'Resize a warm pool; its failed environments are replaced (admin)' }),
  'pools.delete': route({ method: 'DELETE', path: '/api/v1/pools/{id}', params: IdParamsSchema, summary: 'Delete a warm pool; its unclaimed environments are deleted (admin)' }),

  'apps.list': route({ method: 'GET', path: '/api/v1/apps', response: AppListSchema, summary: 'The apps of the organization the caller acts in' }),
  'apps.create': route({ method: 'POST', path: '/api/v1/apps', body: CreateAppBodySchema, response: AppSchema, status: 201, problems: ['conflict', 'insufficient_credits', 'machine_type_not_allowed', 'member_credit_cap', 'quota_inactive', 'source_not_allowed'], summary: 'Create an app from a git branch or a folder of an environment; its first release builds at once' }),
  'apps.get': route({ method: 'GET', path: '/api/v1/apps/{id}', params: IdParamsSchema, response: AppSchema, summary: 'One app' }),
  'apps.update': route({ method: 'PATCH', path: '/api/v1/apps/{id}', params: IdParamsSchema, body: UpdateAppBodySchema, response: AppSchema, problems: ['insufficient_credits', 'machine_type_not_allowed', 'member_credit_cap', 'quota_inactive', 'source_not_allowed'], summary: 'Change its source, replicas, port, health check or release command (replicas apply at once; the rest with the next release)' }),
  'apps.delete': route({ method: 'DELETE', path: '/api/v1/apps/{id}', params: IdParamsSchema, response: AppSchema, status: 202, summary: 'Delete the app: its replicas, images and route go (in the background)' }),
  'apps.deploy': route({ method: 'POST', path: '/api/v1/apps/{id}/deploys', params: IdParamsSchema, response: ReleaseSchema, status: 202, summary: 'Build the source as it is now into a new release and move traffic to it once healthy' }),
  'apps.releases': route({ method: 'GET', path: '/api/v1/apps/{id}/releases', params: IdParamsSchema, response: ReleaseListSchema, summary: 'Its releases, newest first' }),
  'apps.rollback': route({ method: 'POST', path: '/api/v1/apps/{id}/rollback', params: IdParamsSchema, body: RollbackBodySchema, response: ReleaseSchema, status: 202, problems: ['nothing_to_roll_back_to'], summary: 'Release an earlier release\'s image and config again, as a new release' }),
  'apps.config': route({ method: 'GET', path: '/api/v1/apps/{id}/config', params: IdParamsSchema, response: ConfigVarListSchema, summary: 'Its config variables (secrets masked)' }),
  'apps.setConfig': route({ method: 'PATCH', path: '/api/v1/apps/{id}/config', params: IdParamsSchema, body: SetConfigBodySchema, response: ConfigVarListSchema, summary: 'Set and unset config variables (secret ones are encrypted at rest); a running app gets a new release with them' }),
  'apps.logs': route({ method: 'GET', path: '/api/v1/apps/{id}/logs', params: IdParamsSchema, query: AppLogsQuerySchema, response: AppLogsSchema, problems: ['runtime_unavailable'], summary: "What each replica of the serving release printed last, with its state and restarts" }),
  'apps.metrics': route({ method: 'GET', path: '/api/v1/apps/{id}/metrics', params: IdParamsSchema, response: AppMetricsSchema, problems: ['runtime_unavailable'], summary: 'Requests, server errors and latency per minute for the last hour, and restarts' }),
  'apps.domains': route({ method: 'GET', path: '/api/v1/apps/{id}/domains', params: IdParamsSchema, response: AppDomainListSchema, summary: 'Its custom domains' }),
  'apps.addDomain': route({ method: 'POST', path: '/api/v1/apps/{id}/domains', params: IdParamsSchema, body: AddDomainBodySchema, response: AppDomainSchema, status: 201, problems: ['conflict'], summary: "Serve the app at a host of the organization's own too (point its DNS at Berth's edge); organization admins" }),
  'apps.removeDomain': route({ method: 'DELETE', path: '/api/v1/apps/{id}/domains/{host}', params: DomainParamsSchema, summary: 'Stop serving the app at that host; organization admins' }),
  'apps.database': route({ method: 'GET', path: '/api/v1/apps/{id}/database', params: IdParamsSchema, response: AppDatabaseSchema, summary: 'Its managed PostgreSQL, if it has one' }),
  'apps.addDatabase': route({ method: 'POST', path: '/api/v1/apps/{id}/database', params: IdParamsSchema, response: AppDatabaseSchema, status: 201, problems: ['conflict'], summary: 'Attach a managed PostgreSQL (its own container and volume, generated credentials); DATABASE_URL is set, which makes a release' }),
  'apps.removeDatabase': route({ method: 'DELETE', path: '/api/v1/apps/{id}/database', params: IdParamsSchema, query: RemoveDatabaseQuerySchema, response: AppDatabaseSchema, status: 202, problems: ['confirmation_required'], summary: "Delete the database and its data (?confirm=<the app's name>); DATABASE_URL goes" }),
  'apps.backup': route({ method: 'GET', path: '/api/v1/apps/{id}/database/backup', params: IdParamsSchema, raw: 'response', problems: ['conflict', 'runtime_unavailable'], summary: 'A backup of the database as it is now: plain SQL (pg_dump), streamed' }),
  'apps.restore': route({ method: 'POST', path: '/api/v1/apps/{id}/database/restore', params: IdParamsSchema, raw: 'body', problems: ['conflict', 'restore_failed', 'runtime_unavailable'], summary: 'Restore a backup (the SQL a backup answered) into the database; stops at the first error' }),
  'apps.webhook': route({ method: 'POST', path: '/api/v1/apps/{id}/webhook', params: IdParamsSchema, response: WebhookSchema, status: 201, summary: 'Make (or replace) the push webhook: its URL and HMAC secret, shown once' }),
  'apps.push': route({ method: 'POST', path: '/api/v1/apps/{id}/push', params: IdParamsSchema, response: ReleaseSchema, raw: 'body', status: [202, 204], summary: "A git host's push event, signed with the webhook's secret (X-Hub-Signature-256): a push to the app's branch deploys it; anything else is ignored (204). Public: the signature is the credential" }),
  'edge.ask': route({ method: 'GET', path: '/api/v1/edge/ask', query: EdgeAskQuerySchema, summary: "Whether Berth serves an app at this host (204) or not (404): the edge proxy's question before it asks for a certificate (public)" }),
  'apps.events': route({ method: 'GET', path: '/api/v1/apps/{id}/events', params: IdParamsSchema, query: AppEventsQuerySchema, response: AppEventListSchema, summary: 'What happened to it after `since`: build output, release steps, switches, rollbacks' }),

  'environments.list': route({ method: 'GET', path: '/api/v1/environments', query: ListEnvironmentsQuerySchema, response: EnvironmentListSchema, summary: 'The caller\'s environments (admins: ?all=true for everyone\'s)' }),
  'environments.create': route({ method: 'POST', path: '/api/v1/environments', body: CreateEnvironmentBodySchema, response: EnvironmentSchema, status: 202, problems: ['conflict', 'environment_limit', 'image_not_allowed', 'insufficient_credits', 'machine_type_not_allowed', 'member_credit_cap', 'organization_not_active', 'quota_inactive', 'runtime_class_unavailable', 'runtime_unavailable'], summary: 'Create an environment (it starts at once)' }),
  'environments.get': route({ method: 'GET', path: '/api/v1/environments/{id}', params: IdParamsSchema, response: EnvironmentSchema, summary: 'One environment' }),
  'environments.delete': route({ method: 'DELETE', path: '/api/v1/environments/{id}', params: IdParamsSchema, response: EnvironmentSchema, status: 202, summary: 'Delete the environment and its workspace' }),
  'environments.start': route({ method: 'POST', path: '/api/v1/environments/{id}/start', params: IdParamsSchema, response: EnvironmentSchema, status: 202, problems: ['conflict', 'insufficient_credits', 'member_credit_cap', 'quota_inactive', 'runtime_class_unavailable', 'runtime_unavailable'], summary: 'Ask the environment to start' }),
  'environments.stop': route({ method: 'POST', path: '/api/v1/environments/{id}/stop', params: IdParamsSchema, response: EnvironmentSchema, status: 202, summary: 'Ask the environment to stop' }),
  'environments.restart': route({ method: 'POST', path: '/api/v1/environments/{id}/restart', params: IdParamsSchema, response: EnvironmentSchema, status: 202, problems: ['conflict', 'insufficient_credits', 'member_credit_cap', 'quota_inactive', 'runtime_class_unavailable', 'runtime_unavailable'], summary: 'Ask the environment to restart' }),
  'environments.move': route({ method: 'POST', path: '/api/v1/environments/{id}/move', params: IdParamsSchema, body: MoveEnvironmentBodySchema, response: EnvironmentSchema, status: 202, problems: ['conflict', 'not_a_swarm'], summary: 'Move a stopped environment to another node (admin): its workspace is copied there, verified, then removed from the old node' }),
  'environments.setEgress': route({ method: 'PUT', path: '/api/v1/environments/{id}/egress', params: IdParamsSchema, body: EgressBodySchema, response: EnvironmentSchema, status: 202, summary: 'Replace the egress policy (owner: internet or none; admins: allowlist too); a running environment moves onto it without a restart' }),
  'environments.events': route({ method: 'GET', path: '/api/v1/environments/{id}/events', params: IdParamsSchema, query: EventsQuerySchema, response: EventListSchema, summary: 'Status changes and provisioning log, oldest first, after `since`' }),
  'environments.stats': route({ method: 'GET', path: '/api/v1/environments/{id}/stats', params: IdParamsSchema, response: EnvironmentStatsSchema, problems: ['conflict', 'environment_not_running', 'runtime_unavailable'], summary: 'Current CPU, memory, pids, network and block I/O of a running environment' }),
  'environments.exec': route({ method: 'POST', path: '/api/v1/environments/{id}/exec', params: IdParamsSchema, body: ExecBodySchema, response: ExecResultSchema, problems: ['conflict', 'environment_not_running', 'runtime_unavailable'], summary: 'Run a command and return its output' }),
  'environments.execStream': route({ method: 'POST', path: '/api/v1/environments/{id}/exec/stream', params: IdParamsSchema, body: ExecBodySchema, raw: 'response', problems: ['conflict', 'environment_not_running', 'runtime_unavailable'], summary: 'Run a command and stream its output as it comes (application/x-ndjson: stdout/stderr chunks in base64, then exit)' }),
  'environments.applyTemplate': route({ method: 'POST', path: '/api/v1/environments/{id}/apply-template', params: IdParamsSchema, body: ApplyTemplateBodySchema, response: z.object({ files: z.number().int(), path: z.string() }), problems: ['conflict', 'environment_not_running', 'path_outside_workspace', 'runtime_unavailable'], summary: 'Write a template\'s files into a folder of a running environment' }),

  'files.list': route({ method: 'GET', path: '/api/v1/environments/{id}/files', params: IdParamsSchema, query: PathQuerySchema, response: FileListSchema, problems: ['conflict', 'environment_not_running', 'path_outside_workspace', 'runtime_unavailable'], summary: 'List a folder' }),
  'files.read': route({ method: 'GET', path: '/api/v1/environments/{id}/files/content', params: IdParamsSchema, query: PathQuerySchema, raw: 'response', problems: ['conflict', 'environment_not_running', 'file_too_large', 'path_outside_workspace', 'runtime_unavailable'], summary: 'A file\'s bytes, with its revision as ETag' }),
  'files.write': route({ method: 'PUT', path: '/api/v1/environments/{id}/files/content', params: IdParamsSchema, query: PathQuerySchema, response: Written, raw: 'body', status: [200, 201], problems: ['conflict', 'environment_not_running', 'path_outside_workspace', 'revision_conflict', 'runtime_unavailable'], summary: 'Write a file (parents created); If-Match refuses a stale revision with 412' }),
  'files.mkdir': route({ method: 'POST', path: '/api/v1/environments/{id}/files/mkdir', params: IdParamsSchema, body: MkdirBodySchema, problems: ['conflict', 'environment_not_running', 'path_outside_workspace', 'runtime_unavailable'], summary: 'Create a folder (and its parents)' }),
  'files.move': route({ method: 'POST', path: '/api/v1/environments/{id}/files/move', params: IdParamsSchema, body: MoveBodySchema, problems: ['conflict', 'environment_not_running', 'path_outside_workspace', 'runtime_unavailable'], summary: 'Move or rename' }),
  'files.remove': route({ method: 'DELETE', path: '/api/v1/environments/{id}/files', params: IdParamsSchema, query: DeleteQuerySchema, problems: ['conflict', 'environment_not_running', 'path_outside_workspace', 'runtime_unavailable'], summary: 'Delete a file, or a folder with recursive=true' }),
  'files.download': route({ method: 'GET', path: '/api/v1/environments/{id}/files/archive', params: IdParamsSchema, query: ArchiveQuerySchema, raw: 'response', problems: ['conflict', 'environment_not_running', 'path_outside_workspace', 'runtime_unavailable'], summary: 'Download a folder as tar.gz or zip' }),
  'files.upload': route({ method: 'POST', path: '/api/v1/environments/{id}/files/archive', params: IdParamsSchema, query: PathQuerySchema, response: z.object({ entries: z.number().int() }), raw: 'body', problems: ['conflict', 'environment_not_running', 'path_outside_workspace', 'runtime_unavailable'], summary: 'Upload a tar.gz or zip (detected from its bytes) and unpack it into a folder' }),
  'files.search': route({ method: 'GET', path: '/api/v1/environments/{id}/files/search', params: IdParamsSchema, query: SearchQuerySchema, response: SearchResultSchema, problems: ['conflict', 'environment_not_running', 'path_outside_workspace', 'runtime_unavailable'], summary: 'Literal text search (binary files skipped, bounded in time and results)' }),

  'ports.list': route({ method: 'GET', path: '/api/v1/environments/{id}/ports', params: IdParamsSchema, response: PortListSchema, problems: ['conflict', 'environment_not_running', 'runtime_unavailable'], summary: 'TCP ports listening inside the environment, with their preview URL and sharing' }),
  'ports.setSharing': route({ method: 'PUT', path: '/api/v1/environments/{id}/ports/{port}/sharing', params: PortParamsSchema, body: PortSharingBodySchema, response: PortSharingResultSchema, summary: 'Who may open a port\'s preview: owner (and admins), authenticated (any signed-in user) or public (anyone)' }),
  'ports.grant': route({ method: 'POST', path: '/api/v1/environments/{id}/ports/{port}/grant', params: PortParamsSchema, response: PreviewGrantSchema, status: 201, summary: 'A single-use grant, valid for a minute, that opens the preview on its own origin (POST it there as a form)' }),

  'shares.list': route({ method: 'GET', path: '/api/v1/environments/{id}/shares', params: IdParamsSchema, response: ShareListSchema, summary: 'The teams the environment is shared with, and at what level' }),
  'shares.set': route({ method: 'PUT', path: '/api/v1/environments/{id}/shares/{teamId}', params: ShareParamsSchema, body: ShareBodySchema, response: ShareListSchema, summary: 'Share the environment with a team of its organization: view (status, events, stats) or use (terminal, files, exec, previews)' }),
  'shares.remove': route({ method: 'DELETE', path: '/api/v1/environments/{id}/shares/{teamId}', params: ShareParamsSchema, summary: 'Stop sharing the environment with a team: what its members had open closes' }),

  'templates.list': route({ method: 'GET', path: '/api/v1/templates', response: TemplateListSchema, summary: 'Public templates and your own (without file contents)' }),
  'templates.create': route({ method: 'POST', path: '/api/v1/templates', body: CreateTemplateBodySchema, response: TemplateSchema, status: 201, problems: ['conflict', 'image_not_allowed'], summary: 'Create a template (public ones: admins only)' }),
  'templates.get': route({ method: 'GET', path: '/api/v1/templates/{id}', params: IdParamsSchema, response: TemplateSchema, summary: 'A template with its files' }),
  'templates.update': route({ method: 'PATCH', path: '/api/v1/templates/{id}', params: IdParamsSchema, body: UpdateTemplateBodySchema, response: TemplateSchema, problems: ['image_not_allowed'], summary: 'Change a template (its owner, or an admin)' }),
  'templates.delete': route({ method: 'DELETE', path: '/api/v1/templates/{id}', params: IdParamsSchema, summary: 'Delete a template (its owner, or an admin)' }),
  'templates.build': route({ method: 'POST', path: '/api/v1/templates/{id}/build', params: IdParamsSchema, raw: 'response', problems: ['conflict', 'runtime_unavailable'], summary: 'Build a Dockerfile template\'s image now and stream the build (application/x-ndjson: log lines, then done or error)' }),

  'orgs.list': route({ method: 'GET', path: '/api/v1/orgs', response: OrganizationListSchema, summary: 'The organizations the caller belongs to, personal first, with the role in each' }),
  'orgs.create': route({ method: 'POST', path: '/api/v1/orgs', body: CreateOrgBodySchema, response: OrganizationSchema, status: 202, problems: ['conflict'], summary: 'Make an organization, owned by its maker (provisioning, then active)' }),
  'orgs.get': route({ method: 'GET', path: '/api/v1/orgs/{org}', params: OrgParamsSchema, response: OrganizationSchema, summary: 'One organization' }),
  'orgs.delete': route({ method: 'DELETE', path: '/api/v1/orgs/{org}', params: OrgParamsSchema, response: OrganizationSchema, status: 202, summary: 'Delete the organization: every environment, workspace, member, team and token of it goes (in the background)' }),
  'orgs.suspend': route({ method: 'POST', path: '/api/v1/orgs/{org}/suspend', params: OrgParamsSchema, response: OrganizationSchema, summary: 'Suspend: its environments stop, nothing new starts, its tokens may only read; its data stays' }),
  'orgs.reactivate': route({ method: 'POST', path: '/api/v1/orgs/{org}/reactivate', params: OrgParamsSchema, response: OrganizationSchema, problems: ['organization_not_active'], summary: 'Lift a suspension' }),
  'orgs.quota': route({ method: 'GET', path: '/api/v1/orgs/{org}/quota', params: OrgParamsSchema, response: OrgQuotaSchema, summary: 'Its quota, what it uses of it, and the ceiling an admin set (a personal organization\'s is its user\'s)' }),
  'orgs.setQuota': route({ method: 'PATCH', path: '/api/v1/orgs/{org}/quota', params: OrgParamsSchema, body: UpdateOrgQuotaBodySchema, response: OrgQuotaSchema, problems: ['quota_above_ceiling'], summary: 'Choose its quota within the ceiling: the pool, the cap per member, machine types, environments, idle timeout' }),
  'orgs.setCeiling': route({ method: 'PATCH', path: '/api/v1/orgs/{org}/ceiling', params: OrgParamsSchema, body: OrgCeilingBodySchema, response: OrgQuotaSchema, summary: 'Set the ceiling of its quota (admin); a lower one lowers its quota with it' }),
  'orgs.audit': route({ method: 'GET', path: '/api/v1/orgs/{org}/audit', params: OrgParamsSchema, query: OrgAuditQuerySchema, response: AuditPageSchema, summary: 'Its audit trail, newest first' }),
  'orgs.members': route({ method: 'GET', path: '/api/v1/orgs/{org}/members', params: OrgParamsSchema, response: MemberListSchema, summary: 'Members and their roles' }),
  'orgs.setRole': route({ method: 'PATCH', path: '/api/v1/orgs/{org}/members/{username}', params: MemberParamsSchema, body: UpdateMemberBodySchema, response: MemberSchema, problems: ['conflict'], summary: 'Change a member\'s role (owners only make or unmake owners)' }),
  'orgs.removeMember': route({ method: 'DELETE', path: '/api/v1/orgs/{org}/members/{username}', params: MemberParamsSchema, problems: ['conflict'], summary: 'Remove a member (or leave): their access ends at once, open sockets included' }),
  'orgs.setMemberAssistant': route({ method: 'PUT', path: '/api/v1/orgs/{org}/members/{username}/assistant', params: MemberParamsSchema, body: MemberAssistantBodySchema, response: MemberAssistantSchema, summary: "Set a member's own AI assistant requests per day (null: the organization's default)" }),
  'orgs.assistantUsage': route({ method: 'GET', path: '/api/v1/orgs/{org}/assistant/usage', params: OrgParamsSchema, query: AssistantUsageQuerySchema, response: AssistantUsageSchema, summary: "AI assistant requests, tokens and cost per member and UTC day, in this organization" }),
  'orgs.invitations': route({ method: 'GET', path: '/api/v1/orgs/{org}/invitations', params: OrgParamsSchema, response: InvitationListSchema, summary: 'Open invitations' }),
  'orgs.invite': route({ method: 'POST', path: '/api/v1/orgs/{org}/invitations', params: OrgParamsSchema, body: CreateInvitationBodySchema, response: CreatedInvitationSchema, status: 201, problems: ['conflict', 'organization_not_active'], summary: 'Invite a user by name, or make a single-use link (its secret is shown once)' }),
  'orgs.cancelInvitation': route({ method: 'DELETE', path: '/api/v1/orgs/{org}/invitations/{id}', params: InvitationParamsSchema, summary: 'Withdraw an invitation' }),
  'orgs.teams': route({ method: 'GET', path: '/api/v1/orgs/{org}/teams', params: OrgParamsSchema, response: TeamListSchema, summary: 'Teams and their members' }),
  'orgs.createTeam': route({ method: 'POST', path: '/api/v1/orgs/{org}/teams', params: OrgParamsSchema, body: CreateTeamBodySchema, response: TeamSchema, status: 201, problems: ['conflict'], summary: 'Make a team' }),
  'orgs.deleteTeam': route({ method: 'DELETE', path: '/api/v1/orgs/{org}/teams/{team}', params: TeamParamsSchema, summary: 'Delete a team (its shares go with it)' }),
  'orgs.setTeamMember': route({ method: 'PUT', path: '/api/v1/orgs/{org}/teams/{team}/members/{username}', params: TeamMemberParamsSchema, body: TeamMemberBodySchema, response: TeamSchema, summary: 'Add a member to a team or change their team role (org owners and admins, or the team\'s maintainers)' }),
  'orgs.removeTeamMember': route({ method: 'DELETE', path: '/api/v1/orgs/{org}/teams/{team}/members/{username}', params: TeamMemberParamsSchema, summary: 'Take a member out of a team' }),

  'assistant.usage': route({ method: 'GET', path: '/api/v1/assistant/usage', query: AssistantUsageQuerySchema, response: AssistantUsageSchema, summary: 'AI assistant requests, tokens and cost per user and UTC day, every organization (admin)' }),

  'invitations.mine': route({ method: 'GET', path: '/api/v1/invitations', response: InvitationListSchema, summary: 'Invitations waiting for the caller' }),
  'invitations.accept': route({ method: 'POST', path: '/api/v1/invitations/{id}/accept', params: IdParamsSchema, response: OrganizationSchema, problems: ['conflict', 'organization_not_active'], summary: 'Accept an invitation made for the caller' }),
  'invitations.acceptLink': route({ method: 'POST', path: '/api/v1/invitations/accept', body: AcceptLinkBodySchema, response: OrganizationSchema, problems: ['conflict', 'organization_not_active'], summary: 'Accept an invitation link with its secret' }),
} as const;

/** WebSocket routes: upgraded GETs, authenticated like the rest. */
export const SOCKETS = {
  'environments.eventsSocket': socket({ path: '/api/v1/environments/{id}/events/ws', params: IdParamsSchema, query: EventsQuerySchema, problems: ['socket_limit'], summary: 'WebSocket: replays events after `since`, then follows live' }),
  'environments.terminal': socket({
    path: '/api/v1/environments/{id}/terminal',
    params: IdParamsSchema,
    query: TerminalQuerySchema,
    summary: 'WebSocket terminal: binary frames carry raw bytes both ways, text frames JSON control messages',
    problems: ['conflict', 'environment_not_running', 'runtime_unavailable', 'socket_limit', 'terminal_limit'],
  }),
  'environments.assistant': socket({
    path: '/api/v1/environments/{id}/assistant',
    params: IdParamsSchema,
    summary: 'WebSocket AI assistant: JSON messages `{text}` or `{action}` in, JSON events out (see the README, "The AI assistant")',
    problems: ['socket_limit'],
  }),
} as const;

export type RouteName = keyof typeof ROUTES;
export type SocketName = keyof typeof SOCKETS;

/** Names whose group in the API document is not their own first part. */
const TAG_OF: Record<string, string> = { machineTypes: 'machine-types', me: 'users', ports: 'previews', shares: 'orgs', invitations: 'orgs' };

/** The group of the API document a route stands in: the first part of its name. */
export const routeTag = (name: RouteName | SocketName): string => {
  const group = name.slice(0, name.indexOf('.'));
  return TAG_OF[group] ?? group;
};
