import { and, asc, desc, eq, inArray, ne, or, sql } from 'drizzle-orm';
import type { DesiredState } from '@berth/contracts';
import type { Db } from '../../db/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import { preparedPer } from '../../db/prepared.js';
import { environmentShares, environments, memberships, organizations, orgQuotas, quotas, teamMembers, users } from '../../db/schema.js';
import type { EnvironmentStanding } from '../auth/authorize.js';
import { ConflictError } from '../../errors.js';

/** An environment as stored: one waiting unclaimed in a warm pool has no owner or organization yet. */
export type EnvironmentRecord = typeof environments.$inferSelect;
/** An environment someone owns: every one a user or a token can reach. */
export type EnvironmentRow = EnvironmentRecord & { ownerId: string; orgId: string };
export type EnvironmentWithOwner = EnvironmentRow & { ownerUsername: string };

const withOwner = { env: environments, ownerUsername: users.username };
/** The best level any of a user's teams holds on the environment of the row; null when none. */
const bestShare = (userId: string) => sql<'view' | 'use' | null>`(
  select case when bool_or(${environmentShares.level} = 'use') then 'use' when count(*) > 0 then 'view' end
  from ${environmentShares} join ${teamMembers} on ${teamMembers.teamId} = ${environmentShares.teamId}
  where ${environmentShares.environmentId} = ${environments.id} and ${teamMembers.userId} = ${userId})`;
// Joined with its owner, so owned (a pool's unclaimed environments have no owner to join).
const flatten = (r: { env: EnvironmentRecord; ownerUsername: string }): EnvironmentWithOwner => ({ ...(r.env as EnvironmentRow), ownerUsername: r.ownerUsername });

// Every call about an environment on a swarm asks where it is: one named statement per connection.
const nodeOfQuery = preparedPer((db: Db) =>
  db
    .select({ nodeId: environments.nodeId })
    .from(environments)
    .where(eq(environments.id, sql.placeholder('id')))
    .prepare('environment_node_of'),
);

