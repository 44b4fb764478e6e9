import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { EnvironmentStatus } from '@berth/contracts';
import type { Db } from '../../db/client.js';
import { environmentEvents, environments } from '../../db/schema.js';

export type EnvironmentEventRow = typeof environmentEvents.$inferSelect;

export interface NewEvent {
  type: string;
  status?: EnvironmentStatus;
  message?: string;
  data?: Record<string, unknown>;
}

export function createEnvironmentEventsRepo() {
  return {
    /**
     * Appends an event with the environment's next sequence number. Taking the
     * number increments a counter on the environment row, which serialises
     * appends per environment without a table lock.
     */
    async append(db: Db, environmentId: string, event: NewEvent): Promise<number> {
      const [row] = await db
        .update(environments)
        .set({ eventSeq: sql`${environments.eventSeq} + 1` })
        .where(eq(environments.id, environmentId))
        .returning({ seq: environments.eventSeq });
      await db.insert(environmentEvents).values({
        environmentId,
        seq: row!.seq,
        type: event.type,
        status: event.status ?? null,
        message: event.message ?? '',
        data: event.data ?? {},
      });
      return row!.seq;
    },

    list(db: Db, environmentId: string, since: number, limit: number): Promise<EnvironmentEventRow[]> {
      return db
        .select()
        .from(environmentEvents)
        .where(and(eq(environmentEvents.environmentId, environmentId), gt(environmentEvents.seq, since)))
        .orderBy(asc(environmentEvents.seq))
        .limit(limit);
    },
  };
}

export type EnvironmentEventsRepo = ReturnType<typeof createEnvironmentEventsRepo>;
