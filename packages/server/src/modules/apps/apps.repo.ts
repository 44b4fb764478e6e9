import { and, asc, desc, eq, gt, ne, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import { appConfigVars, appDatabases, appDomains, appEvents, appReleases, apps, memberships, organizations, type SealedConfig } from '../../db/schema.js';
import { ConflictError } from '../../errors.js';

export type AppRow = typeof apps.$inferSelect;
export type ReleaseRow = typeof appReleases.$inferSelect;
export type AppEventRow = typeof appEvents.$inferSelect;
export type AppDatabaseRow = typeof appDatabases.$inferSelect;
type Rows<T> = { rows: T[] };

/** What the proxy routes a host by: the app's port and serving release, and whether its organization is suspended. */
export type Routed = Pick<AppRow, 'id' | 'port' | 'currentReleaseId' | 'replicas'> & { suspended: boolean };

/** An app with what authorization needs of its organization: its status, and the caller's role there (if a member). */
export interface AppWithOrg {
  app: AppRow;
  orgStatus: string;
  role: 'owner' | 'admin' | 'member' | 'viewer' | null;
}

/**
 * Apps, their releases, config and events. The apps table is also the apps reconciler's
 * queue, as environments is the environments reconciler's: a row is due when reconcile_after
 * has passed, and held by one worker while its lease lasts.
 */
export function createAppsRepo() {
  const live = ne(apps.desiredState, 'deleted');
  /** The columns of a Routed (with organizations joined). */
  const routed = { id: apps.id, port: apps.port, currentReleaseId: apps.currentReleaseId, replicas: apps.replicas, suspended: sql<boolean>`${organizations.status} = 'suspended'` };
  return {
    async insert(db: Db, row: typeof apps.$inferInsert): Promise<AppRow> {
      try {
        const [created] = await db.insert(apps).values(row).returning();
        return created!;
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError(`The name "${row.name}" (or its host ${row.host}) is taken; pick another`);
        throw err;
      }
    },

    async get(db: Db, id: string, userId: string | null = null): Promise<AppWithOrg | undefined> {
      const [row] = await db
        .select({ app: apps, orgStatus: organizations.status, role: memberships.role })
        .from(apps)
        .innerJoin(organizations, eq(organizations.id, apps.orgId))
        .leftJoin(memberships, and(eq(memberships.orgId, apps.orgId), sql`${memberships.userId} = ${userId}`))
        .where(and(eq(apps.id, id), live));
      return row;
    },

    /** The app's row held until commit, deleted or not (the reconciler finishes a deletion). */
    async lock(db: Db, id: string): Promise<AppRow | undefined> {
      const [row] = await db.select().from(apps).where(eq(apps.id, id)).for('update');
      return row;
    },

    async list(db: Db, orgId: string): Promise<AppRow[]> {
      return db.select().from(apps).where(and(eq(apps.orgId, orgId), live)).orderBy(asc(apps.name));
    },

    /** The app a host label names, with its current release and its organization's standing: what the proxy routes by. */
    async byHost(db: Db, host: string): Promise<Routed | undefined> {
      const [row] = await db.select(routed).from(apps).innerJoin(organizations, eq(organizations.id, apps.orgId)).where(and(eq(apps.host, host), live));
      return row;
    },

    async update(db: Db, id: string, patch: Partial<typeof apps.$inferInsert>): Promise<AppRow> {
      const [row] = await db
        .update(apps)
        .set({ ...patch, updatedAt: sql`now()` })
        .where(eq(apps.id, id))
        .returning();
      return row!;
    },

    /** Makes every app of an organization due now (it was suspended or reactivated): their ids. */
    async markDueOf(db: Db, orgId: string): Promise<string[]> {
      const rows = await db.update(apps).set({ reconcileAfter: sql`now()` }).where(and(eq(apps.orgId, orgId), live)).returning({ id: apps.id });
      return rows.map((r) => r.id);
    },

    /** Whether the app's organization is suspended: then nothing of it runs. */
    async suspended(db: Db, orgId: string): Promise<boolean> {
      const [row] = await db.select({ status: organizations.status }).from(organizations).where(eq(organizations.id, orgId));
      return row?.status === 'suspended';
    },

    /** Every app of an organization that is being deleted: to be deleted too. Their ids. */
    async deleteAllOf(db: Db, orgId: string): Promise<string[]> {
      const rows = await db
        .update(apps)
        .set({ desiredState: 'deleted', status: 'deleting', reconcileAfter: sql`now()`, updatedAt: sql`now()` })
        .where(and(eq(apps.orgId, orgId), live))
        .returning({ id: apps.id });
      return rows.map((r) => r.id);
    },

    /** How many apps of the organization are not gone yet (a deleted one's row goes once nothing of it is left). */
    async countOf(db: Db, orgId: string): Promise<number> {
      const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(apps).where(eq(apps.orgId, orgId));
      return Number(row?.n ?? 0);
    },

    async remove(db: Db, id: string): Promise<void> {
      await db.delete(apps).where(eq(apps.id, id));
    },

    // Releases

    async insertRelease(db: Db, appId: string, row: Omit<typeof appReleases.$inferInsert, 'appId' | 'number'>): Promise<ReleaseRow> {
      const [app] = await db.update(apps).set({ releaseSeq: sql`${apps.releaseSeq} + 1` }).where(eq(apps.id, appId)).returning({ seq: apps.releaseSeq });
      const [created] = await db
        .insert(appReleases)
        .values({ ...row, appId, number: app!.seq })
        .returning();
      return created!;
    },

    async releases(db: Db, appId: string): Promise<ReleaseRow[]> {
      return db.select().from(appReleases).where(eq(appReleases.appId, appId)).orderBy(desc(appReleases.number));
    },

    async release(db: Db, appId: string, number: number): Promise<ReleaseRow | undefined> {
      const [row] = await db
        .select()
        .from(appReleases)
        .where(and(eq(appReleases.appId, appId), eq(appReleases.number, number)));
      return row;
    },

    async releaseById(db: Db, id: string): Promise<ReleaseRow | undefined> {
      const [row] = await db.select().from(appReleases).where(eq(appReleases.id, id));
      return row;
    },

    async updateRelease(db: Db, id: string, patch: Partial<typeof appReleases.$inferInsert>): Promise<ReleaseRow> {
      const [row] = await db
        .update(appReleases)
        .set({ ...patch, updatedAt: sql`now()` })
        .where(eq(appReleases.id, id))
        .returning();
      return row!;
    },

    // Config

    async config(db: Db, appId: string): Promise<SealedConfig> {
      const rows = await db.select().from(appConfigVars).where(eq(appConfigVars.appId, appId)).orderBy(asc(appConfigVars.name));
      return Object.fromEntries(rows.map((r) => [r.name, { value: r.value, secret: r.secret }]));
    },

    async setConfig(db: Db, appId: string, set: SealedConfig, unset: readonly string[]): Promise<void> {
      for (const name of unset) await db.delete(appConfigVars).where(and(eq(appConfigVars.appId, appId), eq(appConfigVars.name, name)));
      for (const [name, v] of Object.entries(set)) {
        await db
          .insert(appConfigVars)
          .values({ appId, name, value: v.value, secret: v.secret })
          .onConflictDoUpdate({ target: [appConfigVars.appId, appConfigVars.name], set: { value: v.value, secret: v.secret, updatedAt: sql`now()` } });
      }
    },

    // Custom domains

    async domains(db: Db, appId: string): Promise<(typeof appDomains.$inferSelect)[]> {
      return db.select().from(appDomains).where(eq(appDomains.appId, appId)).orderBy(asc(appDomains.host));
    },

    /** Every custom domain of an app that still exists, with its app: what Berth's and Caddy's routing read. */
    async allDomains(db: Db): Promise<{ host: string; appId: string }[]> {
      return db.select({ host: appDomains.host, appId: appDomains.appId }).from(appDomains).innerJoin(apps, eq(apps.id, appDomains.appId)).where(live).orderBy(asc(appDomains.host));
    },

    async addDomain(db: Db, appId: string, host: string): Promise<typeof appDomains.$inferSelect> {
      try {
        const [row] = await db.insert(appDomains).values({ appId, host }).returning();
        return row!;
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError(`${host} serves an app already`);
        throw err;
      }
    },

    async removeDomain(db: Db, appId: string, host: string): Promise<boolean> {
      const rows = await db.delete(appDomains).where(and(eq(appDomains.appId, appId), eq(appDomains.host, host))).returning({ host: appDomains.host });
      return rows.length > 0;
    },

    /** The app a custom domain names (as byHost does for labels). */
    async byDomain(db: Db, host: string): Promise<Routed | undefined> {
      const [row] = await db
        .select(routed)
        .from(appDomains)
        .innerJoin(apps, eq(apps.id, appDomains.appId))
        .innerJoin(organizations, eq(organizations.id, apps.orgId))
        .where(and(eq(appDomains.host, host), live));
      return row;
    },

    // The managed database

    async database(db: Db, appId: string): Promise<AppDatabaseRow | undefined> {
      const [row] = await db.select().from(appDatabases).where(eq(appDatabases.appId, appId));
      return row;
    },

    async insertDatabase(db: Db, row: typeof appDatabases.$inferInsert): Promise<AppDatabaseRow> {
      try {
        const [created] = await db.insert(appDatabases).values(row).returning();
        return created!;
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError('The app has a database already');
        throw err;
      }
    },

    async updateDatabase(db: Db, appId: string, patch: Partial<typeof appDatabases.$inferInsert>): Promise<void> {
      await db
        .update(appDatabases)
        .set({ ...patch, updatedAt: sql`now()` })
        .where(eq(appDatabases.appId, appId));
    },

    async removeDatabase(db: Db, appId: string): Promise<void> {
      await db.delete(appDatabases).where(eq(appDatabases.appId, appId));
    },

    // Events

    async appendEvent(db: Db, appId: string, event: { releaseNumber: number | null; type: AppEventRow['type']; message: string }): Promise<void> {
      const [app] = await db.update(apps).set({ eventSeq: sql`${apps.eventSeq} + 1` }).where(eq(apps.id, appId)).returning({ seq: apps.eventSeq });
      if (!app) return;
      await db.insert(appEvents).values({ appId, seq: app.seq, ...event });
    },

    async events(db: Db, appId: string, since: number, limit = 1000): Promise<AppEventRow[]> {
      return db
        .select()
        .from(appEvents)
        .where(and(eq(appEvents.appId, appId), gt(appEvents.seq, since)))
        .orderBy(asc(appEvents.seq))
        .limit(limit);
    },

    // The queue

    /** Makes the app due now (after commit, wake the reconciler). */
    async markDue(db: Db, id: string): Promise<void> {
      await db.update(apps).set({ reconcileAfter: sql`now()` }).where(eq(apps.id, id));
    },

    async claimDue(db: Db, workerId: string, limit: number, leaseSeconds: number): Promise<{ id: string; claimedAt: Date }[]> {
      const result = (await db.execute(sql`
        update ${apps} set lease_owner = ${workerId}, lease_until = now() + make_interval(secs => ${leaseSeconds})
        where id in (
          select id from ${apps}
          where reconcile_after <= now() and (lease_until is null or lease_until < now())
          order by reconcile_after limit ${limit}
          for update skip locked)
        returning id, now() as claimed_at`)) as unknown as Rows<{ id: string; claimed_at: string | Date }>;
      return result.rows.map((r) => ({ id: r.id, claimedAt: new Date(r.claimed_at) }));
    },

    async renew(db: Db, workerId: string, id: string, leaseSeconds: number): Promise<void> {
      await db.execute(sql`update ${apps} set lease_until = now() + make_interval(secs => ${leaseSeconds}) where id = ${id} and lease_owner = ${workerId}`);
    },

    /** Gives the app back: due again in `nextInMs` (null: nothing to do), unless an intent came in while it was held. */
    async releaseClaim(db: Db, workerId: string, claim: { id: string; claimedAt: Date }, nextInMs: number | null): Promise<void> {
      const next = nextInMs === null ? sql`null` : sql`now() + make_interval(secs => ${nextInMs / 1000})`;
      await db.execute(sql`
        update ${apps} set lease_owner = null, lease_until = null,
          reconcile_after = case when reconcile_after > ${claim.claimedAt.toISOString()}::timestamptz then reconcile_after else ${next} end
        where id = ${claim.id} and lease_owner = ${workerId}`);
    },

    async nextDueInMs(db: Db): Promise<number | null> {
      const result = (await db.execute(sql`
        select extract(epoch from (min(greatest(reconcile_after, coalesce(lease_until, reconcile_after))) - now())) * 1000 as ms
        from ${apps} where reconcile_after is not null`)) as unknown as Rows<{ ms: string | number | null }>;
      const ms = result.rows[0]?.ms;
      return ms === null || ms === undefined ? null : Math.max(0, Number(ms));
    },

    /** Ids of apps that still exist or are being deleted: the resync's look at apps. */
    async liveIds(db: Db): Promise<string[]> {
      return (await db.select({ id: apps.id }).from(apps)).map((r) => r.id);
    },
  };
}

export type AppsRepo = ReturnType<typeof createAppsRepo>;
