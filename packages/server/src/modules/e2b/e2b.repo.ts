import { and, asc, desc, eq, lte, ne } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { e2bSandboxes, environments, users } from '../../db/schema.js';
import type { EnvironmentRow, EnvironmentWithOwner } from '../environments/environments.repo.js';

export type SandboxRow = typeof e2bSandboxes.$inferSelect;
/** A sandbox and the environment it is (owned: joined with its owner); a deactivated owner's sandboxes open for nobody. */
export type Sandbox = SandboxRow & { env: EnvironmentWithOwner; ownerActive: boolean };

const columns = { sandbox: e2bSandboxes, env: environments, ownerUsername: users.username, ownerActive: users.active };
type Joined = { sandbox: SandboxRow; env: typeof environments.$inferSelect; ownerUsername: string; ownerActive: boolean };
const flatten = (r: Joined): Sandbox => ({ ...r.sandbox, env: { ...(r.env as EnvironmentRow), ownerUsername: r.ownerUsername }, ownerActive: r.ownerActive });

export function createE2bRepo() {
  const joined = (db: Db) =>
    db.select(columns).from(e2bSandboxes).innerJoin(environments, eq(environments.id, e2bSandboxes.environmentId)).innerJoin(users, eq(users.id, environments.ownerId));

  return {
    async insert(db: Db, row: typeof e2bSandboxes.$inferInsert): Promise<void> {
      await db.insert(e2bSandboxes).values(row);
    },

    /** A sandbox that has not been killed. */
    async get(db: Db, environmentId: string): Promise<Sandbox | undefined> {
      const [row] = await joined(db).where(and(eq(e2bSandboxes.environmentId, environmentId), ne(environments.desiredState, 'deleted')));
      return row && flatten(row);
    },

    /** The owner's live sandboxes, newest first. */
    /** A user's sandboxes in one organization (an E2B key acts in its token's). */
    async listByOwner(db: Db, ownerId: string, orgId: string): Promise<Sandbox[]> {
      const rows = await joined(db)
        .where(and(eq(environments.ownerId, ownerId), eq(environments.orgId, orgId), ne(environments.desiredState, 'deleted')))
        .orderBy(desc(environments.createdAt), asc(environments.id));
      return rows.map(flatten);
    },

    async setEndAt(db: Db, environmentId: string, endAt: Date): Promise<void> {
      await db.update(e2bSandboxes).set({ endAt }).where(eq(e2bSandboxes.environmentId, environmentId));
    },

    /**
     * Running sandboxes whose time is up, oldest end first. Paused ones are not
     * due (they wait for a connect, as on E2B), so every row listed is acted on
     * and a batch never fills up with sandboxes that stay.
     */
    async listExpired(db: Db, now: Date, limit: number): Promise<Sandbox[]> {
      const rows = await joined(db).where(and(lte(e2bSandboxes.endAt, now), eq(environments.desiredState, 'running'))).orderBy(asc(e2bSandboxes.endAt)).limit(limit);
      return rows.map(flatten);
    },
  };
}

export type E2bRepo = ReturnType<typeof createE2bRepo>;
