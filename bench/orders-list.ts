/**
 * npm run bench -- orders-list [--explain]
 *
 * GET /v1/orders on a tenant with 1,000,000 orders (and 1.9 M lines), bulk-loaded with
 * generate_series: a year of orders, newest mostly open and older mostly delivered, five channels,
 * ten locations, 12,000 customer names, tags, service levels, promises, a few held, late and
 * backordered, 3,000 SKUs with a long tail. Three other tenants hold 20,000 orders each. Then
 * ANALYZE and VACUUM, as autovacuum would have done on a live table.
 *
 * For each query shape (a first page of 50, and next pages): the search function called on the
 * pool (the three round trips of its read-only transaction, planning, execution and reading the
 * rows), the route through the app in-process with an API key (authentication, validation, JSON),
 * and PostgreSQL's own planning + execution time from EXPLAIN ANALYZE, next to a raw query on the
 * same pool in the same run: `select * from orders where tenant_id = $1 order by placed_at desc,
 * order_id desc limit 51`. One client, one request at a time: this measures latency, not
 * throughput. `--explain` prints each shape's plan.
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../server/src/config.ts';
import type { Pool } from '../server/src/db/pool.ts';
import { createApp } from '../server/src/http/app.ts';
import type { Deps } from '../server/src/http/context.ts';
import { encodeCursor } from '../server/src/http/pagination.ts';
import {
  type OrderQuery,
  SEARCH_SETTINGS,
  searchOrders,
  searchSql,
} from '../server/src/modules/orders/search.ts';
import { createApiKey, createTenant } from '../server/src/modules/tenancy/service.ts';
import { createMetrics } from '../server/src/system/metrics.ts';
import { benchDatabase, log } from './lib/database.ts';
import { table } from './lib/measure.ts';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 1_000_000);
const OTHER_TENANTS = 3;
const OTHER_ORDERS = 20_000;
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 100);
const WARMUP = 3;
const MEASURE_MS_MAX = 5000;
const PAGE = 50;
const EXPLAIN = process.argv.includes('--explain');
const CORES = cpus().length;
const system = { type: 'system' as const, id: 'bench' };

console.log(
  `orders-list benchmark: ${ORDERS.toLocaleString('en-US')} orders, ${CORES} cores, ` +
    `${ITERATIONS} runs per shape, one request at a time\n`,
);

const db = await benchDatabase(CORES + 4);
const pool = db.pool;
// The database (and the embedded PostgreSQL) go away even when a step fails.
try {
  // ── bulk load ────────────────────────────────────────────────────────────────────────────────

  const FIRST = `'Olivia','Liam','Emma','Noah','Ava','Oliver','Sophia','Elijah','Isabella','James','Mia','William',
  'Amelia','Benjamin','Harper','Lucas','Evelyn','Henry','Abigail','Alexander','Emily','Mason','Ella','Michael',
  'Elizabeth','Ethan','Camila','Daniel','Luna','Jacob','Sofia','Logan','Avery','Jackson','Mila','Levi','Aria',
  'Sebastian','Scarlett','Mateo','Penelope','Jack','Layla','Owen','Chloe','Theodore','Victoria','Aiden',
  'Madison','Samuel','Eleanor','Joseph','Grace','John','Nora','David','Riley','Wyatt','Zoey','Matthew'`;
  const LAST = `'Smith','Johnson','Williams','Brown','Jones','Garcia','Miller','Davis','Rodriguez','Martinez',
  'Hernandez','Lopez','Gonzalez','Wilson','Anderson','Thomas','Taylor','Moore','Jackson','Martin','Lee','Perez',
  'Thompson','White','Harris','Sanchez','Clark','Ramirez','Lewis','Robinson','Walker','Young','Allen','King',
  'Wright','Scott','Torres','Nguyen','Hill','Flores','Green','Adams','Nelson','Baker','Hall','Rivera','Campbell',
  'Mitchell','Carter','Roberts','Gomez','Phillips','Evans','Turner','Diaz','Parker','Cruz','Edwards','Collins',
  'Reyes','Stewart','Morris','Morales','Murphy','Cook','Rogers','Gutierrez','Ortiz','Morgan','Cooper','Peterson',
  'Bailey','Reed','Kelly','Howard','Ramos','Kim','Cox','Ward','Richardson','Watson','Brooks','Chavez','Wood',
  'James','Bennett','Gray','Mendoza','Ruiz','Hughes','Price','Alvarez','Castillo','Sanders','Patel','Myers',
  'Long','Ross','Foster','Jimenez','Powell','Jenkins','Perry','Russell','Sullivan','Bell','Coleman','Butler',
  'Henderson','Barnes','Gonzales','Fisher','Vasquez','Simmons','Romero','Jordan','Patterson','Alexander',
  'Hamilton','Graham','Reynolds','Griffin','Wallace','Moreno','West','Cole','Hayes','Bryant','Herrera','Gibson',
  'Ellis','Tran','Medina','Aguilar','Stevens','Murray','Ford','Castro','Marshall','Owens','Harrison','Fernandez',
  'McDonald','Woods','Washington','Kennedy','Wells','Vargas','Henry','Chen','Freeman'`;
  const PLACES = `'New York|NY|10001','Brooklyn|NY|11201','Newark|NJ|07102','Boston|MA|02108',
  'Philadelphia|PA|19103','Chicago|IL|60601','Austin|TX|78701','Dallas|TX|75201','Houston|TX|77002',
  'Seattle|WA|98101','Portland|OR|97205','San Francisco|CA|94103','Los Angeles|CA|90012','San Diego|CA|92101',
  'Denver|CO|80202','Phoenix|AZ|85004','Atlanta|GA|30303','Miami|FL|33130','Minneapolis|MN|55401',
  'Nashville|TN|37203'`;

  /**
   * Orders $2..$3 of $4 for tenant $1, placed evenly over the year before $6, in time order as a
   * live table fills. u0..u9 are independent uniform draws per order (seeded hashes, so every run
   * loads the same data). `offset 0` keeps each step computed once per row.
   */
  const LOAD_ORDERS = `
insert into orders (tenant_id, order_id, order_number, channel, channel_order_id, order_type, status,
  failure, failure_reason, hold_reason, released_at, customer, customer_name, customer_email,
  shipping_address, currency, service_level, totals, shipping, refund_due, tags, location_ids,
  promised_delivery_date, placed_at, created_at, updated_at)
with g as (
  select i, $6::timestamptz - make_interval(secs => ($4 - i + u0) * (365.0 * 86400 / $4)) as placed_at,
    u1, u2, u3, u4, u5, u6, u7, u8, u9
  from generate_series($2::int, $3::int) i, lateral (select
    (hashint8extended(i, $5 * 100 + 0) & 1048575)::float8 / 1048576 as u0,
    (hashint8extended(i, $5 * 100 + 1) & 1048575)::float8 / 1048576 as u1,
    (hashint8extended(i, $5 * 100 + 2) & 1048575)::float8 / 1048576 as u2,
    (hashint8extended(i, $5 * 100 + 3) & 1048575)::float8 / 1048576 as u3,
    (hashint8extended(i, $5 * 100 + 4) & 1048575)::float8 / 1048576 as u4,
    (hashint8extended(i, $5 * 100 + 5) & 1048575)::float8 / 1048576 as u5,
    (hashint8extended(i, $5 * 100 + 6) & 1048575)::float8 / 1048576 as u6,
    (hashint8extended(i, $5 * 100 + 7) & 1048575)::float8 / 1048576 as u7,
    (hashint8extended(i, $5 * 100 + 8) & 1048575)::float8 / 1048576 as u8,
    (hashint8extended(i, $5 * 100 + 9) & 1048575)::float8 / 1048576 as u9 offset 0) r
  offset 0
), s as (
  select g.*, extract(epoch from $6::timestamptz - placed_at)::float8 / 86400 as age,
    case when u1 < 0.55 then 'web' when u1 < 0.80 then 'marketplace' when u1 < 0.90 then 'pos'
      when u1 < 0.95 then 'wholesale' else 'phone' end as channel,
    floor(power(u2, 1.3) * 200000)::int as c
  from g offset 0
), t as (
  select s.*, (array[${FIRST}])[1 + c % 60] as first_name, (array[${LAST}])[1 + (c / 60) % 150] as last_name,
    case
      when age < 3 then case
        when u3 < 0.40 then 'allocated' when u3 < 0.62 then 'in_fulfillment' when u3 < 0.72 then 'shipped'
        when u3 < 0.80 then 'backordered' when u3 < 0.86 then 'partially_allocated' when u3 < 0.90 then 'on_hold'
        when u3 < 0.93 then 'partially_shipped' when u3 < 0.94 then 'routing_failed'
        when u3 < 0.945 then 'allocation_failed' else 'cancelled' end
      when age < 14 then case
        when u3 < 0.05 then 'allocated' when u3 < 0.12 then 'in_fulfillment' when u3 < 0.45 then 'shipped'
        when u3 < 0.80 then 'delivered' when u3 < 0.85 then 'backordered' when u3 < 0.87 then 'partially_allocated'
        when u3 < 0.89 then 'on_hold' when u3 < 0.92 then 'partially_shipped' when u3 < 0.93 then 'routing_failed'
        else 'cancelled' end
      else case
        when u3 < 0.001 then 'in_fulfillment' when u3 < 0.002 then 'allocated' when u3 < 0.004 then 'backordered'
        when u3 < 0.005 then 'on_hold' when u3 < 0.006 then 'partially_shipped' when u3 < 0.015 then 'shipped'
        when u3 < 0.88 then 'delivered' when u3 < 0.93 then 'cancelled' when u3 < 0.96 then 'returned'
        else 'partially_returned' end
    end as status,
    round((10 + power(u4, 2) * 490)::numeric, 2) as subtotal,
    string_to_array((array[${PLACES}])[1 + floor(u5 * 20)::int], '|') as place,
    case when u8 < 0.5 then 0 else 5.99 end as ship
  from s offset 0
), v as (
  select t.*, round(subtotal * 0.08, 2) as tax,
    first_name || ' ' || last_name as name, lower(first_name || '.' || last_name || c) || '@example.com' as email,
    case when status in ('allocated', 'in_fulfillment', 'partially_allocated', 'partially_shipped', 'on_hold')
      then placed_at::date + 2 + floor(u6 * 5)::int end as pdd,
    case when status in ('backordered', 'routing_failed', 'allocation_failed') or (status = 'cancelled' and u6 < 0.3)
        then '{}'::text[]
      when u7 < 0.15 then array(select distinct x from unnest(array[
        'loc_bench_' || lpad((1 + floor(power(u8, 1.5) * 10))::text, 2, '0'),
        'loc_bench_' || lpad((1 + floor(u9 * 10))::text, 2, '0')]) x order by x)
      else array['loc_bench_' || lpad((1 + floor(power(u8, 1.5) * 10))::text, 2, '0')] end as location_ids,
    case when u7 < 0.80 then '{}'::text[] when u7 < 0.88 then '{vip}' when u7 < 0.93 then '{gift}'
      when u7 < 0.96 then '{vip,gift}' when u7 < 0.98 then '{wholesale}' when u7 < 0.995 then '{fraud-review}'
      else '{influencer}' end as tags,
    case when u9 < 0.70 then 'ground' when u9 < 0.85 then 'two_day' when u9 < 0.93 then 'economy'
      when u9 < 0.98 then 'overnight' else 'same_day' end as service_level
  from t offset 0
)
select $1, 'ord_' || lpad(to_hex((extract(epoch from placed_at) * 1000)::bigint), 12, '0') || lpad(i::text, 8, '0'),
  1000 + i, channel, upper(left(channel, 3)) || '-' || (100000 + i),
  case when u4 < 0.01 then 'pre_order' when u4 < 0.03 then 'subscription' else 'standard' end,
  status,
  case when status in ('routing_failed', 'allocation_failed') then status end,
  case when status = 'routing_failed' then 'No location can ship to this address at this service level.'
    when status = 'allocation_failed' then 'Stock kept moving while this order was being reserved.' end,
  case when status = 'on_hold' then (array['Address check', 'Fraud review', 'Customer asked to wait'])[1 + floor(u5 * 3)::int] end,
  case when status in ('in_fulfillment', 'partially_shipped', 'shipped', 'delivered', 'returned', 'partially_returned')
    then placed_at + interval '2 hours' end,
  jsonb_build_object('name', name, 'email', email), name, email,
  jsonb_build_object('name', name, 'line1', (1 + c % 900) || ' Main St', 'city', place[1], 'region', place[2],
    'postal_code', place[3], 'country', 'US'),
  case when u6 < 0.05 then 'CAD' else 'USD' end, service_level,
  jsonb_build_object('subtotal', subtotal, 'discount', 0, 'tax', tax, 'shipping', ship, 'total', subtotal + tax + ship),
  ship,
  case when status in ('cancelled', 'returned') then subtotal + tax + ship
    when status = 'partially_returned' then round(subtotal / 3, 2) else 0 end,
  -- A recall tag on 25 orders over the year; a store opened yesterday with 25 orders so far.
  case when i % 40000 = 7 then tags || '{recall}'::text[] else tags end,
  case when i > $4 - 2000 and i % 80 = 0 and cardinality(location_ids) > 0
    then location_ids || '{loc_bench_new}'::text[] else location_ids end,
  pdd, placed_at, placed_at, placed_at + interval '1 day'
from v`;

  /** 1-4 lines per order (mostly 1), SKUs with a long tail, counters that add up for the status. */
  const LOAD_LINES = `
insert into order_lines (tenant_id, order_id, line_no, sku, quantity, unit_price, allocated, backordered,
  cancelled, shipped, delivered, returned)
select o.tenant_id, o.order_id, n, sku, q,
  round((5 + power((hashint8extended(o.order_number * 8 + n, 3) & 1023)::float8 / 1024, 2) * 200)::numeric, 2),
  case when o.status in ('allocated', 'in_fulfillment') then q
    when o.status = 'partially_allocated' and n > 1 then q
    when o.status = 'partially_shipped' and n > 1 and o.order_number % 2 = 0 then q
    when o.status = 'on_hold' and (n > 1 or o.order_number % 3 <> 0) then q else 0 end,
  case when o.status in ('backordered', 'routing_failed', 'allocation_failed') then q
    when o.status = 'partially_allocated' and n = 1 then q
    when o.status = 'partially_shipped' and n > 1 and o.order_number % 2 = 1 then q
    when o.status = 'on_hold' and n = 1 and o.order_number % 3 = 0 then q else 0 end,
  case when o.status = 'cancelled' then q else 0 end,
  case when o.status in ('shipped', 'delivered', 'returned', 'partially_returned')
    or (o.status = 'partially_shipped' and n = 1) then q else 0 end,
  case when o.status in ('delivered', 'returned', 'partially_returned') then q else 0 end,
  case when o.status = 'returned' then q when o.status = 'partially_returned' and n = 1 then 1 else 0 end
from orders o,
  lateral generate_series(1, 1 + floor(power((hashint8extended(o.order_number, 1) & 1023)::float8 / 1024, 2) * 4)::int) n,
  lateral (select 'SKU-' || lpad(floor(power((hashint8extended(o.order_number * 8 + n, 2) & 1048575)::float8 / 1048576, 2)
      * 3000)::int::text, 5, '0') as sku,
    1 + floor(power((hashint8extended(o.order_number * 8 + n, 4) & 1023)::float8 / 1024, 3) * 4)::int as q) x
where o.tenant_id = $1 and o.order_number between 1000 + $2 and 1000 + $3
order by o.order_id`;

  const seconds = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(0)} s`;

  /**
   * Loads without the secondary indexes and the lines' foreign key, then builds them once: the same
   * indexes the migrations make (read back from the catalog), far faster than a row at a time.
   */
  async function bulkLoad(pool: Pool, tenants: { tenant_id: string; orders: number; seed: number }[]) {
    const { rows: indexes } = await pool.query<{ name: string; def: string }>(
      `select indexname as name, indexdef as def from pg_indexes
     where schemaname = 'public' and tablename in ('orders', 'order_lines') and indexname not like '%\\_pkey'`,
    );
    const { rows: fks } = await pool.query<{ name: string; def: string }>(
      `select conname as name, pg_get_constraintdef(oid) as def from pg_constraint
     where conrelid = 'order_lines'::regclass and contype = 'f'`,
    );
    for (const fk of fks) await pool.query(`alter table order_lines drop constraint ${fk.name}`);
    for (const i of indexes) await pool.query(`drop index ${i.name}`);

    let t0 = performance.now();
    const now = new Date().toISOString();
    const chunks = tenants.flatMap((t) => {
      const size = Math.ceil(t.orders / CORES);
      return Array.from({ length: Math.ceil(t.orders / size) }, (_, k) => ({
        ...t,
        from: k * size + 1,
        to: Math.min(t.orders, (k + 1) * size),
      }));
    });
    // One chunk per core at a time: generating the rows is the work.
    const run = async (sql: string, params: (c: (typeof chunks)[number]) => unknown[]) => {
      const queue = [...chunks];
      await Promise.all(
        Array.from({ length: CORES }, async () => {
          for (let c = queue.shift(); c; c = queue.shift()) await pool.query(sql, params(c));
        }),
      );
    };
    await run(LOAD_ORDERS, (c) => [c.tenant_id, c.from, c.to, c.orders, c.seed, now]);
    console.log(`  orders loaded in ${seconds(t0)}`);
    t0 = performance.now();
    await run(LOAD_LINES, (c) => [c.tenant_id, c.from, c.to]);
    console.log(`  lines loaded in ${seconds(t0)}`);
    t0 = performance.now();
    const queue = [...indexes];
    await Promise.all(
      Array.from({ length: Math.min(CORES, 2) }, async () => {
        const client = await pool.connect();
        try {
          await client.query(`set maintenance_work_mem = '256MB'`);
          for (let i = queue.shift(); i; i = queue.shift()) await client.query(i.def);
        } finally {
          client.release();
        }
      }),
    );
    for (const fk of fks) await pool.query(`alter table order_lines add constraint ${fk.name} ${fk.def}`);
    await pool.query(`select setval('orderly_system.order_number_seq', 1000 + $1)`, [
      Math.max(...tenants.map((t) => t.orders)),
    ]);
    console.log(`  ${indexes.length} indexes and the foreign key built in ${seconds(t0)}`);
    t0 = performance.now();
    await pool.query('vacuum (analyze) orders, order_lines');
    console.log(`  vacuum and analyze in ${seconds(t0)}`);
  }

  const tenant = await createTenant(pool, 'Bench Outfitters');
  const apiKey = (await createApiKey(pool, tenant.tenant_id, system, { name: 'bench', role: 'support' })).key;
  const others = [];
  for (let k = 0; k < OTHER_TENANTS; k++) others.push(await createTenant(pool, `Other ${k + 1}`));
  const loadStarted = performance.now();
  console.log('Loading');
  await bulkLoad(pool, [
    { tenant_id: tenant.tenant_id, orders: ORDERS, seed: 1 },
    ...others.map((t, k) => ({ tenant_id: t.tenant_id, orders: OTHER_ORDERS, seed: 2 + k })),
  ]);
  const sizes = await pool.query<{ orders: string; indexes: string; lines: string }>(
    `select pg_size_pretty(pg_table_size('orders')) as orders, pg_size_pretty(pg_indexes_size('orders')) as indexes,
     pg_size_pretty(pg_table_size('order_lines')) as lines`,
  );
  console.log(
    `  done in ${seconds(loadStarted)}: orders ${sizes.rows[0]!.orders} + indexes ${sizes.rows[0]!.indexes}, ` +
      `lines ${sizes.rows[0]!.lines}\n`,
  );

  // ── query shapes, with values taken from the data ────────────────────────────────────────────

  const T = tenant.tenant_id;
  const sample = async (sql: string, n: number) =>
    (await pool.query(sql, [T, 1000 + Math.floor(ORDERS * n)])).rows[0] as Record<string, string>;
  const customer = await sample(
    'select customer_email, customer_name from orders where tenant_id = $1 and order_number = $2',
    0.5,
  );
  const anOrder = await sample(
    'select order_number::text, channel_order_id from orders where tenant_id = $1 and order_number = $2',
    0.12,
  );
  const skuCounts = await pool.query<{ sku: string; orders: number }>(
    `select sku, count(*)::int as orders from order_lines where tenant_id = $1 group by sku order by 2 desc`,
    [T],
  );
  const popularSku = skuCounts.rows[0]!;
  const midSku = skuCounts.rows.find((r) => r.orders <= 3000)!;
  const rareSku = skuCounts.rows.at(-1)!;
  const lastWeek = new Date(Date.now() - 7 * 86_400_000).toISOString();
  const nineMonthsAgo = { placed_from: new Date(Date.now() - 270 * 86_400_000).toISOString() };

  type Shape = { name: string; query: Partial<OrderQuery>; pages?: number };
  const SHAPES: Shape[] = [
    { name: 'newest first, no filter', query: {} },
    { name: '  next page', query: {}, pages: 2 },
    { name: '  page 201 (after 10,000 orders)', query: {}, pages: 201 },
    { name: 'status=allocated,in_fulfillment', query: { status: ['allocated', 'in_fulfillment'] } },
    {
      name: 'status=delivered&channel=marketplace',
      query: { status: ['delivered'], channel: ['marketplace'] },
    },
    { name: '  next page', query: { status: ['delivered'], channel: ['marketplace'] }, pages: 2 },
    { name: 'status=on_hold,routing_failed', query: { status: ['on_hold', 'routing_failed'] } },
    { name: 'channel=wholesale', query: { channel: ['wholesale'] } },
    { name: 'location_id (1 of 10)', query: { location_id: ['loc_bench_07'] } },
    { name: 'service_level=same_day', query: { service_level: ['same_day'] } },
    { name: 'location_id (new store, 25 orders)', query: { location_id: ['loc_bench_new'] } },
    { name: 'tag=vip', query: { tag: ['vip'] } },
    { name: 'tag=influencer (0.5 %)', query: { tag: ['influencer'] } },
    { name: 'tag=recall (25 orders)', query: { tag: ['recall'] } },
    { name: 'placed in the last 7 days', query: { placed_from: lastWeek } },
    {
      name: 'placed a month, 9 months ago',
      query: {
        ...nineMonthsAgo,
        placed_to: new Date(Date.parse(nineMonthsAgo.placed_from) + 30 * 86_400_000).toISOString(),
      },
    },
    { name: 'late=true', query: { late: true } },
    { name: '  next page', query: { late: true }, pages: 2 },
    { name: 'on_hold=true', query: { on_hold: true } },
    { name: 'backordered=true', query: { backordered: true } },
    {
      name: 'status+channel+tag+location',
      query: { status: ['delivered'], channel: ['web'], tag: ['vip'], location_id: ['loc_bench_02'] },
    },
    { name: 'q=#order number', query: { q: `#${anOrder.order_number}` } },
    { name: 'q=channel order id', query: { q: anOrder.channel_order_id } },
    { name: 'q=email', query: { q: customer.customer_email!.toUpperCase() } },
    { name: 'q=full name', query: { q: customer.customer_name } },
    { name: 'q=smith (0.8 % of names)', query: { q: 'smith' } },
    { name: `q=SKU in ${popularSku.orders} orders`, query: { q: popularSku.sku } },
    { name: `q=SKU in ${midSku.orders} orders`, query: { q: midSku.sku } },
    { name: `q=SKU in ${rareSku.orders} orders`, query: { q: rareSku.sku } },
    { name: 'sort=promised_delivery_date', query: { sort: 'promised_delivery_date' } },
    {
      name: '  open statuses',
      query: { sort: 'promised_delivery_date', status: ['allocated', 'in_fulfillment', 'partially_shipped'] },
    },
    { name: 'sort=-total', query: { sort: '-total' } },
    { name: '  tag=vip', query: { sort: '-total', tag: ['vip'] } },
    { name: 'sort=placed_at (oldest first)', query: { sort: 'placed_at' } },
  ];

  // ── measuring ────────────────────────────────────────────────────────────────────────────────

  const config = { ...loadConfig({}), rateLimitPerSecond: 0 };
  const deps: Deps = { config, pool, log, metrics: createMetrics() };
  const app = createApp(deps, { inProcess: () => false });
  const headers = { authorization: `Bearer ${apiKey}` };

  function percentiles(samples: number[]) {
    const s = [...samples].sort((a, b) => a - b);
    const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN;
    return { p50: at(0.5), p99: at(0.99) };
  }
  /** `op` ITERATIONS times after a warm-up, or as many as fit in MEASURE_MS_MAX (at least 10). */
  async function time(op: () => Promise<unknown>) {
    for (let i = 0; i < WARMUP; i++) await op();
    const samples: number[] = [];
    const deadline = performance.now() + MEASURE_MS_MAX;
    for (let i = 0; i < ITERATIONS && (i < 10 || performance.now() < deadline); i++) {
      const t0 = performance.now();
      await op();
      samples.push(performance.now() - t0);
    }
    return { ...percentiles(samples), runs: samples.length };
  }

  /** The key after `pages - 1` pages of 50 (read in big steps), to measure page `pages`. */
  async function keyBefore(query: OrderQuery, pages: number) {
    let after: string | undefined;
    let left = (pages - 1) * PAGE;
    while (left > 0) {
      const step = Math.min(left, 1000);
      const page = await searchOrders(pool, T, query, { after, limit: step });
      after = page.after;
      left -= step;
    }
    return after;
  }

  /** PostgreSQL's own time for the statement (planning + execution), and the indexes it read. */
  async function explain(query: OrderQuery, after: string | undefined) {
    const { sql, values } = searchSql(T, query, { after, limit: PAGE + 1 });
    const client = await pool.connect();
    try {
      await client.query(SEARCH_SETTINGS);
      const { rows } = await client.query({
        text: `explain (analyze, buffers, format ${EXPLAIN ? 'text' : 'json'}) ${sql}`,
        values,
      });
      await client.query('commit');
      if (EXPLAIN) {
        const text = rows.map((r) => r['QUERY PLAN']).join('\n');
        const ms = (re: RegExp) => Number(re.exec(text)?.[1] ?? Number.NaN);
        return {
          ms: ms(/Planning Time: ([\d.]+)/) + ms(/Execution Time: ([\d.]+)/),
          indexes: [
            ...new Set(
              text.match(
                /(?<=(?:Index Scan|Index Only Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) )\w+/g,
              ),
            ),
          ],
          plan: text,
        };
      }
      const [doc] = rows[0]!['QUERY PLAN'] as {
        Plan: unknown;
        'Planning Time': number;
        'Execution Time': number;
      }[];
      const names = new Set<string>();
      const walk = (n: { 'Index Name'?: string; Plans?: unknown[] }) => {
        if (n['Index Name']) names.add(n['Index Name']);
        for (const c of n.Plans ?? []) walk(c as typeof n);
      };
      walk(doc!.Plan as never);
      return { ms: doc!['Planning Time'] + doc!['Execution Time'], indexes: [...names], plan: '' };
    } finally {
      client.release();
    }
  }

  const raw = await time(() =>
    pool.query('select * from orders where tenant_id = $1 order by placed_at desc, order_id desc limit 51', [
      T,
    ]),
  );
  const rows: Record<string, string | number>[] = [];
  for (const shape of SHAPES) {
    const query = { sort: '-placed_at', ...shape.query } as OrderQuery;
    const after = shape.pages ? await keyBefore(query, shape.pages) : undefined;
    let found = 0;
    const search = await time(async () => {
      found = (await searchOrders(pool, T, query, { after, limit: PAGE })).data.length;
    });
    const params = new URLSearchParams({ limit: String(PAGE) });
    for (const [k, v] of Object.entries(query)) params.set(k, Array.isArray(v) ? v.join(',') : String(v));
    if (after) params.set('cursor', encodeCursor(after));
    const url = `/v1/orders?${params}`;
    const http = await time(async () => {
      const res = await app.request(url, { headers });
      if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    });
    const plan = await explain(query, after);
    if (EXPLAIN) console.log(`── ${shape.name.trim()}\n${plan.plan}\n`);
    rows.push({
      shape: shape.name,
      rows: found,
      runs: search.runs,
      'search p50 ms': search.p50,
      'search p99 ms': search.p99,
      'p50 / raw': `${(search.p50 / raw.p50).toFixed(1)}x`,
      'HTTP p50 ms': http.p50,
      'HTTP p99 ms': http.p99,
      'PG ms': plan.ms,
      indexes: plan.indexes.join(', '),
    });
  }

  table(rows);
  console.log(
    `\nraw baseline: select * from orders where tenant_id = $1 order by placed_at desc, order_id desc limit 51,`,
    `\none query on the pool: p50 ${raw.p50.toFixed(2)} ms, p99 ${raw.p99.toFixed(2)} ms. search: searchOrders() on the pool`,
    `\n(begin read only + settings, the query, commit; rows read into objects). HTTP: GET /v1/orders through the app`,
    `\nin-process with an API key. PG ms: planning + execution inside PostgreSQL (EXPLAIN ANALYZE, one run).`,
  );
} finally {
  await db.close();
}
