import type {
  CreatedInvitation,
  CreateInvitationBody,
  CreateOrgBody,
  Invitation,
  Member,
  Organization,
  OrgRole,
  Share,
  Team,
} from '@berth/contracts';
import { requireActor, type Actor, type RequestContext } from '../../context.js';
import type { Db } from '../../db/client.js';
import { AppError, ConflictError, ForbiddenError, NotFoundError } from '../../errors.js';
import type { AuditService } from '../audit/audit.service.js';
import { authorize, may } from '../auth/authorize.js';
import type { Revocation } from '../auth/live-connections.js';
import type { OrgAction } from '../auth/auth.policy.js';
import type { Revocations } from '../auth/revocations.js';
import { hashSecret, newSecret } from '../auth/auth.secrets.js';
import type { EnvironmentsRepo } from '../environments/environments.repo.js';
import type { EnvironmentEventsRepo } from '../environments/environment-events.repo.js';
import type { EnvironmentsService } from '../environments/environments.service.js';
import type { UsersRepo } from '../users/users.repo.js';
import type { NewOrgQuotas } from './org-quota.service.js';
import type { InvitationRow, OrgRow, OrgsRepo, Role } from './orgs.repo.js';

interface Deps {
  db: Db;
  orgsRepo: OrgsRepo;
  usersRepo: Pick<UsersRepo, 'findByUsername'>;
  environmentsRepo: Pick<EnvironmentsRepo, 'lock' | 'setIntent'>;
  eventsRepo: Pick<EnvironmentEventsRepo, 'append'>;
  environments: Pick<EnvironmentsService, 'visibleIn'>;
  audit: AuditService;
  revocations: Pick<Revocations, 'announce' | 'apply'>;
  /** Wakes the reconciler for these environments (after commit). */
  changed: (environmentId: string) => void;
  /** Wakes the organization reconciler (after commit). */
  orgChanged: () => void;
  newOrgQuotas: NewOrgQuotas;
  /**
   * An organization's apps, told to go with it (in its deletion's transaction) or looked at again (its
   * suspension stops them, a reactivation starts them), and the apps reconciler woken after.
   */
  apps: { deleteAllOf(tx: Db, orgId: string): Promise<string[]>; markDueOf(tx: Db, orgId: string): Promise<string[]>; wake(): void };
}

export const INVITATION_PREFIX = 'berthinv';

const toOrg = (row: OrgRow, role: OrgRole): Organization => ({ id: row.id, slug: row.slug, name: row.name, personal: row.personal, status: row.status, role });

/**
 * Organizations, their members, invitations and teams, and the shares that
 * open an environment to a team. Every call asks the one authorization
 * function with the caller's role, read now, in the organization named.
 */
