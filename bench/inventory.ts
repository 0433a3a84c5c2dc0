/**
 * npm run bench -- inventory
 *
 * The physical limit first: raw guarded single-row decrements (`update … set available =
 * available - 1 where … and available >= 1`, autocommit) on one hot row and across 10,000 rows.
 * Then Orderly's reservation create + post (two ledger transactions: reserve, then ship) for the
 * same two shapes, through the service layer in-process, and the ratios. Same Postgres, same run.
 */
import { cpus } from 'node:os';
import { withTransaction } from '../server/src/db/pool.ts';
import { CreateProductSchema } from '../server/src/modules/catalog/schema.ts';
import { createProduct } from '../server/src/modules/catalog/service.ts';
import { applyMovements } from '../server/src/modules/inventory/ledger.ts';
import {
  reservationGroupCommit,
  reserve,
  reserveJob,
  settle,
  settleJob,
} from '../server/src/modules/inventory/reservations.ts';
import { importStock } from '../server/src/modules/inventory/stock.ts';
import { CreateLocationSchema } from '../server/src/modules/network/schema.ts';
import { createLocation } from '../server/src/modules/network/service.ts';
import { createTenant } from '../server/src/modules/tenancy/service.ts';
import { benchDatabase } from './lib/database.ts';
import { BENCH_SECONDS, table, throughput } from './lib/measure.ts';

const CLIENTS = 20;
const SPREAD_ROWS = 10_000;
const actor = { type: 'system' as const, id: 'bench' };

const db = await benchDatabase(CLIENTS + 2);
const pool = db.pool;
console.log(
  `inventory benchmark: ${CLIENTS} clients, ${BENCH_SECONDS} s per measurement, ${cpus().length} cores\n`,
);

// ---- raw Postgres
await pool.query(
  'create table bench_raw (id integer primary key, available integer not null check (available >= 0))',
);
await pool.query('insert into bench_raw select g, 1000000000 from generate_series(1, $1) g', [SPREAD_ROWS]);
const rawDecrement = (id: () => number) => async () => {
  const r = await pool.query(
    'update bench_raw set available = available - 1 where id = $1 and available >= 1',
    [id()],
  );
  return r.rowCount === 1;
};
const random = (n: number) => () => 1 + Math.floor(Math.random() * n);
const rawHot = await throughput(
  CLIENTS,
  BENCH_SECONDS,
  rawDecrement(() => 1),
);
const rawSpread = await throughput(CLIENTS, BENCH_SECONDS, rawDecrement(random(SPREAD_ROWS)));
const rawTx = (id: () => number) => async () =>
  withTransaction(pool, async (tx) => {
    const r = await tx.query(
      'update bench_raw set available = available - 1 where id = $1 and available >= 1',
      [id()],
    );
    return r.rowCount === 1;
  });
const rawHotTx = await throughput(
  CLIENTS,
  BENCH_SECONDS,
  rawTx(() => 1),
);
const rawSpreadTx = await throughput(CLIENTS, BENCH_SECONDS, rawTx(random(SPREAD_ROWS)));

// ---- Orderly: a tenant, one warehouse, 10,000 products, stock by import
const tenant = await createTenant(pool, 'Bench Co');
const tenantId = tenant.tenant_id;
const location = await withTransaction(pool, (tx) =>
  createLocation(
    tx,
    tenantId,
    actor,
    CreateLocationSchema.parse({
      name: 'Bench DC',
      type: 'warehouse',
      address: { line1: '1 Dock Rd', city: 'Edison', region: 'NJ', postal_code: '08817', country: 'US' },
      cutoffs: { mon: '15:00', tue: '15:00', wed: '15:00', thu: '15:00', fri: '15:00' },
    }),
  ),
);
const skus = Array.from({ length: SPREAD_ROWS }, (_, i) => `SKU-${String(i).padStart(5, '0')}`);
await withTransaction(pool, async (tx) => {
  for (const sku of skus) {
    await createProduct(
      tx,
      tenantId,
      actor,
      CreateProductSchema.parse({ sku, name: sku, weight_lb: 1, unit_cost: 1, price: 2 }),
    );
  }
});
await withTransaction(pool, (tx) =>
  importStock(tx, tenantId, actor, {
    covers_through_seq: 0,
    counts: skus.map((sku) => ({ sku, location_id: location.location_id, on_hand: 10_000_000 })),
  }),
);