export function createEnvironmentsRepo() {
  return {
    async insert(db: Db, row: typeof environments.$inferInsert & { ownerId: string; orgId: string }): Promise<EnvironmentRow> {
      try {
        const [created] = await db.insert(environments).values(row).returning();
        return created as EnvironmentRow;
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError(`You already have an environment named "${row.name}"`);
        throw err;
      }
    },

    async get(db: Db, id: string): Promise<EnvironmentWithOwner | undefined> {
      const [row] = await db.select(withOwner).from(environments).innerJoin(users, eq(users.id, environments.ownerId)).where(eq(environments.id, id));
      return row && flatten(row);
    },

    /**
     * The environment with how a user stands to it: their role in its
     * organization (today, not when the caller signed in), the best level any
     * of their teams was given on it, and the organization's status.
     */
    async getStanding(db: Db, id: string, userId: string): Promise<(EnvironmentWithOwner & { standing: EnvironmentStanding; orgStatus: string; orgPersonal: boolean }) | undefined> {
      const [row] = await db
        .select({
          ...withOwner,
          orgStatus: organizations.status,
          orgPersonal: organizations.personal,
          role: memberships.role,
          share: bestShare(userId),
        })
        .from(environments)
        .innerJoin(users, eq(users.id, environments.ownerId))
        .innerJoin(organizations, eq(organizations.id, environments.orgId))
        .leftJoin(memberships, and(eq(memberships.orgId, environments.orgId), eq(memberships.userId, userId)))
        .where(eq(environments.id, id));
      if (!row) return undefined;
      const standing = { role: row.role ?? undefined, isCreator: row.env.ownerId === userId, share: row.share ?? undefined };
      return { ...flatten(row), standing, orgStatus: row.orgStatus, orgPersonal: row.orgPersonal };
    },

    /**
     * The environments of an organization a user may see: all of them for its
     * owners and admins, else those they made and those shared with a team of theirs.
     */
    async listInOrg(db: Db, orgId: string, userId: string, everything: boolean): Promise<(EnvironmentWithOwner & { standing: Omit<EnvironmentStanding, 'role'> })[]> {
      const share = bestShare(userId);
      const rows = await db
        .select({ ...withOwner, share })
        .from(environments)
        .innerJoin(users, eq(users.id, environments.ownerId))
        .where(and(eq(environments.orgId, orgId), everything ? undefined : or(eq(environments.ownerId, userId), sql`${share} is not null`)))
        .orderBy(desc(environments.createdAt), asc(environments.id));
      return rows.map((row) => ({ ...flatten(row), standing: { isCreator: row.env.ownerId === userId, share: row.share ?? undefined } }));
    },

    async lock(db: Db, id: string): Promise<EnvironmentRecord | undefined> {
      const [row] = await db.select().from(environments).where(eq(environments.id, id)).for('update');
      return row;
    },

    /** The environment as stored, owned or not (the reconciler's read: it also builds a pool's). */
    /** The node an environment was placed on; null before its first provisioning (or when there is no such environment). */
    async nodeOf(db: Db, id: string): Promise<string | null> {
      const [row] = await nodeOfQuery(db).execute({ id });
      return row?.nodeId ?? null;
    },

    /** What the environments meant to run hold, per node: reservations placement weighs. */
    async usageByNode(db: Db): Promise<Map<string, { environments: number; vcpus: number; memoryMb: number }>> {
      const rows = await db
        .select({ nodeId: environments.nodeId, environments: sql<number>`count(*)::int`, vcpus: sql<number>`coalesce(sum(${environments.vcpus}), 0)::int`, memoryMb: sql<number>`coalesce(sum(${environments.memoryMb}), 0)::int` })
        .from(environments)
        .where(and(eq(environments.desiredState, 'running'), sql`${environments.nodeId} is not null`))
        .groupBy(environments.nodeId);
      return new Map(rows.map((r) => [r.nodeId!, { environments: r.environments, vcpus: r.vcpus, memoryMb: r.memoryMb }]));
    },

    async record(db: Db, id: string): Promise<EnvironmentRecord | undefined> {
      const [row] = await db.select().from(environments).where(eq(environments.id, id));
      return row;
    },

    async list(db: Db, ownerId: string | null): Promise<EnvironmentWithOwner[]> {
      const rows = await db
        .select(withOwner)
        .from(environments)
        .innerJoin(users, eq(users.id, environments.ownerId))
        .where(ownerId ? eq(environments.ownerId, ownerId) : undefined)
        .orderBy(desc(environments.createdAt), asc(environments.id));
      return rows.map(flatten);
    },

    async namesInUse(db: Db, ownerId: string): Promise<Set<string>> {
      const rows = await db
        .select({ name: environments.name })
        .from(environments)
        .where(and(eq(environments.ownerId, ownerId), ne(environments.desiredState, 'deleted')));
      return new Set(rows.map((r) => r.name));
    },

    /** Records a new intent and makes the row due for a reconcile now; a new intent clears past failures. */
    async setIntent(db: Db, id: string, desiredState: DesiredState, opts: { restart?: boolean } = {}): Promise<EnvironmentRecord> {
      const [row] = await db
        .update(environments)
        .set({
          desiredState,
          attempts: 0,
          lastError: null,
          errorCode: null,
          reconcileAfter: sql`now()`,
          updatedAt: sql`now()`,
          ...(opts.restart ? { restartRequestedAt: sql`now()` } : {}),
        })
        .where(eq(environments.id, id))
        .returning();
      return row!;
    },

    /** Records a new egress policy; a live environment is made due so the reconciler moves it onto it. */
    async setEgress(db: Db, id: string, egress: EnvironmentRow['egress'], egressAllow: string[], opts: { due: boolean }): Promise<void> {
      await db
        .update(environments)
        .set({ egress, egressAllow, updatedAt: sql`now()`, ...(opts.due ? { reconcileAfter: sql`now()` } : {}) })
        .where(eq(environments.id, id));
    },

    /** Asks every running-or-starting environment of an owner to stop; returns their ids. */
    async stopAllForOwner(db: Db, ownerId: string): Promise<string[]> {
      const rows = await db
        .update(environments)
        .set({ desiredState: 'stopped', attempts: 0, lastError: null, errorCode: null, reconcileAfter: sql`now()`, updatedAt: sql`now()` })
        .where(and(eq(environments.ownerId, ownerId), eq(environments.desiredState, 'running')))
        .returning({ id: environments.id });
      return rows.map((r) => r.id);
    },

    async update(db: Db, id: string, patch: Partial<typeof environments.$inferInsert>): Promise<void> {
      await db
        .update(environments)
        .set({ ...patch, updatedAt: sql`now()` })
        .where(eq(environments.id, id));
    },

    async touchActivity(db: Db, id: string): Promise<void> {
      await db.update(environments).set({ lastActivityAt: sql`now()` }).where(eq(environments.id, id));
    },

    /**
     * Running environments whose owner's idle timeout has passed since their last
     * activity (or their start, when nobody touched them yet).
     */
    async listIdle(db: Db): Promise<{ id: string; idleMinutes: number; timeoutMinutes: number }[]> {
      const idleSince = sql`coalesce(${environments.lastActivityAt}, ${environments.startedAt}, ${environments.createdAt})`;
      // A shared organization's timeout is its own; a personal one's is its user's.
      const timeout = sql<number>`coalesce(${orgQuotas.idleTimeoutMinutes}, ${quotas.idleTimeoutMinutes})`;
      return db
        .select({
          id: environments.id,
          idleMinutes: sql<number>`floor(extract(epoch from now() - ${idleSince}) / 60)::int`,
          timeoutMinutes: timeout,
        })
        .from(environments)
        .innerJoin(quotas, eq(quotas.userId, environments.ownerId))
        .leftJoin(orgQuotas, eq(orgQuotas.orgId, environments.orgId))
        .where(
          and(
            eq(environments.desiredState, 'running'),
            eq(environments.status, 'running'),
            sql`${timeout} > 0`,
            sql`${idleSince} < now() - make_interval(mins => ${timeout})`,
          ),
        );
    },

    /** Every environment that is not finished being deleted, for resync. */
    listLive(db: Db): Promise<EnvironmentRecord[]> {
      return db.select().from(environments).where(ne(environments.status, 'deleted'));
    },

    /** Makes every environment waiting out a retry backoff due now. */
    async expediteQueued(db: Db): Promise<void> {
      await db.update(environments).set({ reconcileAfter: sql`now()` }).where(sql`${environments.reconcileAfter} > now()`);
    },

    /** Makes these environments due for a reconcile now (resync found them out of step). */
    async markDue(db: Db, ids: string[]): Promise<void> {
      if (ids.length === 0) return;
      await db.update(environments).set({ reconcileAfter: sql`now()` }).where(inArray(environments.id, ids));
    },
  };
}

export type EnvironmentsRepo = ReturnType<typeof createEnvironmentsRepo>;
