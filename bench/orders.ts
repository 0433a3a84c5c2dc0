/**
 * npm run bench -- orders
 *
 * Order capture over HTTP: `POST /v1/orders` with 2-line orders over 1,000 SKUs stocked at 10
 * locations (the demo tenant's 5 plus 5 more warehouses), to destinations drawn from real US ZIPs.
 * Each capture validates, plans on fresh stock, reserves, writes the order, its lines,
 * allocations, routing log, audit trail and outbox events, in one transaction. Closed loop:
 * CLIENTS concurrent clients each send their next order when the last one was answered.
 *
 * Next to it, in the same run on the same Postgres: the raw transaction an order needs at the
 * very least — two guarded stock decrements and one inserted row, in one transaction — from the
 * same number of clients. The ratio says what the rest (HTTP, validation, planning, the ledger's
 * movements, the audit trail and events) costs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { serve } from '@hono/node-server';
import { loadConfig } from '../server/src/config.ts';
import { withTransaction } from '../server/src/db/pool.ts';
import { createDemo, DEMO_TENANT_ID } from '../server/src/demo.ts';
import { createApp } from '../server/src/http/app.ts';
import type { Deps } from '../server/src/http/context.ts';
import { freePort } from '../server/src/lib/ports.ts';
import { CreateProductSchema } from '../server/src/modules/catalog/schema.ts';
import { createProduct } from '../server/src/modules/catalog/service.ts';
import { importStock } from '../server/src/modules/inventory/stock.ts';
import { CreateLocationSchema } from '../server/src/modules/network/schema.ts';
import { createLocation, listLocations } from '../server/src/modules/network/service.ts';
import { computeTotals } from '../server/src/modules/orders/totals.ts';
import { createMetrics } from '../server/src/system/metrics.ts';
import { benchDatabase, log } from './lib/database.ts';
import { BENCH_SECONDS, table, throughput } from './lib/measure.ts';
import { rng, usPlaces } from './lib/sourcing-network.ts';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const POOL_SIZE = 20;
const SKUS = 1000;
const TARGET = 500;
const actor = { type: 'system' as const, id: 'bench' };

console.log(
  `orders benchmark: ${CLIENTS} clients, ${BENCH_SECONDS} s per measurement, ${cpus().length} cores ` +
    '(PostgreSQL, the server and the load generator share them)\n',
);

const db = await benchDatabase(POOL_SIZE + CLIENTS);
const pool = db.pool;
const demo = await createDemo(pool);
const T = DEMO_TENANT_ID;

// ── the network: the demo's 5 locations and 5 more warehouses ────────────────────────────────
const MORE = [
  ['Atlanta DC', 'Atlanta', 'GA', '30301'],
  ['Denver DC', 'Denver', 'CO', '80202'],
  ['Columbus DC', 'Columbus', 'OH', '43215'],
  ['Phoenix DC', 'Phoenix', 'AZ', '85004'],
  ['Sacramento DC', 'Sacramento', 'CA', '95814'],
] as const;
await withTransaction(pool, async (tx) => {
  for (const [name, city, region, postal_code] of MORE) {
    await createLocation(
      tx,
      T,
      actor,
      CreateLocationSchema.parse({
        name,
        type: 'warehouse',
        address: { line1: '1 Dock Rd', city, region, postal_code, country: 'US' },
        cutoffs: { mon: '15:00', tue: '15:00', wed: '15:00', thu: '15:00', fri: '15:00' },
      }),
    );
  }
});
const locations = (await listLocations(pool, T, {}, undefined, 100)).map((l) => l.location_id);
const skus = Array.from({ length: SKUS }, (_, i) => `BENCH-${String(i).padStart(4, '0')}`);
await withTransaction(pool, async (tx) => {
  for (const sku of skus) {
    await createProduct(
      tx,
      T,
      actor,
      CreateProductSchema.parse({ sku, name: sku, weight_lb: 1.5, unit_cost: 4, price: 12 }),
    );
  }
});
// Every SKU at every location, deep enough never to run out during the run.
await withTransaction(pool, (tx) =>
  importStock(tx, T, actor, {
    covers_through_seq: 0,
    counts: skus.flatMap((sku) => locations.map((location_id) => ({ sku, location_id, on_hand: 1_000_000 }))),
  }),
);
await pool.query('analyze');
console.log(`network: ${locations.length} locations, ${SKUS} SKUs stocked at each\n`);

// ── raw: the least transaction an order needs ───────────────────────────────────────────────
await pool.query(
  `create table bench_stock (id integer primary key, available integer not null check (available >= 0));
   create table bench_orders (id bigserial primary key, body jsonb not null, created_at timestamptz default now())`,
);
const ROWS = SKUS * locations.length;
await pool.query('insert into bench_stock select g, 1000000000 from generate_series(1, $1) g', [ROWS]);
const r = rng(7);
const rawOrder = async () =>
  withTransaction(pool, async (tx) => {
    const [a, b] = [1 + Math.floor(Math.random() * ROWS), 1 + Math.floor(Math.random() * ROWS)].sort(
      (x, y) => x - y,
    );
    for (const id of [a, b]) {
      await tx.query('update bench_stock set available = available - 1 where id = $1 and available >= 1', [
        id,
      ]);
    }
    await tx.query('insert into bench_orders (body) values ($1)', ['{"lines":2}']);
    return true;
  });
const raw = await throughput(CLIENTS, BENCH_SECONDS, rawOrder);

// ── Orderly over HTTP ───────────────────────────────────────────────────────────────────────
const config = { ...loadConfig({}), rateLimitPerSecond: 0 };
const deps: Deps = { config, pool, log, metrics: createMetrics() };
const app = createApp(deps, { inProcess: () => false });
const port = await freePort();
const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' });
await new Promise<void>((resolve, reject) => {
  server.once('listening', resolve);
  server.once('error', reject);
});
const url = `http://127.0.0.1:${port}/v1/orders`;
const headers = { authorization: `Bearer ${demo.api_key}`, 'content-type': 'application/json' };
const places = usPlaces();
let n = 0;
const statuses = new Map<string, number>();
const orderBody = () => {
  const [a, b] = [skus[Math.floor(r() * SKUS)]!, skus[Math.floor(r() * SKUS)]!];
  const lines = [
    { sku: a, quantity: 1 + Math.floor(r() * 2), unit_price: 12, discount: 0, tax: 0 },
    {
      sku: b === a ? skus[(skus.indexOf(a) + 1) % SKUS]! : b,
      quantity: 1,
      unit_price: 12,
      discount: 0,
      tax: 0,
    },
  ];
  const place = places[Math.floor(r() * places.length)]!;
  return JSON.stringify({
    channel: 'web',
    channel_order_id: `B-${++n}`,
    customer: { name: `Customer ${n}`, email: `c${n}@example.com` },
    shipping_address: {
      line1: '1 Main St',
      city: 'Somewhere',
      region: place.region,
      postal_code: place.zip,
      country: 'US',
    },
    lines,
    totals: computeTotals(lines, 6),
  });
};
const capture = async () => {
  const res = await fetch(url, { method: 'POST', headers, body: orderBody() });
  const body = (await res.json()) as { status?: string };
  const key = res.status === 201 ? (body.status ?? '?') : `HTTP ${res.status}`;
  statuses.set(key, (statuses.get(key) ?? 0) + 1);
  return res.status === 201;
};
for (let i = 0; i < 200; i++) await capture(); // warm-up: JIT, prepared statements, caches
statuses.clear();
const t0 = performance.now();
const cpu0 = { node: process.cpuUsage(), postgres: postgresCpuMs() };
const orderly = await throughput(CLIENTS, BENCH_SECONDS, capture);
const elapsed = (performance.now() - t0) / 1000;
const nodeCpu = process.cpuUsage(cpu0.node);
const nodeMs = (nodeCpu.user + nodeCpu.system) / 1000;
const pgMs = postgresCpuMs() - cpu0.postgres;

const { rows } = await pool.query(
  `select count(*)::int as orders, (select count(*)::int from events where tenant_id = $1) as events
   from orders where tenant_id = $1`,
  [T],
);
table([
  {
    measurement: 'raw tx: 2 guarded decrements + 1 insert',
    'per second': raw.per_second,
    'p50 ms': raw.p50_ms,
    'p99 ms': raw.p99_ms,
    ratio: '1.00',
    target: '',
  },
  {
    measurement: 'POST /v1/orders (2 lines, 10 locations)',
    'per second': orderly.per_second,
    'p50 ms': orderly.p50_ms,
    'p99 ms': orderly.p99_ms,
    ratio: (orderly.per_second / raw.per_second).toFixed(2),
    target: `≥ ${TARGET}/s: ${orderly.per_second >= TARGET ? 'met' : 'NOT MET'}`,
  },
]);
console.log(
  `\n   ${orderly.completed} orders captured in ${elapsed.toFixed(1)} s (${orderly.refused} refused); answers: ` +
    [...statuses].map(([s, c]) => `${c} × ${s}`).join(', '),
  `\n   database now holds ${rows[0].orders} orders and ${rows[0].events} outbox events for the tenant.`,
  `\n   CPU per captured order: Node (server and load generator) ${(nodeMs / orderly.completed).toFixed(1)} ms, ` +
    `PostgreSQL ${Number.isNaN(pgMs) ? 'n/a' : `${(pgMs / orderly.completed).toFixed(1)} ms`} ` +
    `(${cpus().length} cores give ${(cpus().length * 1000).toFixed(0)} ms of CPU per second).`,
);

/**
 * CPU time so far of the PostgreSQL processes this benchmark started (descendants of this
 * process, named postgres), from /proc (Linux); NaN elsewhere. Other work on the machine is left out.
 */
function postgresCpuMs(): number {
  try {
    const tick = 100; // USER_HZ on Linux
    const procs = new Map<number, { ppid: number; name: string; cpu: number }>();
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        procs.set(Number(pid), {
          name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
          ppid: Number(fields[1]),
          cpu: Number(fields[11]) + Number(fields[12]), // utime, stime
        });
      } catch {
        // the process ended while we looked
      }
    }
    const mine = (pid: number): boolean => {
      for (let p = procs.get(pid)?.ppid; p !== undefined && p > 1; p = procs.get(p)?.ppid) {
        if (p === process.pid) return true;
      }
      return false;
    };
    let total = 0;
    for (const [pid, p] of procs) if (p.name === 'postgres' && mine(pid)) total += p.cpu;
    return (total * 1000) / tick;
  } catch {
    return Number.NaN;
  }
}

await new Promise<void>((resolve) => server.close(() => resolve()));
await db.close();
