import fs from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import type pg from 'pg';

/**
 * Brings the data of an embedded PGlite database (what Berth used before its embedded PostgreSQL)
 * into `target`, a freshly migrated database: both at the same migration first, then every table
 * of the public schema copied whole, row by row through PostgreSQL's own JSON conversion (every
 * type comes back as it was), and the sequences set where they were. All in one transaction:
 * a failure (or a kill) leaves the target as it was, and the next start copies again.
 * The PGlite folder is renamed to `<folder>.imported` afterwards, kept until an admin removes it.
 */
export async function importPglite(pgliteDir: string, target: pg.Pool, migrationsFolder: string): Promise<{ tables: number; rows: number }> {
  const source = new PGlite({ dataDir: pgliteDir });
  let tables = 0;
  let rows = 0;
  try {
    await migrate(drizzle({ client: source }), { migrationsFolder });
    const names = (await source.query<{ name: string }>(`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`)).rows.map((r) => r.name);
    const sequences = (await source.query<{ name: string; value: string | null }>(`select sequencename as name, last_value::text as value from pg_sequences where schemaname = 'public'`)).rows;
    const client = await target.connect();
    try {
      await client.query('begin');
      // Rows arrive in any order: foreign keys are not checked while copying (they held in the source).
      await client.query('set local session_replication_role = replica');
      if (names.length > 0) await client.query(`truncate ${names.map(quote).join(', ')}`);
      for (const name of names) {
        const { rows: batch } = await source.query<{ r: string }>(`select row_to_json(t)::text as r from ${quote(name)} t`);
        for (let i = 0; i < batch.length; i += 500) {
          const json = `[${batch.slice(i, i + 500).map((b) => b.r).join(',')}]`;
          await client.query(`insert into ${quote(name)} overriding system value select * from json_populate_recordset(null::${quote(name)}, $1::json)`, [json]);
        }
        tables++;
        rows += batch.length;
      }
      for (const { name, value } of sequences) if (value !== null) await client.query('select setval($1, $2::bigint)', [quote(name), value]);
      await client.query('commit');
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  } finally {
    await source.close();
  }
  await fs.rename(pgliteDir, `${pgliteDir}.imported`);
  return { tables, rows };
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
