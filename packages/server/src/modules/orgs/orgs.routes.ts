import { route } from '../../http/route.js';
import type { App } from '../../http/types.js';
import type { OrgQuotaService } from './org-quota.service.js';
import type { OrgsService } from './orgs.service.js';

/**
 * Organizations, members, invitations, teams, and environment shares. Routes
 * under /orgs/:org declare the organization action they are (`config.org`),
 * authorized before the body is read (http/authorization.ts); the service
 * checks again, and finer rules (owners, maintainers) there.
 */
export function registerOrgsRoutes(app: App, { orgs, orgQuota }: { orgs: OrgsService; orgQuota: OrgQuotaService }): void {
  const read = { config: { org: 'org.read' } } as const;
  const manage = { config: { org: 'org.manage' } } as const;
  const own = { config: { org: 'org.own' } } as const;
  const manageShares = { config: { owns: 'environment', level: 'manage' } } as const;

  route(app, 'orgs.list', {}, async (request) => ({ items: await orgs.list(request.ctx) }));
  route(app, 'orgs.create', {}, (request) => orgs.create(request.ctx, request.body));
  route(app, 'orgs.get', read, (request) => orgs.get(request.ctx, request.params.org));
  route(app, 'orgs.delete', own, (request) => orgs.lifecycle(request.ctx, request.params.org, 'delete'));
  route(app, 'orgs.suspend', own, (request) => orgs.lifecycle(request.ctx, request.params.org, 'suspend'));
  route(app, 'orgs.reactivate', own, (request) => orgs.lifecycle(request.ctx, request.params.org, 'reactivate'));

  route(app, 'orgs.members', read, async (request) => ({ items: await orgs.members(request.ctx, request.params.org) }));
  route(app, 'orgs.setRole', manage, (request) => orgs.setRole(request.ctx, request.params.org, request.params.username, request.body.role));
  route(app, 'orgs.removeMember', read, (request) => orgs.removeMember(request.ctx, request.params.org, request.params.username));

  route(app, 'orgs.quota', read, (request) => orgQuota.get(request.ctx, request.params.org));
  route(app, 'orgs.setQuota', manage, (request) => orgQuota.update(request.ctx, request.params.org, request.body));
  route(app, 'orgs.setCeiling', { config: { authorize: 'orgs.ceiling' } }, (request) => orgQuota.setCeiling(request.ctx, request.params.org, request.body));
  route(app, 'orgs.audit', manage, (request) => orgQuota.trail(request.ctx, request.params.org, request.query));

  route(app, 'orgs.invite', manage, (request) => orgs.invite(request.ctx, request.params.org, request.body));
  route(app, 'orgs.invitations', manage, async (request) => ({ items: await orgs.invitations(request.ctx, request.params.org) }));
  route(app, 'orgs.cancelInvitation', manage, (request) => orgs.cancelInvitation(request.ctx, request.params.org, request.params.id));
  route(app, 'invitations.mine', {}, async (request) => ({ items: await orgs.myInvitations(request.ctx) }));
  route(app, 'invitations.accept', {}, (request) => orgs.accept(request.ctx, { id: request.params.id }));
  route(app, 'invitations.acceptLink', {}, (request) => orgs.accept(request.ctx, { token: request.body.token }));

  route(app, 'orgs.teams', read, async (request) => ({ items: await orgs.teams(request.ctx, request.params.org) }));
  route(app, 'orgs.createTeam', manage, (request) => orgs.createTeam(request.ctx, request.params.org, request.body));
  route(app, 'orgs.deleteTeam', manage, (request) => orgs.deleteTeam(request.ctx, request.params.org, request.params.team));
  route(app, 'orgs.setTeamMember', read, (request) => orgs.setTeamMember(request.ctx, request.params.org, request.params.team, request.params.username, request.body.role));
  route(app, 'orgs.removeTeamMember', read, (request) => orgs.removeTeamMember(request.ctx, request.params.org, request.params.team, request.params.username));

  route(app, 'shares.list', { config: { owns: 'environment', level: 'view' } }, async (request) => ({ items: await orgs.shares(request.ctx, request.params.id) }));
  route(app, 'shares.set', manageShares, async (request) => ({ items: await orgs.share(request.ctx, request.params.id, request.params.teamId, request.body.level) }));
  route(app, 'shares.remove', manageShares, (request) => orgs.unshare(request.ctx, request.params.id, request.params.teamId));
}
