import type { PortSharing } from '@berth/contracts';
import { and, eq, exists, gt, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { apiTokens, environmentPorts, environments, previewGrants, sessions, users } from '../../db/schema.js';
import type { Credential, Viewer } from './previews.domain.js';

export type GrantRow = typeof previewGrants.$inferSelect;

/** An environment as a preview sees it: whose it is, whether it runs, and how one port is shared. */
export interface PortAccess {
  ownerId: string;
  running: boolean;
  name: string;
  status: string;
  sharing: PortSharing;
}

export function createPreviewsRepo() {
  return {
    /** How each port of the environment is shared (ports never changed are not listed: they are 'owner'). */
    async sharing(db: Db, environmentId: string): Promise<Map<number, PortSharing>> {
      const rows = await db.select({ port: environmentPorts.port, sharing: environmentPorts.sharing }).from(environmentPorts).where(eq(environmentPorts.environmentId, environmentId));
      return new Map(rows.map((r) => [r.port, r.sharing]));
    },

    /** Sets a port's sharing; answers what it was before. */
    async setSharing(db: Db, environmentId: string, port: number, sharing: PortSharing): Promise<PortSharing> {
      const [before] = await db
        .select({ sharing: environmentPorts.sharing })
        .from(environmentPorts)
        .where(and(eq(environmentPorts.environmentId, environmentId), eq(environmentPorts.port, port)))
        .for('update');
      await db
        .insert(environmentPorts)
        .values({ environmentId, port, sharing })
        .onConflictDoUpdate({ target: [environmentPorts.environmentId, environmentPorts.port], set: { sharing, updatedAt: sql`now()` } });
      return before?.sharing ?? 'owner';
    },

    /** The environment behind a preview host, unless it is gone. */
    async access(db: Db, environmentId: string, port: number): Promise<PortAccess | undefined> {
      const [row] = await db
        .select({ ownerId: environments.ownerId, name: environments.name, status: environments.status, desiredState: environments.desiredState, sharing: environmentPorts.sharing })
        .from(environments)
        .leftJoin(environmentPorts, and(eq(environmentPorts.environmentId, environments.id), eq(environmentPorts.port, port)))
        .where(eq(environments.id, environmentId));
      // An unclaimed environment of a warm pool is nobody's: nothing of it is shown.
      if (!row?.ownerId || row.desiredState === 'deleted') return undefined;
      return { ownerId: row.ownerId, name: row.name, status: row.status, running: row.status === 'running' && row.desiredState === 'running', sharing: row.sharing ?? 'owner' };
    },

    async insertGrant(db: Db, row: typeof previewGrants.$inferInsert): Promise<void> {
      // Grants nobody exchanged are swept as new ones are made; the index on expires_at keeps this cheap.
      await db.delete(previewGrants).where(lt(previewGrants.expiresAt, sql`now()`));
      await db.insert(previewGrants).values(row);
    },

    /** Takes a grant out, in one statement, so two exchanges of it cannot both succeed. */
    async consumeGrant(db: Db, tokenHash: string): Promise<GrantRow | undefined> {
      const [row] = await db.delete(previewGrants).where(eq(previewGrants.tokenHash, tokenHash)).returning();
      return row;
    },

    /**
     * The user, as the database has them now, if they are active and the credential
     * they opened the preview with still stands (session not ended, token not revoked or expired).
     */
    async viewer(db: Db, userId: string, credential: Credential): Promise<(Viewer & { username: string }) | undefined> {
      const live =
        credential.via === 'session'
          ? exists(db.select({ one: sql`1` }).from(sessions).where(and(eq(sessions.id, credential.id), eq(sessions.userId, users.id), gt(sessions.expiresAt, sql`now()`))))
          : exists(
              db
                .select({ one: sql`1` })
                .from(apiTokens)
                .where(and(eq(apiTokens.id, credential.id), eq(apiTokens.userId, users.id), isNull(apiTokens.revokedAt), or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, sql`now()`)))),
            );
      const [row] = await db
        .select({ id: users.id, username: users.username, isAdmin: users.isAdmin })
        .from(users)
        .where(and(eq(users.id, userId), eq(users.active, true), live));
      return row;
    },
  };
}

export type PreviewsRepo = ReturnType<typeof createPreviewsRepo>;

