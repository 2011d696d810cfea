import { readdir, readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
// An arbitrary constant: every Satusky process migrating the same database serialises on it.
const MIGRATION_LOCK_KEY = 7_355_608;

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
}

export async function listMigrations(): Promise<{ version: string; sql: string }[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).sort();
  return Promise.all(
    files.map(async (file) => ({
      version: file.replace(/\.sql$/, ''),
      sql: await readFile(new URL(file, `file://${MIGRATIONS_DIR}`), 'utf8'),
    })),
  );
}

/**
 * Applies pending SQL migrations, each in its own transaction, in file-name order. Two processes
 * starting at once on one PostgreSQL serialise on an advisory lock; the second finds nothing to do.
 */
export async function migrate(database: Database): Promise<MigrationResult> {
  const migrations = await listMigrations();
  return database.withScriptClient(async (client) => {
    await client.exec(
      `create table if not exists schema_migrations (
         version text primary key,
         checksum text not null default '',
         applied_at timestamptz not null default now()
       )`,
    );
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const rows = await client.query<{ version: string }>('select version from schema_migrations');
      const done = new Set(rows.map((r) => r.version));
      const applied: string[] = [];
      for (const migration of migrations) {
        if (done.has(migration.version)) continue;
        const checksum = createHash('sha256').update(migration.sql).digest('hex');
        try {
          await client.transaction(async (tx) => {
            await tx.exec(migration.sql);
            await tx.query('insert into schema_migrations (version, checksum) values ($1, $2)', [
              migration.version,
              checksum,
            ]);
          });
        } catch (error) {
          throw new Error(`migration ${migration.version} failed`, { cause: error });
        }
        applied.push(migration.version);
      }
      return { applied, alreadyApplied: [...done].sort() };
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  });
}
