import { z } from 'zod';
import { AuditPageSchema, AuditQuerySchema, OrgAuditQuerySchema } from './audit.js';
import { LoginBodySchema, LoginResponseSchema } from './auth.js';
import { ConfigFlagSchema, ConfigListSchema, UpdateConfigBodySchema } from './config.js';
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
import { CreateMachineTypeBodySchema, MachineTypeListSchema, MachineTypeSchema, UpdateMachineTypeBodySchema } from './machine-types.js';
import {
  AcceptLinkBodySchema,
  CreatedInvitationSchema,
  CreateInvitationBodySchema,
  CreateOrgBodySchema,
  CreateTeamBodySchema,
  InvitationListSchema,
  MemberListSchema,
  MemberSchema,
  OrganizationListSchema,
  OrganizationSchema,
  OrgCeilingBodySchema,
  OrgQuotaSchema,
  ShareBodySchema,
  ShareListSchema,
  TeamListSchema,
  TeamMemberBodySchema,
  TeamSchema,
  UpdateMemberBodySchema,
  UpdateOrgQuotaBodySchema,
} from './orgs.js';
import { PortListSchema, PortSharingBodySchema, PortSharingResultSchema, PreviewGrantSchema } from './previews.js';
import { QuotaSchema, UpdateQuotaBodySchema } from './quotas.js';
import { ApplyTemplateBodySchema, CreateTemplateBodySchema, TemplateListSchema, TemplateSchema, UpdateTemplateBodySchema } from './templates.js';
import { CreatedTokenSchema, CreateTokenBodySchema, TokenListSchema } from './tokens.js';
import { ChangePasswordBodySchema, CreateUserBodySchema, MeSchema, UpdateUserBodySchema, UserListSchema, UserSchema } from './users.js';

/**
 * One JSON route of Berth's API: what to send and what comes back. `path`
 * is in OpenAPI form, its `{name}` segments filled from `params`. Routes
 * whose body or answer is bytes (file content, archives, streams) say so with
 * `raw`: the client hands them over as they are.
 */
export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The answer's schema; absent: no content (204). */
  response?: z.ZodType;
  /** The body, the answer or both are bytes, not JSON. */
  raw?: 'body' | 'response' | 'both';
}

const route = <const R extends RouteSpec>(spec: R): R => spec;
const Written = z.object({ path: z.string(), etag: z.string() });

/**
 * Every route of the API document, by name: the one table the typed client
 * (@berth/client) calls through, and that test/client.test.ts holds against
 * the server's OpenAPI document, so the two cannot drift apart.
 */