export function createOrgsService(deps: Deps) {
  const { db, orgsRepo, audit } = deps;

  /**
   * The organization named by slug if the caller may take `action` in it: 404 for
   * whoever is not a member (instance admins excepted), 403 for a role too small.
   * A token acts only in its own organization.
   */
  async function standing(actor: Actor | null, slug: string, action: OrgAction): Promise<{ org: OrgRow; role: Role | undefined }> {
    const found = actor ? await orgsRepo.membership(db, { slug }, actor.id) : undefined;
    const member = actor?.via === 'token' && found?.org.id !== actor.orgId ? undefined : found;
    const org = member?.org ?? (may(actor, 'orgs.all') ? await orgsRepo.findBySlug(db, slug) : undefined);
    authorize(actor, action, org && { role: member?.role, status: org.status });
    return { org: org!, role: member?.role };
  }

  const record = (org: OrgRow, metadata: Record<string, unknown> = {}) => ({ targetType: 'organization', targetId: org.id, metadata: { org: org.slug, ...metadata } });

  function notPersonal(org: OrgRow): void {
    if (org.personal) throw new ForbiddenError('A personal organization has its user alone; make an organization to work with others');
  }

  // Organizations

  async function list(ctx: RequestContext): Promise<Organization[]> {
    const rows = await orgsRepo.listForUser(db, requireActor(ctx).id);
    return rows.map((row) => toOrg(row, row.role));
  }

  async function get(ctx: RequestContext, slug: string): Promise<Organization> {
    const { org, role } = await standing(ctx.actor, slug, 'org.read');
    return toOrg(org, role ?? 'owner');
  }

  /** A new organization, owned by its maker; it is provisioning until the reconciler has made it ready. */
  async function create(ctx: RequestContext, body: CreateOrgBody): Promise<Organization> {
    const actor = requireActor(ctx);
    const quota = await deps.newOrgQuotas.defaults();
    const org = await audit.mutate(ctx, 'org.create', { targetType: 'organization', metadata: { org: body.slug } }, async (tx, rec) => {
      // A username holds its name through its personal organization: the insert's unique slug refuses it too.
      const created = await orgsRepo.insert(tx, { slug: body.slug, name: body.name, status: 'provisioning', desiredState: 'active', reconcileAfter: new Date() });
      await orgsRepo.addMember(tx, created.id, actor.id, 'owner');
      await deps.newOrgQuotas.createFor(tx, created.id, quota);
      rec.targetId = created.id;
      return created;
    });
    deps.orgChanged();
    return toOrg(org, 'owner');
  }

  /**
   * Suspends the organization (its environments and apps stop, nothing new starts,
   * its tokens may only read), gives it back, or deletes it: everything of it goes,
   * in the background, and an interrupted deletion carries on where it stopped.
   */
  async function lifecycle(ctx: RequestContext, slug: string, op: 'suspend' | 'reactivate' | 'delete'): Promise<Organization> {
    const actor = requireActor(ctx);
    const { org } = await standing(actor, slug, 'org.own');
    const stopped: string[] = [];
    const after = await audit.mutate(ctx, `org.${op}`, record(org), async (tx) => {
      notPersonal(org);
      const current = await orgsRepo.lock(tx, org.id, 'update');
      if (!current || current.status === 'deleted' || current.desiredState === 'deleted') throw new NotFoundError('Organization');
      if (op === 'reactivate') {
        if (current.desiredState !== 'suspended') throw new AppError('organization_not_active', 'The organization is not suspended');
        await deps.apps.markDueOf(tx, org.id);
        return orgsRepo.update(tx, org.id, { desiredState: 'active', status: 'active' });
      }
      const desired = op === 'suspend' ? 'stopped' : 'deleted';
      for (const env of await orgsRepo.liveEnvironments(tx, org.id)) {
        if (env.desiredState === desired || env.desiredState === 'deleted') continue;
        await deps.environmentsRepo.setIntent(tx, env.id, desired);
        await deps.eventsRepo.append(tx, env.id, { type: 'intent', message: `${desired === 'stopped' ? 'stop' : 'delete'}: organization ${org.slug} ${op === 'suspend' ? 'suspended' : 'deleted'} by ${actor.username}`, data: { desiredState: desired } });
        stopped.push(env.id);
      }
      await (op === 'delete' ? deps.apps.deleteAllOf(tx, org.id) : deps.apps.markDueOf(tx, org.id));
      return op === 'suspend'
        ? orgsRepo.update(tx, org.id, { desiredState: 'suspended', status: 'suspended' })
        : orgsRepo.update(tx, org.id, { desiredState: 'deleted', status: 'deleting', reconcileAfter: new Date(), attempts: 0, lastError: null });
    });
    stopped.forEach(deps.changed);
    deps.apps.wake();
    deps.orgChanged();
    return toOrg(after, 'owner');
  }

  // Members

  async function members(ctx: RequestContext, slug: string): Promise<Member[]> {
    const { org } = await standing(ctx.actor, slug, 'org.read');
    return (await orgsRepo.members(db, org.id)).map((m) => ({ user: { id: m.userId, username: m.username }, role: m.role, joinedAt: m.joinedAt.toISOString() }));
  }

  async function memberId(tx: Db, username: string): Promise<string> {
    const user = await deps.usersRepo.findByUsername(tx, username);
    if (!user) throw new NotFoundError('Member');
    return user.id;
  }

  /** Only owners make or unmake owners; the last owner stays one. */
  async function setRole(ctx: RequestContext, slug: string, username: string, role: OrgRole): Promise<Member> {
    const actor = requireActor(ctx);
    const { org, role: mine } = await standing(actor, slug, 'org.manage');
    const revoked: Revocation[] = [];
    await audit.mutate(ctx, 'org.member.role', record(org, { username, role }), async (tx, rec) => {
      notPersonal(org);
      const userId = await memberId(tx, username);
      const before = await orgsRepo.lockMember(tx, org.id, userId);
      if (!before) throw new NotFoundError('Member');
      const touchesOwner = before === 'owner' || role === 'owner';
      // Only owners make or unmake owners.
      if (touchesOwner) authorize(actor, 'org.own', { role: mine, status: org.status });
      if (before === 'owner' && role !== 'owner' && (await orgsRepo.countOwners(tx, org.id)) <= 1) throw new ConflictError('This is the last owner; make someone else an owner first');
      await orgsRepo.setRole(tx, org.id, userId, role);
      rec.metadata = { ...rec.metadata, before };
      // Less than before: what they opened with the old role closes (they open again what they still may).
      if (rank(role) < rank(before)) revoked.push({ scope: 'user', userId });
      await deps.revocations.announce(tx, ...revoked);
    });
    deps.revocations.apply(...revoked);
    return (await members(ctx, slug)).find((m) => m.user.username.toLowerCase() === username.toLowerCase())!;
  }

  /** Removes a member (or lets one leave): their access to the organization's environments ends at once, open sockets included. */
  async function removeMember(ctx: RequestContext, slug: string, username: string): Promise<void> {
    const actor = requireActor(ctx);
    const leaving = username.toLowerCase() === actor.username.toLowerCase();
    const { org, role: mine } = await standing(actor, slug, leaving ? 'org.read' : 'org.manage');
    const revoked: Revocation[] = [];
    await audit.mutate(ctx, 'org.member.remove', record(org, { username }), async (tx, rec) => {
      notPersonal(org);
      const userId = await memberId(tx, username);
      const before = await orgsRepo.lockMember(tx, org.id, userId);
      if (!before) throw new NotFoundError('Member');
      // Only owners remove owners (an owner may leave).
      if (before === 'owner' && !leaving) authorize(actor, 'org.own', { role: mine, status: org.status });
      if (before === 'owner' && (await orgsRepo.countOwners(tx, org.id)) <= 1) throw new ConflictError('This is the last owner; make someone else an owner first');
      rec.metadata = { ...rec.metadata, role: before, revokedTokens: await orgsRepo.removeMember(tx, org.id, userId) };
      revoked.push({ scope: 'user', userId });
      await deps.revocations.announce(tx, ...revoked);
    });
    deps.revocations.apply(...revoked);
  }

  // Invitations

  const toInvitation = (r: Awaited<ReturnType<OrgsRepo['openInvitations']>>[number]): Invitation => ({
    id: r.invitation.id,
    org: r.org,
    username: r.invitee,
    role: r.invitation.role,
    invitedBy: r.invitedBy,
    expiresAt: r.invitation.expiresAt.toISOString(),
    createdAt: r.invitation.createdAt.toISOString(),
  });

  /** Invites a user by name, or makes a single-use link (its secret is shown once). */
  async function invite(ctx: RequestContext, slug: string, body: CreateInvitationBody): Promise<CreatedInvitation> {
    const actor = requireActor(ctx);
    const { org } = await standing(actor, slug, 'org.manage');
    const secret = body.username ? undefined : newSecret(INVITATION_PREFIX);
    const row = await audit.mutate(ctx, 'org.invite', record(org, { username: body.username ?? null, role: body.role }), async (tx, rec) => {
      notPersonal(org);
      if (!welcoming(org.status)) throw new AppError('organization_not_active', `The organization is ${org.status}`);
      let userId: string | null = null;
      if (body.username) {
        const user = await deps.usersRepo.findByUsername(tx, body.username);
        if (!user) throw new NotFoundError('User');
        if (await orgsRepo.lockMember(tx, org.id, user.id)) throw new ConflictError(`${user.username} is a member already`);
        userId = user.id;
      }
      const created = await orgsRepo.insertInvitation(tx, {
        orgId: org.id,
        userId,
        tokenHash: secret ? hashSecret(secret) : null,
        role: body.role,
        invitedBy: actor.id,
        expiresAt: new Date(Date.now() + body.expiresInDays * 86_400_000),
      });
      rec.metadata = { ...rec.metadata, invitation: created.id };
      return created;
    });
    const [open] = (await orgsRepo.openInvitations(db, { orgId: org.id })).filter((r) => r.invitation.id === row.id);
    return { ...toInvitation(open!), ...(secret ? { token: secret } : {}) };
  }

  async function invitations(ctx: RequestContext, slug: string): Promise<Invitation[]> {
    const { org } = await standing(ctx.actor, slug, 'org.manage');
    return (await orgsRepo.openInvitations(db, { orgId: org.id })).map(toInvitation);
  }

  async function myInvitations(ctx: RequestContext): Promise<Invitation[]> {
    return (await orgsRepo.openInvitations(db, { userId: requireActor(ctx).id })).map(toInvitation);
  }

  async function cancelInvitation(ctx: RequestContext, slug: string, id: string): Promise<void> {
    const { org } = await standing(ctx.actor, slug, 'org.manage');
    await audit.mutate(ctx, 'org.invite.cancel', record(org, { invitation: id }), async (tx) => {
      if (!(await orgsRepo.deleteInvitation(tx, org.id, id))) throw new NotFoundError('Invitation');
    });
  }

  /** Accepts an invitation for the caller (by id) or a link (by its secret): the caller joins with the invited role. */
  async function accept(ctx: RequestContext, by: { id: string } | { token: string }): Promise<Organization> {
    const actor = requireActor(ctx);
    let joined: InvitationRow | undefined;
    await audit.mutate(ctx, 'org.join', { targetType: 'organization', metadata: 'id' in by ? { invitation: by.id } : { link: true } }, async (tx, rec) => {
      joined = await orgsRepo.accept(tx, 'id' in by ? { id: by.id, userId: actor.id } : { tokenHash: hashSecret(by.token) });
      if (!joined) throw new NotFoundError('Invitation');
      const org = await orgsRepo.lock(tx, joined.orgId, 'share');
      if (!org || !welcoming(org.status)) throw new AppError('organization_not_active', `The organization is ${org?.status ?? 'gone'}`);
      if (await orgsRepo.lockMember(tx, org.id, actor.id)) throw new ConflictError('You are a member already');
      await orgsRepo.addMember(tx, org.id, actor.id, joined.role);
      rec.targetId = org.id;
      rec.metadata = { ...rec.metadata, org: org.slug, role: joined.role, invitedBy: joined.invitedBy };
    });
    const member = await orgsRepo.membership(db, { id: joined!.orgId }, actor.id);
    return toOrg(member!.org, member!.role);
  }

  // Teams

  async function teams(ctx: RequestContext, slug: string): Promise<Team[]> {
    const { org } = await standing(ctx.actor, slug, 'org.read');
    return (await orgsRepo.teamsWithMembers(db, org.id)).map(toTeam);
  }

  const toTeam = ({ team, members: ms }: Awaited<ReturnType<OrgsRepo['teamsWithMembers']>>[number]): Team => ({
    id: team.id,
    slug: team.slug,
    name: team.name,
    members: ms.map((m) => ({ user: { id: m.id, username: m.username }, role: m.role })),
  });

  async function createTeam(ctx: RequestContext, slug: string, body: { slug: string; name: string }): Promise<Team> {
    const { org } = await standing(ctx.actor, slug, 'org.manage');
    const team = await audit.mutate(ctx, 'org.team.create', record(org, { team: body.slug }), async (tx) => {
      notPersonal(org);
      return orgsRepo.insertTeam(tx, { orgId: org.id, slug: body.slug, name: body.name });
    });
    return { id: team.id, slug: team.slug, name: team.name, members: [] };
  }

  async function deleteTeam(ctx: RequestContext, slug: string, teamSlug: string): Promise<void> {
    const { org } = await standing(ctx.actor, slug, 'org.manage');
    const revoked: Revocation[] = [];
    await audit.mutate(ctx, 'org.team.delete', record(org, { team: teamSlug }), async (tx) => {
      const team = await orgsRepo.findTeam(tx, org.id, teamSlug);
      if (!team) throw new NotFoundError('Team');
      revoked.push(...(await orgsRepo.usersOfTeams(tx, [team.id])).map((userId): Revocation => ({ scope: 'user', userId })));
      await orgsRepo.deleteTeam(tx, team.id);
      await deps.revocations.announce(tx, ...revoked);
    });
    deps.revocations.apply(...revoked);
  }

  /** Adds a member of the organization to a team (or changes their team role): org owners and admins, or the team's maintainers. */
  async function setTeamMember(ctx: RequestContext, slug: string, teamSlug: string, username: string, role: 'maintainer' | 'member'): Promise<Team> {
    const actor = requireActor(ctx);
    const { org } = await standing(actor, slug, 'org.read');
    await audit.mutate(ctx, 'org.team.member', record(org, { team: teamSlug, username, role }), async (tx) => {
      const team = await teamManagedBy(tx, org, teamSlug, actor);
      const userId = await memberId(tx, username);
      if (!(await orgsRepo.lockMember(tx, org.id, userId))) throw new NotFoundError('Member');
      await orgsRepo.setTeamMember(tx, team.id, userId, role);
    });
    return (await teams(ctx, slug)).find((t) => t.slug.toLowerCase() === teamSlug.toLowerCase() || t.id === teamSlug)!;
  }

  async function removeTeamMember(ctx: RequestContext, slug: string, teamSlug: string, username: string): Promise<void> {
    const actor = requireActor(ctx);
    const { org } = await standing(actor, slug, 'org.read');
    const revoked: Revocation[] = [];
    await audit.mutate(ctx, 'org.team.member.remove', record(org, { team: teamSlug, username }), async (tx) => {
      const team = await teamManagedBy(tx, org, teamSlug, actor);
      const userId = await memberId(tx, username);
      if (!(await orgsRepo.removeTeamMember(tx, team.id, userId))) throw new NotFoundError('Team member');
      revoked.push({ scope: 'user', userId });
      await deps.revocations.announce(tx, ...revoked);
    });
    deps.revocations.apply(...revoked);
  }

  async function teamManagedBy(tx: Db, org: OrgRow, teamSlug: string, actor: Actor) {
    const team = await orgsRepo.findTeam(tx, org.id, teamSlug);
    if (!team) throw new NotFoundError('Team');
    // The team's maintainers change it; else whoever manages the organization.
    if ((await orgsRepo.teamRole(tx, team.id, actor.id)) !== 'maintainer') authorize(actor, 'org.manage', { role: await orgsRepo.lockMember(tx, org.id, actor.id), status: org.status });
    return team;
  }

  // Shares

  async function shares(ctx: RequestContext, environmentId: string): Promise<Share[]> {
    await deps.environments.visibleIn(ctx, environmentId, 'view');
    return orgsRepo.shares(db, environmentId);
  }

  /** Shares an environment with a team of its organization at a level (or changes it): whoever manages the environment. */
  async function share(ctx: RequestContext, environmentId: string, teamId: string, level: 'view' | 'use'): Promise<Share[]> {
    const env = await deps.environments.visibleIn(ctx, environmentId, 'manage');
    await audit.mutate(ctx, 'environment.share', { targetType: 'environment', targetId: environmentId, metadata: { teamId, level } }, async (tx) => {
      const team = await orgsRepo.findTeam(tx, env.orgId, teamId);
      if (!team) throw new NotFoundError('Team');
      await orgsRepo.setShare(tx, environmentId, team.id, level);
    });
    return orgsRepo.shares(db, environmentId);
  }

  async function unshare(ctx: RequestContext, environmentId: string, teamId: string): Promise<void> {
    await deps.environments.visibleIn(ctx, environmentId, 'manage');
    const revoked: Revocation[] = [];
    await audit.mutate(ctx, 'environment.unshare', { targetType: 'environment', targetId: environmentId, metadata: { teamId } }, async (tx) => {
      if (!(await orgsRepo.removeShare(tx, environmentId, teamId))) throw new NotFoundError('Share');
      revoked.push(...(await orgsRepo.usersOfTeams(tx, [teamId])).map((userId): Revocation => ({ scope: 'user', userId })));
      await deps.revocations.announce(tx, ...revoked);
    });
    deps.revocations.apply(...revoked);
  }

  return {
    standing,
    list,
    get,
    create,
    lifecycle,
    members,
    setRole,
    removeMember,
    invite,
    invitations,
    myInvitations,
    cancelInvitation,
    accept,
    teams,
    createTeam,
    deleteTeam,
    setTeamMember,
    removeTeamMember,
    shares,
    share,
    unshare,
  };
}

/** People may be invited and join while the organization is made ready, not once it is suspended or going. */
const welcoming = (status: OrgRow['status']) => status === 'provisioning' || status === 'active';

const RANKS: Record<OrgRole, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };
const rank = (role: OrgRole) => RANKS[role];

export type OrgsService = ReturnType<typeof createOrgsService>;
