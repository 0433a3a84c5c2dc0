import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations, migrate, migrationStatus } from '../src/db/migrate.ts';
import { createPool } from '../src/db/pool.ts';
import { createLogger } from '../src/logger.ts';
import { freshDatabase, seedTenant } from './support.ts';

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

  it('0014 hands each webhook endpoint to a cursor without skipping or repeating an event', async () => {
    const { tenant_id: t } = await seedTenant(db.pool, 'Cursor Co');
    const sql = (await loadMigrations()).find((m) => m.version === 14)!.sql;
    const tx = await db.pool.connect();
    try {
      await tx.query('begin');
      // The database as 0013 left it, then the state the consumer and a replay left behind.
      await tx.query('alter table webhook_sending drop column cursor_seq');
      await tx.query('drop function webhook_wants(text[], text)');
      const { rows } = await tx.query('select coalesce(max(seq), 0) + 1000 as base from events');
      const base = Number(rows[0].base);
      const types = [
        'order.created',
        'product.created',
        'order.held',
        'order.created',
        'order.updated',
        'order.created',
      ];
      for (const [i, type] of types.entries()) {
        await tx.query(
          `insert into events (tenant_id, event_id, seq, type, subject, data, actor)
           values ($1, $2, $3, $4, 'x', '{}', '{}')`,
          [t, `evt_m${i}`, base + i, type],
        );
      }
      for (const [id, eventTypes] of [
        ['whk_orders', '{order.*}'],
        ['whk_all', '{*}'],
      ]) {
        await tx.query(
          `insert into webhook_endpoints (tenant_id, webhook_id, url, event_types, secret, created_at)
           values ($1, $2, 'https://example.com/hook', $3, 'whsec_x', now() - interval '1 hour')`,
          [t, id, eventTypes],
        );
      }
      // The consumer read up to the third event; a replay ran ahead of it to the sixth.
      await tx.query(
        `insert into orderly_system.event_consumers (name, last_seq) values ('webhooks', $1)
         on conflict (name) do update set last_seq = excluded.last_seq`,
        [base + 2],
      );
      for (const [i, status] of [
        [0, 'succeeded'],
        [2, 'succeeded'],
        [5, 'pending'],
      ] as const) {
        await tx.query(
          `insert into webhook_deliveries (tenant_id, webhook_id, delivery_id, event_id, event_seq, event_type, status)
           values ($1, 'whk_orders', $2, $3, $4, $5, $6)`,
          [t, `dlv_m${i}`, `evt_m${i}`, base + i, types[i], status],
        );
      }
      await tx.query(sql);
      const cursors = await tx.query(
        'select webhook_id, cursor_seq from webhook_sending where tenant_id = $1 order by webhook_id',
        [t],
      );
      // The endpoint with rows up to the replay's continues after it; the other after the consumer.
      expect(cursors.rows).toEqual([
        { webhook_id: 'whk_all', cursor_seq: base + 2 },
        { webhook_id: 'whk_orders', cursor_seq: base + 5 },
      ]);
      // What the consumer had not reached before the replay's row is queued, the events it wants only.
      const queued = await tx.query(
        `select event_seq, status from webhook_deliveries where tenant_id = $1 and webhook_id = 'whk_orders'
         order by event_seq`,
        [t],
      );
      expect(queued.rows).toEqual([
        { event_seq: base, status: 'succeeded' },
        { event_seq: base + 2, status: 'succeeded' },
        { event_seq: base + 3, status: 'pending' },
        { event_seq: base + 4, status: 'pending' },
        { event_seq: base + 5, status: 'pending' },
      ]);
      const wants = await tx.query(
        `select webhook_wants('{order.*}', 'order.created') as prefix, webhook_wants('{order.*}', 'orders.x') as near,
           webhook_wants('{*}', 'return.received') as every, webhook_wants('{order.held}', 'order.held') as exact,
           webhook_wants('{order.held}', 'order.created') as other`,
      );
      expect(wants.rows[0]).toEqual({ prefix: true, near: false, every: true, exact: true, other: false });
    } finally {
      await tx.query('rollback');
      tx.release();
    }
  });
});
