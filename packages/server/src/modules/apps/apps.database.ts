import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { AppDatabase } from '@berth/contracts';
import type { RequestContext } from '../../context.js';
import type { Db } from '../../db/client.js';
import { AppError, ConflictError, NotFoundError } from '../../errors.js';
import type { Keyring } from '../../keyring.js';
import type { RuntimeDriver } from '../../runtime/driver.js';
import { POSTGRES_DATA_DIR, POSTGRES_IMAGE } from '../../runtime/docker/images.js';
import type { AuditService } from '../audit/audit.service.js';
import { appNetworkKey, DATABASE_RELEASE } from './apps.domain.js';
import type { AppDatabaseRow, AppRow, AppsRepo } from './apps.repo.js';
import type { AppsService } from './apps.service.js';

/** Sealed under this purpose: a database password opens for nothing else. */
const PASSWORD_PURPOSE = 'app-database';
const PORT = 5432;
/** What a backup or a restore may take (a dump of a large database takes a while). */
const DUMP_TIMEOUT_MS = 30 * 60 * 1000;
/** How long a new database has to accept connections before the reconciler looks again later. */
const READY_TIMEOUT_MS = 120_000;

export const databaseName = (appId: string): string => `berth-app-${appId}-db`;
const volumeName = (appId: string): string => `berth-appdb-${appId}`;
/** The app's name as a PostgreSQL identifier: letters, digits and "_". */
const identifier = (name: string): string => name.replace(/-/g, '_');

const view = (row: AppDatabaseRow): AppDatabase => ({
  engine: 'postgresql',
  version: '15',
  status: row.status,
  name: row.name,
  username: row.username,
  createdAt: row.createdAt.toISOString(),
});

/**
 * Brings an app's database to what its row says, from the apps reconciler: its container (on the
 * app's network, its data in a volume of its own) running and accepting connections, or gone with
 * its volume. Level-triggered like the rest: any number of passes, after any crash.
 */
export function createDatabaseKeeper(deps: { db: Db; appsRepo: Pick<AppsRepo, 'database' | 'updateDatabase' | 'removeDatabase'>; runtime: Pick<RuntimeDriver, 'ensureImage' | 'runReplica' | 'execReplica' | 'removeReplica' | 'removeAppVolume'>; keyring: Pick<Keyring, 'open'> }) {
  const { db, appsRepo, runtime } = deps;

  async function ready(name: string, row: AppDatabaseRow): Promise<boolean> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const probe = await runtime
        .execReplica(name, { argv: ['pg_isready', '--host=/tmp', `--username=${row.username}`, `--dbname=${row.name}`], timeoutMs: 5000, maxOutputBytes: 4096 })
        .catch(() => null);
      if (probe?.exitCode === 0) return true;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return false;
  }

  return {
    async converge(app: AppRow): Promise<void> {
      const row = await appsRepo.database(db, app.id);
      if (!row) return;
      const name = databaseName(app.id);
      if (row.desiredState === 'deleted' || app.desiredState === 'deleted') {
        await runtime.removeReplica(name, 10);
        await runtime.removeAppVolume(volumeName(app.id));
        await appsRepo.removeDatabase(db, app.id);
        return;
      }
      await runtime.ensureImage(POSTGRES_IMAGE, () => undefined);
      await runtime.runReplica({
        name,
        appId: app.id,
        releaseId: DATABASE_RELEASE,
        image: POSTGRES_IMAGE,
        env: { POSTGRES_USER: row.username, POSTGRES_DB: row.name, POSTGRES_PASSWORD: deps.keyring.open(PASSWORD_PURPOSE, row.password) },
        vcpus: 1,
        memoryMb: 512,
        network: { key: appNetworkKey(app.id), ownerId: null, environmentId: null, egress: { mode: 'internet' } },
        volume: { name: volumeName(app.id), target: POSTGRES_DATA_DIR },
      });
      if (row.status !== 'available') {
        if (!(await ready(name, row))) throw new Error('the database did not accept connections in time');
        await appsRepo.updateDatabase(db, app.id, { status: 'available' });
      }
    },
  };
}

interface Deps {
  db: Db;
  appsRepo: AppsRepo;
  apps: Pick<AppsService, 'visible' | 'applyConfig' | 'seal' | 'record'>;
  audit: AuditService;
  keyring: Pick<Keyring, 'seal' | 'open'>;
  runtime: Pick<RuntimeDriver, 'execReplica'>;
  wake: () => void;
}

