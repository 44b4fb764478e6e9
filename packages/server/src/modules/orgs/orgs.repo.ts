import { and, asc, desc, eq, gt, inArray, isNull, lte, ne, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import { apiTokens, environmentShares, environments, invitations, memberships, organizations, teamMembers, teams, users } from '../../db/schema.js';
import { ConflictError } from '../../errors.js';

export type OrgRow = typeof organizations.$inferSelect;
export type Role = (typeof memberships.$inferSelect)['role'];
export type TeamRow = typeof teams.$inferSelect;
export type InvitationRow = typeof invitations.$inferSelect;

const notDeleted = () => ne(organizations.status, 'deleted');
const bySlug = (slug: string) => eq(sql`lower(${organizations.slug})`, slug.toLowerCase());

export function createOrgsRepo() {
  return {
    /**
     * Inserts an organization. Slugs and usernames share one namespace (a user's
     * personal organization takes their name), so a taken slug is a conflict.
     */
    async insert(db: Db, row: typeof organizations.$inferInsert): Promise<OrgRow> {
      try {
        const [created] = await db.insert(organizations).values(row).returning();
        return created!;
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError(`The name "${row.slug}" is taken`);
        throw err;
      }
    },

    async findBySlug(db: Db, slug: string): Promise<OrgRow | undefined> {
      const [row] = await db.select().from(organizations).where(and(bySlug(slug), notDeleted()));
      return row;
    },

    /** The organization, locked until the transaction ends: `share` for what is made in it, `update` for its lifecycle. */
    async lock(db: Db, id: string, mode: 'share' | 'update'): Promise<OrgRow | undefined> {
      const [row] = await db.select().from(organizations).where(eq(organizations.id, id)).for(mode);
      return row;
    },

    async update(db: Db, id: string, patch: Partial<typeof organizations.$inferInsert>): Promise<OrgRow> {
      const [row] = await db
        .update(organizations)
        .set({ ...patch, updatedAt: sql`now()` })
        .where(eq(organizations.id, id))
        .returning();
      return row!;
    },

    /** Organizations whose lifecycle is due for a look, oldest first. */
    async due(db: Db, limit: number): Promise<string[]> {
      const rows = await db
        .select({ id: organizations.id })
        .from(organizations)
        .where(lte(organizations.reconcileAfter, sql`now()`))
        .orderBy(asc(organizations.reconcileAfter))
        .limit(limit);
      return rows.map((r) => r.id);
    },

    /** Takes one due organization for this reconcile, skipping one another process holds. */
    async claim(db: Db, id: string): Promise<OrgRow | undefined> {
      const [row] = await db
        .select()
        .from(organizations)
        .where(and(eq(organizations.id, id), lte(organizations.reconcileAfter, sql`now()`)))
        .for('update', { skipLocked: true });
      return row;
    },

    async addMember(db: Db, orgId: string, userId: string, role: Role): Promise<void> {
      await db.insert(memberships).values({ orgId, userId, role }).onConflictDoNothing();
    },

    /** The user's membership of an organization that still exists, named by slug (any letter case) or id. */
    async membership(db: Db, org: { slug: string } | { id: string }, userId: string): Promise<{ org: OrgRow; role: Role } | undefined> {
      const [row] = await db
        .select({ org: organizations, role: memberships.role })
        .from(memberships)
        .innerJoin(organizations, eq(organizations.id, memberships.orgId))
        .where(and(eq(memberships.userId, userId), notDeleted(), 'slug' in org ? bySlug(org.slug) : eq(organizations.id, org.id)));
      return row;
    },

    /** The organizations the user belongs to that still exist, with the user's role in each, personal first. */
    async listForUser(db: Db, userId: string): Promise<(OrgRow & { role: Role })[]> {
      const rows = await db
        .select({ org: organizations, role: memberships.role })
        .from(memberships)
        .innerJoin(organizations, eq(organizations.id, memberships.orgId))
        .where(and(eq(memberships.userId, userId), notDeleted()))
        .orderBy(desc(organizations.personal), asc(organizations.slug));
      return rows.map(({ org, role }) => ({ ...org, role }));
    },

    async members(db: Db, orgId: string): Promise<{ userId: string; username: string; role: Role; joinedAt: Date }[]> {
      return db
        .select({ userId: users.id, username: users.username, role: memberships.role, joinedAt: memberships.createdAt })
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(eq(memberships.orgId, orgId))
        .orderBy(asc(users.username));
    },

    /** The member's role, locked: role changes and removals of one organization happen one at a time. */
    async lockMember(db: Db, orgId: string, userId: string): Promise<Role | undefined> {
      const [row] = await db
        .select({ role: memberships.role })
        .from(memberships)
        .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)))
        .for('update');
      return row?.role;
    },

    async countOwners(db: Db, orgId: string): Promise<number> {
      const [row] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(memberships)
        .where(and(eq(memberships.orgId, orgId), eq(memberships.role, 'owner')));
      return row!.n;
    },

    async setRole(db: Db, orgId: string, userId: string, role: Role): Promise<void> {
      await db.update(memberships).set({ role }).where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)));
    },

    /** Takes the user out of the organization and of its teams, and revokes their tokens for it; how many tokens. */
    async removeMember(db: Db, orgId: string, userId: string): Promise<number> {
      await db.delete(memberships).where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)));
      await db.delete(teamMembers).where(and(eq(teamMembers.userId, userId), inArray(teamMembers.teamId, db.select({ id: teams.id }).from(teams).where(eq(teams.orgId, orgId)))));
      const revoked = await db
        .update(apiTokens)
        .set({ revokedAt: sql`now()` })
        .where(and(eq(apiTokens.orgId, orgId), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
        .returning({ id: apiTokens.id });
      return revoked.length;
    },

    /** Everything that made the organization reachable: members, teams, invitations, tokens. Its rows of record stay. */
    async dissolve(db: Db, orgId: string): Promise<void> {
      await db.update(apiTokens).set({ revokedAt: sql`now()` }).where(and(eq(apiTokens.orgId, orgId), isNull(apiTokens.revokedAt)));
      await db.delete(invitations).where(eq(invitations.orgId, orgId));
      await db.delete(teams).where(eq(teams.orgId, orgId));
      await db.delete(memberships).where(eq(memberships.orgId, orgId));
    },

    /** Environments of the organization that are not yet gone. */
    async liveEnvironments(db: Db, orgId: string): Promise<{ id: string; desiredState: string; status: string }[]> {
      return db
        .select({ id: environments.id, desiredState: environments.desiredState, status: environments.status })
        .from(environments)
        .where(and(eq(environments.orgId, orgId), ne(environments.status, 'deleted')));
    },

    // Invitations

    async insertInvitation(db: Db, row: typeof invitations.$inferInsert): Promise<InvitationRow> {
      const [created] = await db.insert(invitations).values(row).returning();
      return created!;
    },

    /** Open invitations (not accepted, not expired), of an organization or for a user, with what a reader needs. */
    async openInvitations(db: Db, where: { orgId: string } | { userId: string }) {
      const invitee = sql<string | null>`(select ${users.username} from ${users} where ${users.id} = ${invitations.userId})`;
      return db
        .select({ invitation: invitations, org: { id: organizations.id, slug: organizations.slug, name: organizations.name }, invitedBy: users.username, invitee })
        .from(invitations)
        .innerJoin(organizations, eq(organizations.id, invitations.orgId))
        .innerJoin(users, eq(users.id, invitations.invitedBy))
        .where(and(isNull(invitations.acceptedAt), gt(invitations.expiresAt, sql`now()`), notDeleted(), 'orgId' in where ? eq(invitations.orgId, where.orgId) : eq(invitations.userId, where.userId)))
        .orderBy(desc(invitations.createdAt));
    },

    /** Marks an open invitation accepted, once: by id for the invited user, or by its link's hash. */
    async accept(db: Db, by: { id: string; userId: string } | { tokenHash: string }): Promise<InvitationRow | undefined> {
      const [row] = await db
        .update(invitations)
        .set({ acceptedAt: sql`now()` })
        .where(
          and(
            isNull(invitations.acceptedAt),
            gt(invitations.expiresAt, sql`now()`),
            'id' in by ? and(eq(invitations.id, by.id), eq(invitations.userId, by.userId)) : eq(invitations.tokenHash, by.tokenHash),
          ),
        )
        .returning();
      return row;
    },

    async deleteInvitation(db: Db, orgId: string, id: string): Promise<boolean> {
      const gone = await db
        .delete(invitations)
        .where(and(eq(invitations.orgId, orgId), eq(invitations.id, id)))
        .returning({ id: invitations.id });
      return gone.length > 0;
    },

    // Teams

    async insertTeam(db: Db, row: typeof teams.$inferInsert): Promise<TeamRow> {
      try {
        const [created] = await db.insert(teams).values(row).returning();
        return created!;
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError(`The organization already has a team "${row.slug}"`);
        throw err;
      }
    },

    async findTeam(db: Db, orgId: string, slugOrId: string): Promise<TeamRow | undefined> {
      const isId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(slugOrId);
      const [row] = await db
        .select()
        .from(teams)
        .where(and(eq(teams.orgId, orgId), isId ? eq(teams.id, slugOrId) : eq(sql`lower(${teams.slug})`, slugOrId.toLowerCase())));
      return row;
    },

    async teamsWithMembers(db: Db, orgId: string) {
      const rows = await db
        .select({ team: teams, userId: teamMembers.userId, username: users.username, role: teamMembers.role })
        .from(teams)
        .leftJoin(teamMembers, eq(teamMembers.teamId, teams.id))
        .leftJoin(users, eq(users.id, teamMembers.userId))
        .where(eq(teams.orgId, orgId))
        .orderBy(asc(teams.slug), asc(users.username));
      const byTeam = new Map<string, { team: TeamRow; members: { id: string; username: string; role: 'maintainer' | 'member' }[] }>();
      for (const r of rows) {
        const entry = byTeam.get(r.team.id) ?? { team: r.team, members: [] };
        byTeam.set(r.team.id, entry);
        if (r.userId && r.username && r.role) entry.members.push({ id: r.userId, username: r.username, role: r.role });
      }
      return [...byTeam.values()];
    },

    async deleteTeam(db: Db, id: string): Promise<void> {
      await db.delete(teams).where(eq(teams.id, id));
    },

    async teamRole(db: Db, teamId: string, userId: string): Promise<'maintainer' | 'member' | undefined> {
      const [row] = await db
        .select({ role: teamMembers.role })
        .from(teamMembers)
        .where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, userId)));
      return row?.role;
    },

    async setTeamMember(db: Db, teamId: string, userId: string, role: 'maintainer' | 'member'): Promise<void> {
      await db.insert(teamMembers).values({ teamId, userId, role }).onConflictDoUpdate({ target: [teamMembers.teamId, teamMembers.userId], set: { role } });
    },

    async removeTeamMember(db: Db, teamId: string, userId: string): Promise<boolean> {
      const gone = await db
        .delete(teamMembers)
        .where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, userId)))
        .returning({ id: teamMembers.userId });
      return gone.length > 0;
    },

    // Shares

    async shares(db: Db, environmentId: string) {
      return db
        .select({ team: { id: teams.id, slug: teams.slug, name: teams.name }, level: environmentShares.level })
        .from(environmentShares)
        .innerJoin(teams, eq(teams.id, environmentShares.teamId))
        .where(eq(environmentShares.environmentId, environmentId))
        .orderBy(asc(teams.slug));
    },

    async setShare(db: Db, environmentId: string, teamId: string, level: 'view' | 'use'): Promise<void> {
      await db
        .insert(environmentShares)
        .values({ environmentId, teamId, level })
        .onConflictDoUpdate({ target: [environmentShares.environmentId, environmentShares.teamId], set: { level } });
    },

    async removeShare(db: Db, environmentId: string, teamId: string): Promise<boolean> {
      const gone = await db
        .delete(environmentShares)
        .where(and(eq(environmentShares.environmentId, environmentId), eq(environmentShares.teamId, teamId)))
        .returning({ id: environmentShares.teamId });
      return gone.length > 0;
    },

    /** Users of the organization who are members of any of these teams (for closing what a removed share opened). */
    async usersOfTeams(db: Db, teamIds: string[]): Promise<string[]> {
      if (teamIds.length === 0) return [];
      const rows = await db.selectDistinct({ userId: teamMembers.userId }).from(teamMembers).where(inArray(teamMembers.teamId, teamIds));
      return rows.map((r) => r.userId);
    },
  };
}

export type OrgsRepo = ReturnType<typeof createOrgsRepo>;
