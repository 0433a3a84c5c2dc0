import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations, migrate, migrationStatus } from '../src/db/migrate.ts';
import { createPool } from '../src/db/pool.ts';
import { createLogger } from '../src/logger.ts';
import { freshDatabase } from './support.ts';

const log = createLogger('silent');
let db: Awaited<ReturnType<typeof freshDatabase>>;

beforeAll(async () => {
  // freshDatabase has already migrated an empty database once.
  db = await freshDatabase();
});
afterAll(() => db.drop());

describe('migrations', () => {
  it('bring an empty database to the current version in one run', async () => {
    const migrations = await loadMigrations();
    expect(migrations.length).toBeGreaterThan(0);
    expect(migrations.map((m) => m.version)).toEqual(
      [...migrations.map((m) => m.version)].sort((a, b) => a - b),
    );
    const status = await migrationStatus(db.pool);
    expect(status.applied).toBe(status.expected);
    expect(status.expected).toBe(migrations.at(-1)!.version);
  });

  it('apply nothing the second time, even from several processes at once', async () => {
    const pools = [createPool(db.url, log, 2), createPool(db.url, log, 2), createPool(db.url, log, 2)];
    const results = await Promise.all(pools.map((p) => migrate(p, log)));
    expect(results.every((r) => r.applied.length === 0)).toBe(true);
    await Promise.all(pools.map((p) => p.end()));
  });

  it('lead every tenant table key with tenant_id', async () => {
    const { rows } = await db.pool.query<{ table_name: string; first_key_column: string | null }>(
      `select c.relname as table_name,
              (select a.attname from pg_index i
                 join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
               where i.indrelid = c.oid and i.indisprimary) as first_key_column
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind = 'r'`,
    );
    expect(rows.length).toBeGreaterThan(3);
    for (const r of rows) expect(r.first_key_column, r.table_name).toBe('tenant_id');
  });

  it('keep platform tables out of the tenant schema', async () => {
    const { rows } = await db.pool.query(
      `select table_name from information_schema.tables where table_schema = 'orderly_system' order by 1`,
    );
    expect(rows.map((r) => r.table_name)).toEqual(['event_consumers', 'schema_migrations', 'workers']);
  });
});
