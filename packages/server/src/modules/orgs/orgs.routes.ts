import {
  AuditPageSchema,
  OrgAuditQuerySchema,
  OrgCeilingBodySchema,
  OrgQuotaSchema,
  UpdateOrgQuotaBodySchema,
  AcceptLinkBodySchema,
  CreatedInvitationSchema,
  CreateInvitationBodySchema,
  CreateOrgBodySchema,
  CreateTeamBodySchema,
  IdParamsSchema,
  InvitationListSchema,
  MemberListSchema,
  MemberParamsSchema,
  MemberSchema,
  OrganizationListSchema,
  OrganizationSchema,
  OrgParamsSchema,
  ShareBodySchema,
  ShareListSchema,
  ShareParamsSchema,
  TeamListSchema,
  TeamMemberBodySchema,
  TeamMemberParamsSchema,
  TeamParamsSchema,
  TeamSchema,
} from '@berth/contracts';
import { z } from 'zod';
import { responses } from '../../http/responses.js';
import type { App } from '../../http/types.js';
import type { OrgQuotaService } from './org-quota.service.js';
import type { OrgsService } from './orgs.service.js';

const tags = ['orgs'];
const InvitationParamsSchema = OrgParamsSchema.extend({ id: z.uuid() });

/**
 * Organizations, members, invitations, teams, and environment shares. Routes
 * under /orgs/:org declare the organization action they are (`config.org`),
 * authorized before the body is read (http/authorization.ts); the service
 * checks again, and finer rules (owners, maintainers) there.
 */
