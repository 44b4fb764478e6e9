import { asc } from 'drizzle-orm';
import type { Db } from './client.js';
import { installation } from './schema.js';

/**
 * This installation's id, created with its database. It labels every runtime
 * object Berth creates, so two installs sharing one engine (or the test suite's
 * many servers) never take each other's containers for orphans.
 */
export async function installationId(db: Db): Promise<string> {
  const [existing] = await db.select().from(installation).orderBy(asc(installation.createdAt)).limit(1);
  if (existing) return existing.id;
  await db.insert(installation).values({});
  const [created] = await db.select().from(installation).orderBy(asc(installation.createdAt)).limit(1);
  return created!.id;
}