/** An app's managed PostgreSQL as its organization sees it: attached, looked at, backed up, restored, deleted. */
export function createAppDatabases(deps: Deps) {
  const { db, appsRepo, audit } = deps;

  async function existing(appId: string, conn: Db = db): Promise<AppDatabaseRow> {
    const row = await appsRepo.database(conn, appId);
    if (!row || row.desiredState === 'deleted') throw new NotFoundError('Database');
    return row;
  }

  async function available(appId: string): Promise<AppDatabaseRow> {
    const row = await existing(appId);
    if (row.status !== 'available') throw new ConflictError(`The database is ${row.status}; try again once it is available`);
    return row;
  }

  return {
    async get(ctx: RequestContext, id: string): Promise<AppDatabase> {
      await deps.apps.visible(ctx.actor, id, 'view');
      return view(await existing(id));
    },

    /** A database of the app's own; DATABASE_URL (secret) is set in the same transaction, which makes a release of a live app. */
    async add(ctx: RequestContext, id: string): Promise<AppDatabase> {
      const app = await deps.apps.visible(ctx.actor, id, 'deploy');
      const password = randomBytes(24).toString('base64url');
      const name = identifier(app.name);
      const row = await audit.mutate(ctx, 'app.database.create', deps.apps.record(app), async (tx) => {
        const created = await appsRepo.insertDatabase(tx, { appId: id, name, username: name, password: deps.keyring.seal(PASSWORD_PURPOSE, password) });
        const url = `postgres://${name}:${password}@${databaseName(id)}:${PORT}/${name}`;
        await deps.apps.applyConfig(tx, app, { set: { DATABASE_URL: deps.apps.seal(url, true) }, unset: [] }, ctx.actor!, 'a database was attached');
        await appsRepo.appendEvent(tx, id, { releaseNumber: null, type: 'status', message: `PostgreSQL database ${name} requested by ${ctx.actor!.username}` });
        await appsRepo.markDue(tx, id);
        return created;
      });
      deps.wake();
      return view(row);
    },

    /** Deletes the database and its data: only when the caller names the app, as a confirmation. */
    async remove(ctx: RequestContext, id: string, confirm: string): Promise<AppDatabase> {
      const app = await deps.apps.visible(ctx.actor, id, 'manage');
      const row = await audit.mutate(ctx, 'app.database.delete', deps.apps.record(app), async (tx) => {
        const current = await existing(id, tx);
        if (confirm !== app.name) throw new AppError('confirmation_required', `Deleting the database deletes its data: confirm with ?confirm=${app.name}`);
        await appsRepo.updateDatabase(tx, id, { desiredState: 'deleted', status: 'deleting' });
        await deps.apps.applyConfig(tx, app, { set: {}, unset: ['DATABASE_URL'] }, ctx.actor!, 'the database was deleted');
        await appsRepo.markDue(tx, id);
        return { ...current, status: 'deleting' as const };
      });
      deps.wake();
      return view(row);
    },

    /**
     * A backup, once the caller may take one and the database is there: a function that writes
     * pg_dump's plain SQL into `out` as it is made (the dump waits while `out` is full).
     */
    async backup(ctx: RequestContext, id: string): Promise<(out: Writable) => Promise<void>> {
      const app = await deps.apps.visible(ctx.actor, id, 'deploy');
      const row = await available(id);
      await audit.mutate(ctx, 'app.database.backup', deps.apps.record(app), async () => undefined);
      return async (out) => {
        const outcome = await deps.runtime.execReplica(databaseName(id), {
          argv: ['pg_dump', '--host=/tmp', `--username=${row.username}`, '--clean', '--if-exists', '--no-owner', row.name],
          timeoutMs: DUMP_TIMEOUT_MS,
          maxOutputBytes: 64 * 1024,
          onOutput: (stream, chunk) => {
            if (stream !== 'stdout') return;
            if (!out.write(chunk)) return new Promise<void>((resolve) => out.once('drain', resolve));
          },
        });
        // A dump cut short must not pass for a whole one: the answer breaks off instead of ending.
        if (outcome.exitCode !== 0) out.destroy(new Error(`pg_dump failed (exit ${outcome.exitCode})`));
        else out.end();
      };
    },

    /** Runs a backup's SQL in the database, stopping at the first error (restore_failed says which). */
    async restore(ctx: RequestContext, id: string, sql: Buffer): Promise<void> {
      const app = await deps.apps.visible(ctx.actor, id, 'manage');
      const row = await available(id);
      // The restore runs outside the audit's transaction (it may take minutes); its outcome is recorded after.
      const outcome = await deps.runtime.execReplica(databaseName(id), {
        argv: ['psql', '--host=/tmp', `--username=${row.username}`, `--dbname=${row.name}`, '--set=ON_ERROR_STOP=1', '--quiet'],
        stdin: sql.toString('utf8'),
        timeoutMs: DUMP_TIMEOUT_MS,
        maxOutputBytes: 64 * 1024,
      });
      await audit.mutate(ctx, 'app.database.restore', deps.apps.record(app, { bytes: sql.length }), async () => {
        if (outcome.exitCode !== 0) throw new AppError('restore_failed', `psql stopped at an error: ${outcome.stderr.trim().slice(-1000)}`);
      });
    },
  };
}

export type AppDatabases = ReturnType<typeof createAppDatabases>;
