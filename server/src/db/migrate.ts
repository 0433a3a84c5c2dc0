import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../logger.ts';
import { type Pool, withTransaction } from './pool.ts';

const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');
// Any constant works: it only has to be the same for every process migrating this database.
const MIGRATION_LOCK = 7_461_001;

export type Migration = { version: number; name: string; sql: string };

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (f) => ({
      version: Number.parseInt(f.slice(0, 4), 10),
      name: f.slice(5, -4),
      sql: await readFile(path.join(dir, f), 'utf8'),
    })),
  );
}

/**
 * Applies every migration not yet applied, forward only, all in one transaction: a fresh database
 * reaches the current schema in one run or not at all. An advisory lock lets several processes
 * start at once: one migrates, the others wait and find nothing left to do.
 */
export async function migrate(pool: Pool, log: Logger): Promise<{ applied: number[]; current: number }> {
  const migrations = await loadMigrations();
  const applied: number[] = [];
  await withTransaction(pool, async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query(`create schema if not exists orderly_system`);
    await tx.query(`create table if not exists orderly_system.schema_migrations (
      version integer primary key, name text not null, applied_at timestamptz not null default now())`);
    const done = new Set(
      (await tx.query<{ version: number }>('select version from orderly_system.schema_migrations')).rows.map(
        (r) => r.version,
      ),
    );
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      try {
        await tx.query(m.sql);
        await tx.query('insert into orderly_system.schema_migrations (version, name) values ($1, $2)', [
          m.version,
          m.name,
        ]);
      } catch (err) {
        throw new Error(`Migration ${m.version}_${m.name} failed: ${(err as Error).message}`);
      }
      applied.push(m.version);
      log.info({ version: m.version, name: m.name }, 'migration applied');
    }
  });
  return { applied, current: migrations.at(-1)?.version ?? 0 };
}

/** The latest version this code knows and the latest the database has, for /health. */
export async function migrationStatus(pool: Pool): Promise<{ expected: number; applied: number }> {
  const migrations = await loadMigrations();
  const { rows } = await pool.query<{ v: number | null }>(
    'select max(version) as v from orderly_system.schema_migrations',
  );
  return { expected: migrations.at(-1)?.version ?? 0, applied: rows[0]?.v ?? 0 };
}