// The same path as POST /v1/inventory/reservations and …/post: concurrent requests commit in
// groups (db/group-commit.ts), each in its own savepoint, with the rows the batch will lock
// locked first.
const groupCommit = reservationGroupCommit(pool);
const reserveAndPost = (pick: () => string) => async () => {
  const input = { lines: [{ sku: pick(), location_id: location.location_id, quantity: 1 }] };
  const job = reserveJob(tenantId, input);
  const reserved = await groupCommit.run(job.key, (tx) => reserve(tx, tenantId, actor, input), {
    locks: job.locks,
    retry: true,
  });
  if (!reserved.ok) return false;
  const id = reserved.reservation.reservation_id;
  const post = settleJob(tenantId, id);
  await groupCommit.run(post.key, (tx) => settle(tx, tenantId, actor, id, 'post'), {
    locks: post.locks,
    retry: true,
  });
  return true;
};
const orderlyHot = await throughput(
  CLIENTS,
  BENCH_SECONDS,
  reserveAndPost(() => skus[0]!),
);
const orderlySpread = await throughput(
  CLIENTS,
  BENCH_SECONDS,
  reserveAndPost(() => skus[Math.floor(Math.random() * SPREAD_ROWS)]!),
);

// ---- the floor: the ledger statement alone (guarded update + movement + event), autocommit
const ledgerStatement = (pick: () => string) => async () => {
  const moved = await applyMovements(
    pool,
    tenantId,
    actor,
    [{ sku: pick(), location_id: location.location_id, quantity: 1, from: 'available', to: 'reserved' }],
    { cause: 'bench' },
  );
  return moved.ok;
};
const floorHot = await throughput(
  CLIENTS,
  BENCH_SECONDS,
  ledgerStatement(() => skus[0]!),
);
const floorSpread = await throughput(
  CLIENTS,
  BENCH_SECONDS,
  ledgerStatement(() => skus[Math.floor(Math.random() * SPREAD_ROWS)]!),
);

// ---- the ledger still adds up after all that
const { rows } = await pool.query(
  `select count(*)::int as bad from inventory_balances b where b.tenant_id = $1 and b.available + b.reserved <> 10000000 - (
     select coalesce(sum(quantity), 0) from inventory_movements m
     where m.tenant_id = b.tenant_id and m.sku = b.sku and m.location_id = b.location_id and m.cause = 'fulfillment')`,
  [tenantId],
);

const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}`;
table([
  {
    shape: 'one hot row',
    'raw tx/s': rawHot.per_second,
    'raw BEGIN..COMMIT tx/s': rawHotTx.per_second,
    'reserve+post /s': orderlyHot.per_second,
    'ledger tx/s': orderlyHot.per_second * 2,
    'pairs/raw': ratio(orderlyHot.per_second, rawHot.per_second),
    'ledger tx/raw': ratio(orderlyHot.per_second * 2, rawHot.per_second),
    'pair p50 ms': orderlyHot.p50_ms,
    'pair p99 ms': orderlyHot.p99_ms,
    'ledger stmt alone tx/s': floorHot.per_second,
    'stmt/raw': ratio(floorHot.per_second, rawHot.per_second),
  },
  {
    shape: `${SPREAD_ROWS} rows`,
    'raw tx/s': rawSpread.per_second,
    'raw BEGIN..COMMIT tx/s': rawSpreadTx.per_second,
    'reserve+post /s': orderlySpread.per_second,
    'ledger tx/s': orderlySpread.per_second * 2,
    'pairs/raw': ratio(orderlySpread.per_second, rawSpread.per_second),
    'ledger tx/raw': ratio(orderlySpread.per_second * 2, rawSpread.per_second),
    'pair p50 ms': orderlySpread.p50_ms,
    'pair p99 ms': orderlySpread.p99_ms,
    'ledger stmt alone tx/s': floorSpread.per_second,
    'stmt/raw': ratio(floorSpread.per_second, rawSpread.per_second),
  },
]);
console.log(
  `\nraw tx/s: autocommit guarded decrement (the physical limit). reserve+post: one reservation created and`,
  `\nposted, two transactions with movements and events. ledger stmt alone: one balance update with its movement`,
  `\nand event in one autocommit statement, the floor of any ledger change. Ledger check after the run: ${rows[0].bad === 0 ? 'every balance matches its movements' : `${rows[0].bad} balances DO NOT match`}.`,
);
await db.close();