export const ROUTES = {
  'auth.login': route({ method: 'POST', path: '/api/v1/auth/login', body: LoginBodySchema, response: LoginResponseSchema }),
  'auth.logout': route({ method: 'POST', path: '/api/v1/auth/logout' }),
  'me.get': route({ method: 'GET', path: '/api/v1/me', response: MeSchema }),
  'me.changePassword': route({ method: 'POST', path: '/api/v1/me/password', body: ChangePasswordBodySchema }),

  'tokens.list': route({ method: 'GET', path: '/api/v1/tokens', response: TokenListSchema }),
  'tokens.create': route({ method: 'POST', path: '/api/v1/tokens', body: CreateTokenBodySchema, response: CreatedTokenSchema }),
  'tokens.revoke': route({ method: 'DELETE', path: '/api/v1/tokens/{id}' }),

  'users.list': route({ method: 'GET', path: '/api/v1/users', response: UserListSchema }),
  'users.create': route({ method: 'POST', path: '/api/v1/users', body: CreateUserBodySchema, response: UserSchema }),
  'users.get': route({ method: 'GET', path: '/api/v1/users/{id}', response: UserSchema }),
  'users.update': route({ method: 'PATCH', path: '/api/v1/users/{id}', body: UpdateUserBodySchema, response: UserSchema }),
  'users.quota': route({ method: 'GET', path: '/api/v1/users/{id}/quota', response: QuotaSchema }),
  'users.setQuota': route({ method: 'PATCH', path: '/api/v1/users/{id}/quota', body: UpdateQuotaBodySchema, response: QuotaSchema }),

  'config.list': route({ method: 'GET', path: '/api/v1/config', response: ConfigListSchema }),
  'config.set': route({ method: 'PUT', path: '/api/v1/config/{name}', body: UpdateConfigBodySchema, response: ConfigFlagSchema }),
  'audit.list': route({ method: 'GET', path: '/api/v1/audit', query: AuditQuerySchema, response: AuditPageSchema }),

  'machineTypes.list': route({ method: 'GET', path: '/api/v1/machine-types', response: MachineTypeListSchema }),
  'machineTypes.create': route({ method: 'POST', path: '/api/v1/machine-types', body: CreateMachineTypeBodySchema, response: MachineTypeSchema }),
  'machineTypes.update': route({ method: 'PATCH', path: '/api/v1/machine-types/{name}', body: UpdateMachineTypeBodySchema, response: MachineTypeSchema }),
  'machineTypes.delete': route({ method: 'DELETE', path: '/api/v1/machine-types/{name}' }),

  'environments.list': route({ method: 'GET', path: '/api/v1/environments', query: ListEnvironmentsQuerySchema, response: EnvironmentListSchema }),
  'environments.create': route({ method: 'POST', path: '/api/v1/environments', body: CreateEnvironmentBodySchema, response: EnvironmentSchema }),
  'environments.get': route({ method: 'GET', path: '/api/v1/environments/{id}', response: EnvironmentSchema }),
  'environments.delete': route({ method: 'DELETE', path: '/api/v1/environments/{id}', response: EnvironmentSchema }),
  'environments.start': route({ method: 'POST', path: '/api/v1/environments/{id}/start', response: EnvironmentSchema }),
  'environments.stop': route({ method: 'POST', path: '/api/v1/environments/{id}/stop', response: EnvironmentSchema }),
  'environments.restart': route({ method: 'POST', path: '/api/v1/environments/{id}/restart', response: EnvironmentSchema }),
  'environments.setEgress': route({ method: 'PUT', path: '/api/v1/environments/{id}/egress', body: EgressBodySchema, response: EnvironmentSchema }),
  'environments.events': route({ method: 'GET', path: '/api/v1/environments/{id}/events', query: EventsQuerySchema, response: EventListSchema }),
  'environments.stats': route({ method: 'GET', path: '/api/v1/environments/{id}/stats', response: EnvironmentStatsSchema }),
  'environments.exec': route({ method: 'POST', path: '/api/v1/environments/{id}/exec', body: ExecBodySchema, response: ExecResultSchema }),
  'environments.execStream': route({ method: 'POST', path: '/api/v1/environments/{id}/exec/stream', body: ExecBodySchema, raw: 'response' }),
  'environments.applyTemplate': route({ method: 'POST', path: '/api/v1/environments/{id}/apply-template', body: ApplyTemplateBodySchema, response: z.object({ files: z.number().int(), path: z.string() }) }),

  'files.list': route({ method: 'GET', path: '/api/v1/environments/{id}/files', query: PathQuerySchema, response: FileListSchema }),
  'files.read': route({ method: 'GET', path: '/api/v1/environments/{id}/files/content', query: PathQuerySchema, raw: 'response' }),
  'files.write': route({ method: 'PUT', path: '/api/v1/environments/{id}/files/content', query: PathQuerySchema, response: Written, raw: 'body' }),
  'files.mkdir': route({ method: 'POST', path: '/api/v1/environments/{id}/files/mkdir', body: MkdirBodySchema }),
  'files.move': route({ method: 'POST', path: '/api/v1/environments/{id}/files/move', body: MoveBodySchema }),
  'files.remove': route({ method: 'DELETE', path: '/api/v1/environments/{id}/files', query: DeleteQuerySchema }),
  'files.download': route({ method: 'GET', path: '/api/v1/environments/{id}/files/archive', query: ArchiveQuerySchema, raw: 'response' }),
  'files.upload': route({ method: 'POST', path: '/api/v1/environments/{id}/files/archive', query: PathQuerySchema, response: z.object({ entries: z.number().int() }), raw: 'body' }),
  'files.search': route({ method: 'GET', path: '/api/v1/environments/{id}/files/search', query: SearchQuerySchema, response: SearchResultSchema }),

  'ports.list': route({ method: 'GET', path: '/api/v1/environments/{id}/ports', response: PortListSchema }),
  'ports.setSharing': route({ method: 'PUT', path: '/api/v1/environments/{id}/ports/{port}/sharing', body: PortSharingBodySchema, response: PortSharingResultSchema }),
  'ports.grant': route({ method: 'POST', path: '/api/v1/environments/{id}/ports/{port}/grant', response: PreviewGrantSchema }),

  'shares.list': route({ method: 'GET', path: '/api/v1/environments/{id}/shares', response: ShareListSchema }),
  'shares.set': route({ method: 'PUT', path: '/api/v1/environments/{id}/shares/{teamId}', body: ShareBodySchema, response: ShareListSchema }),
  'shares.remove': route({ method: 'DELETE', path: '/api/v1/environments/{id}/shares/{teamId}' }),

  'templates.list': route({ method: 'GET', path: '/api/v1/templates', response: TemplateListSchema }),
  'templates.create': route({ method: 'POST', path: '/api/v1/templates', body: CreateTemplateBodySchema, response: TemplateSchema }),
  'templates.get': route({ method: 'GET', path: '/api/v1/templates/{id}', response: TemplateSchema }),
  'templates.update': route({ method: 'PATCH', path: '/api/v1/templates/{id}', body: UpdateTemplateBodySchema, response: TemplateSchema }),
  'templates.delete': route({ method: 'DELETE', path: '/api/v1/templates/{id}' }),

  'orgs.list': route({ method: 'GET', path: '/api/v1/orgs', response: OrganizationListSchema }),
  'orgs.create': route({ method: 'POST', path: '/api/v1/orgs', body: CreateOrgBodySchema, response: OrganizationSchema }),
  'orgs.get': route({ method: 'GET', path: '/api/v1/orgs/{org}', response: OrganizationSchema }),
  'orgs.delete': route({ method: 'DELETE', path: '/api/v1/orgs/{org}', response: OrganizationSchema }),
  'orgs.suspend': route({ method: 'POST', path: '/api/v1/orgs/{org}/suspend', response: OrganizationSchema }),
  'orgs.reactivate': route({ method: 'POST', path: '/api/v1/orgs/{org}/reactivate', response: OrganizationSchema }),
  'orgs.quota': route({ method: 'GET', path: '/api/v1/orgs/{org}/quota', response: OrgQuotaSchema }),
  'orgs.setQuota': route({ method: 'PATCH', path: '/api/v1/orgs/{org}/quota', body: UpdateOrgQuotaBodySchema, response: OrgQuotaSchema }),
  'orgs.setCeiling': route({ method: 'PATCH', path: '/api/v1/orgs/{org}/ceiling', body: OrgCeilingBodySchema, response: OrgQuotaSchema }),
  'orgs.audit': route({ method: 'GET', path: '/api/v1/orgs/{org}/audit', query: OrgAuditQuerySchema, response: AuditPageSchema }),
  'orgs.members': route({ method: 'GET', path: '/api/v1/orgs/{org}/members', response: MemberListSchema }),
  'orgs.setRole': route({ method: 'PATCH', path: '/api/v1/orgs/{org}/members/{username}', body: UpdateMemberBodySchema, response: MemberSchema }),
  'orgs.removeMember': route({ method: 'DELETE', path: '/api/v1/orgs/{org}/members/{username}' }),
  'orgs.invitations': route({ method: 'GET', path: '/api/v1/orgs/{org}/invitations', response: InvitationListSchema }),
  'orgs.invite': route({ method: 'POST', path: '/api/v1/orgs/{org}/invitations', body: CreateInvitationBodySchema, response: CreatedInvitationSchema }),
  'orgs.cancelInvitation': route({ method: 'DELETE', path: '/api/v1/orgs/{org}/invitations/{id}' }),
  'orgs.teams': route({ method: 'GET', path: '/api/v1/orgs/{org}/teams', response: TeamListSchema }),
  'orgs.createTeam': route({ method: 'POST', path: '/api/v1/orgs/{org}/teams', body: CreateTeamBodySchema, response: TeamSchema }),
  'orgs.deleteTeam': route({ method: 'DELETE', path: '/api/v1/orgs/{org}/teams/{team}' }),
  'orgs.setTeamMember': route({ method: 'PUT', path: '/api/v1/orgs/{org}/teams/{team}/members/{username}', body: TeamMemberBodySchema, response: TeamSchema }),
  'orgs.removeTeamMember': route({ method: 'DELETE', path: '/api/v1/orgs/{org}/teams/{team}/members/{username}' }),

  'invitations.mine': route({ method: 'GET', path: '/api/v1/invitations', response: InvitationListSchema }),
  'invitations.accept': route({ method: 'POST', path: '/api/v1/invitations/{id}/accept', response: OrganizationSchema }),
  'invitations.acceptLink': route({ method: 'POST', path: '/api/v1/invitations/accept', body: AcceptLinkBodySchema, response: OrganizationSchema }),
} as const;

/** WebSocket routes: upgraded GETs, authenticated like the rest. */
export const SOCKETS = {
  'environments.eventsSocket': '/api/v1/environments/{id}/events/ws',
  'environments.terminal': '/api/v1/environments/{id}/terminal',
} as const;

export type RouteName = keyof typeof ROUTES;
export type SocketName = keyof typeof SOCKETS;