export function registerOrgsRoutes(app: App, { orgs, orgQuota }: { orgs: OrgsService; orgQuota: OrgQuotaService }): void {
  app.get(
    '/orgs',
    { schema: { tags, summary: 'The organizations the caller belongs to, personal first, with the role in each', response: responses({ 200: OrganizationListSchema }) } },
    async (request) => ({ items: await orgs.list(request.ctx) }),
  );

  app.post(
    '/orgs',
    { schema: { tags, summary: 'Make an organization, owned by its maker (provisioning, then active)', body: CreateOrgBodySchema, response: responses({ 202: OrganizationSchema }) } },
    async (request, reply) => reply.code(202).send(await orgs.create(request.ctx, request.body)),
  );

  app.get(
    '/orgs/:org',
    { config: { org: 'org.read' }, schema: { tags, summary: 'One organization', params: OrgParamsSchema, response: responses({ 200: OrganizationSchema }) } },
    (request) => orgs.get(request.ctx, request.params.org),
  );

  app.delete(
    '/orgs/:org',
    { config: { org: 'org.own' }, schema: { tags, summary: 'Delete the organization: every environment, workspace, member, team and token of it goes (in the background)', params: OrgParamsSchema, response: responses({ 202: OrganizationSchema }) } },
    async (request, reply) => reply.code(202).send(await orgs.lifecycle(request.ctx, request.params.org, 'delete')),
  );

  for (const op of ['suspend', 'reactivate'] as const) {
    app.post(
      `/orgs/:org/${op}`,
      {
        config: { org: 'org.own' },
        schema: {
          tags,
          summary: op === 'suspend' ? 'Suspend: its environments stop, nothing new starts, its tokens may only read; its data stays' : 'Lift a suspension',
          params: OrgParamsSchema,
          response: responses({ 200: OrganizationSchema }),
        },
      },
      (request) => orgs.lifecycle(request.ctx, request.params.org, op),
    );
  }

  app.get(
    '/orgs/:org/members',
    { config: { org: 'org.read' }, schema: { tags, summary: 'Members and their roles', params: OrgParamsSchema, response: responses({ 200: MemberListSchema }) } },
    async (request) => ({ items: await orgs.members(request.ctx, request.params.org) }),
  );

  app.patch(
    '/orgs/:org/members/:username',
    { config: { org: 'org.manage' }, schema: { tags, summary: "Change a member's role (owners only make or unmake owners)", params: MemberParamsSchema, body: z.strictObject({ role: MemberSchema.shape.role }), response: responses({ 200: MemberSchema }) } },
    (request) => orgs.setRole(request.ctx, request.params.org, request.params.username, request.body.role),
  );

  app.delete(
    '/orgs/:org/members/:username',
    { config: { org: 'org.read' }, schema: { tags, summary: 'Remove a member (or leave): their access ends at once, open sockets included', params: MemberParamsSchema, response: responses({ 204: z.null() }) } },
    async (request, reply) => {
      await orgs.removeMember(request.ctx, request.params.org, request.params.username);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/orgs/:org/quota',
    { config: { org: 'org.read' }, schema: { tags, summary: "Its quota, what it uses of it, and the ceiling an admin set (a personal organization's is its user's)", params: OrgParamsSchema, response: responses({ 200: OrgQuotaSchema }) } },
    (request) => orgQuota.get(request.ctx, request.params.org),
  );

  app.patch(
    '/orgs/:org/quota',
    { config: { org: 'org.manage' }, schema: { tags, summary: 'Choose its quota within the ceiling: the pool, the cap per member, machine types, environments, idle timeout', params: OrgParamsSchema, body: UpdateOrgQuotaBodySchema, response: responses({ 200: OrgQuotaSchema }) } },
    (request) => orgQuota.update(request.ctx, request.params.org, request.body),
  );

  app.patch(
    '/orgs/:org/ceiling',
    { config: { authorize: 'orgs.ceiling' }, schema: { tags, summary: 'Set the ceiling of its quota (admin); a lower one lowers its quota with it', params: OrgParamsSchema, body: OrgCeilingBodySchema, response: responses({ 200: OrgQuotaSchema }) } },
    (request) => orgQuota.setCeiling(request.ctx, request.params.org, request.body),
  );

  app.get(
    '/orgs/:org/audit',
    { config: { org: 'org.manage' }, schema: { tags, summary: 'Its audit trail, newest first', params: OrgParamsSchema, querystring: OrgAuditQuerySchema, response: responses({ 200: AuditPageSchema }) } },
    (request) => orgQuota.trail(request.ctx, request.params.org, request.query),
  );

  app.post(
    '/orgs/:org/invitations',
    { config: { org: 'org.manage' }, schema: { tags, summary: 'Invite a user by name, or make a single-use link (its secret is shown once)', params: OrgParamsSchema, body: CreateInvitationBodySchema, response: responses({ 201: CreatedInvitationSchema }) } },
    async (request, reply) => reply.code(201).send(await orgs.invite(request.ctx, request.params.org, request.body)),
  );

  app.get(
    '/orgs/:org/invitations',
    { config: { org: 'org.manage' }, schema: { tags, summary: 'Open invitations', params: OrgParamsSchema, response: responses({ 200: InvitationListSchema }) } },
    async (request) => ({ items: await orgs.invitations(request.ctx, request.params.org) }),
  );

  app.delete(
    '/orgs/:org/invitations/:id',
    { config: { org: 'org.manage' }, schema: { tags, summary: 'Withdraw an invitation', params: InvitationParamsSchema, response: responses({ 204: z.null() }) } },
    async (request, reply) => {
      await orgs.cancelInvitation(request.ctx, request.params.org, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/invitations',
    { schema: { tags, summary: 'Invitations waiting for the caller', response: responses({ 200: InvitationListSchema }) } },
    async (request) => ({ items: await orgs.myInvitations(request.ctx) }),
  );

  app.post(
    '/invitations/:id/accept',
    { schema: { tags, summary: 'Accept an invitation made for the caller', params: IdParamsSchema, response: responses({ 200: OrganizationSchema }) } },
    (request) => orgs.accept(request.ctx, { id: request.params.id }),
  );

  app.post(
    '/invitations/accept',
    { schema: { tags, summary: 'Accept an invitation link with its secret', body: AcceptLinkBodySchema, response: responses({ 200: OrganizationSchema }) } },
    (request) => orgs.accept(request.ctx, { token: request.body.token }),
  );

  app.get(
    '/orgs/:org/teams',
    { config: { org: 'org.read' }, schema: { tags, summary: 'Teams and their members', params: OrgParamsSchema, response: responses({ 200: TeamListSchema }) } },
    async (request) => ({ items: await orgs.teams(request.ctx, request.params.org) }),
  );

  app.post(
    '/orgs/:org/teams',
    { config: { org: 'org.manage' }, schema: { tags, summary: 'Make a team', params: OrgParamsSchema, body: CreateTeamBodySchema, response: responses({ 201: TeamSchema }) } },
    async (request, reply) => reply.code(201).send(await orgs.createTeam(request.ctx, request.params.org, request.body)),
  );

  app.delete(
    '/orgs/:org/teams/:team',
    { config: { org: 'org.manage' }, schema: { tags, summary: 'Delete a team (its shares go with it)', params: TeamParamsSchema, response: responses({ 204: z.null() }) } },
    async (request, reply) => {
      await orgs.deleteTeam(request.ctx, request.params.org, request.params.team);
      return reply.code(204).send(null);
    },
  );

  app.put(
    '/orgs/:org/teams/:team/members/:username',
    { config: { org: 'org.read' }, schema: { tags, summary: "Add a member to a team or change their team role (org owners and admins, or the team's maintainers)", params: TeamMemberParamsSchema, body: TeamMemberBodySchema, response: responses({ 200: TeamSchema }) } },
    (request) => orgs.setTeamMember(request.ctx, request.params.org, request.params.team, request.params.username, request.body.role),
  );

  app.delete(
    '/orgs/:org/teams/:team/members/:username',
    { config: { org: 'org.read' }, schema: { tags, summary: 'Take a member out of a team', params: TeamMemberParamsSchema, response: responses({ 204: z.null() }) } },
    async (request, reply) => {
      await orgs.removeTeamMember(request.ctx, request.params.org, request.params.team, request.params.username);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/environments/:id/shares',
    { config: { owns: 'environment', level: 'view' }, schema: { tags, summary: 'The teams the environment is shared with, and at what level', params: IdParamsSchema, response: responses({ 200: ShareListSchema }) } },
    async (request) => ({ items: await orgs.shares(request.ctx, request.params.id) }),
  );

  app.put(
    '/environments/:id/shares/:teamId',
    { config: { owns: 'environment', level: 'manage' }, schema: { tags, summary: 'Share the environment with a team of its organization: view (status, events, stats) or use (terminal, files, exec, previews)', params: ShareParamsSchema, body: ShareBodySchema, response: responses({ 200: ShareListSchema }) } },
    async (request) => ({ items: await orgs.share(request.ctx, request.params.id, request.params.teamId, request.body.level) }),
  );

  app.delete(
    '/environments/:id/shares/:teamId',
    { config: { owns: 'environment', level: 'manage' }, schema: { tags, summary: 'Stop sharing the environment with a team: what its members had open closes', params: ShareParamsSchema, response: responses({ 204: z.null() }) } },
    async (request, reply) => {
      await orgs.unshare(request.ctx, request.params.id, request.params.teamId);
      return reply.code(204).send(null);
    },
  );
}
