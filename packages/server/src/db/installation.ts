import { randomBytes } from 'node:crypto';
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Config } from '../config.js';
import { createKeyring, type Keyring } from '../keyring.js';
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

/**
 * This installation's secret key, made at first use. Berth derives secrets it
 * must be able to hand out again (E2B sandbox access tokens) from it with HMAC,
 * so they are never stored.
 */
export async function installationSecret(db: Db): Promise<string> {
  const id = await installationId(db);
  // Only the first writer's key sticks, so concurrent first boots agree.
  await db.update(installation).set({ secret: randomBytes(32).toString('hex') }).where(and(eq(installation.id, id), isNull(installation.secret)));
  const [row] = await db.select({ secret: installation.secret }).from(installation).where(eq(installation.id, id));
  return row!.secret!;
}

/**
 * The keys Berth signs with: BERTH_SECRET (and the previous one while rotating)
 * when set; else this installation's database key, so the quick start needs no
 * configuration and every replica sharing the database agrees on the key.
 */
export async function installationKeyring(db: Db, secret: Config['secret']): Promise<Keyring> {
  return secret ? createKeyring(secret.current, secret.previous) : createKeyring(await installationSecret(db));
}
