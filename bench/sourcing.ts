/**
 * npm run bench -- sourcing
 *
 * 1. The pure planner, in-process: time per order for 5, 50 and 200 locations × 1, 5 and 20
 *    lines, on deterministic synthetic networks (locations at real US ZIPs, zone tables from
 *    `computeZones`, a few time zones, cut-offs and holiday calendars, three services) and orders
 *    to real ZIPs, after a warm-up. The target: p99 ≤ 2 ms at 50 × 5.
 * 2. `POST /v1/promise` over HTTP: the real app served with @hono/node-server on a loopback port,
 *    on a fresh database holding the demo tenant, at a steady open-loop rate (requests leave on a
 *    fixed schedule, latency counts from the scheduled time). The load generator runs in a thread
 *    of its own in the same process (its own event loop, the same cores), with a minimal client.
 *    Next to it, in the same run and at the same rates: `select 1` (the PostgreSQL floor) and the
 *    promise's own database reads alone (the catalog, network snapshot, stock and policy reads),
 *    without HTTP or planning. The target: p99 ≤ 20 ms.
 *
 * SOURCING_PLANNER_ONLY=1 runs section 1 alone, SOURCING_HTTP_ONLY=1 sections 2 and 3 alone;
 * BENCH_RATES sets the request rates of section 2 (default 20,50,100,200).
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { serve } from '@hono/node-server';
import { loadConfig } from '../server/src/config.ts';
import { createDemo, DEMO_TENANT_ID } from '../server/src/demo.ts';
import { DEMO_BUNDLE, DEMO_PRODUCTS } from '../server/src/demo-data.ts';
import { createApp } from '../server/src/http/app.ts';
import type { Deps } from '../server/src/http/context.ts';
import { freePort } from '../server/src/lib/ports.ts';
import { networkSnapshot } from '../server/src/modules/network/service.ts';
import {
  loadPolicy,
  planLines,
  plannerPolicy,
  sourcingInputs,
  stockFor,
} from '../server/src/modules/sourcing/inputs.ts';
import { plan } from '../server/src/modules/sourcing/planner.ts';
import { createMetrics } from '../server/src/system/metrics.ts';
import { benchDatabase, log } from './lib/database.ts';
import { loadThread } from './lib/http-load.ts';
import { leanClient, postBytes } from './lib/lean-http.ts';
import { BENCH_SECONDS, table } from './lib/measure.ts';
import { openLoop } from './lib/open-loop.ts';
import { plannerCasesInThread } from './lib/planner-cases.ts';
import { rng, usPlaces } from './lib/sourcing-network.ts';

const CORES = cpus().length;
// BENCH_SECONDS (default 8) scales every phase; the planner's order counts scale with it too.
const SCALE = BENCH_SECONDS / 8;
const PLANNER_ORDERS = Math.max(50, Math.round(2000 * SCALE));
const PLANNER_WARMUP = Math.max(20, Math.round(300 * SCALE));
const WARMUP_SECONDS_MAX = 3 * SCALE;
// A case stops early after this long, and says how many orders it planned.
const PLANNER_CASE_SECONDS = 20 * SCALE;
const RATES = (process.env.BENCH_RATES ?? '20,50,100,200').split(',').map(Number);
const POOL_SIZE = 20;

console.log(
  `sourcing benchmark: ${CORES} cores (PostgreSQL, the server and the load generator share them), ` +
    `${BENCH_SECONDS} s per HTTP measurement\n`,
);

// ── 1. planner, in-process ──────────────────────────────────────────────────────────────────
if (process.env.SOURCING_HTTP_ONLY !== '1') {
  console.log(
    '1. Planner time per order, in-process (plan(), balanced preset, max 3 shipments, budget 20,000)',
  );
  table(
    await plannerCasesInThread({
      orders: PLANNER_ORDERS,
      warmup: PLANNER_WARMUP,
      warmupSeconds: WARMUP_SECONDS_MAX,
      caseSeconds: PLANNER_CASE_SECONDS,
    }),
  );
  console.log(
    `\n   ${PLANNER_WARMUP} warm-up orders (or ${WARMUP_SECONDS_MAX} s) per case first, not counted. orders: planned/generated (a case stops`,
    `\n   after ${PLANNER_CASE_SECONDS} s). budget hit: orders whose search ran out of budget (the greedy plan or the`,
    '\n   best found so far is returned). One plan() call per order at its requested level; /v1/promise',
    '\n   calls plan() once per service level (3 with the demo carrier). The cases run in a thread of',
    "\n   their own, so that their networks and orders are not in the HTTP server's heap below.\n",
  );
}

// SOURCING_PLANNER_ONLY=1: stop here (no database needed), e.g. while working on the planner.
if (process.env.SOURCING_PLANNER_ONLY === '1') process.exit(0);

// ── 2. /v1/promise over HTTP ────────────────────────────────────────────────────────────────
console.log(
  `2. POST /v1/promise over HTTP, open loop, ${BENCH_SECONDS} s per rate, demo tenant (5 locations)`,
);
const db = await benchDatabase(POOL_SIZE);
const pool = db.pool;
const demo = await createDemo(pool);
if (!demo.created) throw new Error('the demo tenant already existed in a fresh database');
const config = { ...loadConfig({}), rateLimitPerSecond: 0 };
const deps: Deps = { config, pool, log, metrics: createMetrics() };
const app = createApp(deps, { inProcess: () => false });
const port = await freePort();
const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' });
await new Promise<void>((resolve, reject) => {
  server.once('listening', resolve);
  server.once('error', reject);
});
const url = `http://127.0.0.1:${port}/v1/promise`;
const headers = { authorization: `Bearer ${demo.api_key}`, 'content-type': 'application/json' };

// Carts of 1-3 demo products (or the bundle), to destinations drawn from real ZIPs.
const skus = [...DEMO_PRODUCTS.map((p) => p.sku), DEMO_BUNDLE.sku];
const zr = rng(42);
const places = usPlaces();
const carts = Array.from({ length: 1000 }, () => {
  const n = 1 + Math.floor(zr() * 3);
  const lines = [...new Set(Array.from({ length: n }, () => skus[Math.floor(zr() * skus.length)]!))].map(
    (sku) => ({ sku, quantity: 1 + Math.floor(zr() * 2) }),
  );
  const dest = places[Math.floor(zr() * places.length)]!;
  return { lines, destination: { country: 'US', region: dest.region, postal_code: dest.zip } };
});
const bodies = carts.map((c) => JSON.stringify(c));

// The HTTP load comes from a thread of its own (bench/lib/http-load.ts).
const load = loadThread();
const statuses = new Map<number, number>();
const fetchErrors = new Map<string, number>();
let withOptions = 0;
let answered = 0;
const promiseOverHttp = async (rate: number, seconds: number) => {
  const r = await load.run({ url, headers, bodies, rate, seconds, nonEmpty: 'options' });
  for (const [status, { count, first }] of r.statuses) {
    if (!statuses.has(status)) console.error(`   first ${status} answer: ${first}`);
    statuses.set(status, (statuses.get(status) ?? 0) + count);
  }
  for (const [what, n] of r.errors_seen) fetchErrors.set(what, (fetchErrors.get(what) ?? 0) + n);
  answered += r.answered;
  withOptions += r.non_empty;
  return r;
};
const selectOne = async () => {
  await pool.query('select 1');
  return true;
};
// What the request does in the database, minus authentication: the reads promiseOptions makes
// (lines and bundles, network snapshot, sellable stock, policy), outside a transaction as the
// route runs them.
const promiseReads = async (i: number) => {
  const cart = carts[i % carts.length]!;
  await sourcingInputs(pool, DEMO_TENANT_ID, cart.lines, undefined, cart.destination.postal_code);
  await loadPolicy(pool, DEMO_TENANT_ID);
  return true;
};

// Warm-up: connections, prepared statements, JIT; not counted.
await promiseOverHttp(50, Math.min(3, BENCH_SECONDS));
await openLoop(50, 1, promiseReads);
await openLoop(50, 1, selectOne);
statuses.clear();
fetchErrors.clear();
answered = 0;
withOptions = 0;

const httpRows: Record<string, string | number>[] = [];
const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
for (const rate of RATES) {
  const floor = await openLoop(rate, BENCH_SECONDS, selectOne);
  const reads = await openLoop(rate, BENCH_SECONDS, promiseReads);
  const http = await promiseOverHttp(rate, BENCH_SECONDS);
  httpRows.push({
    'req/s': rate,
    'select 1 p50/p99': `${ms(floor.p50_ms)} / ${ms(floor.p99_ms)}`,
    'promise reads p50/p99': `${ms(reads.p50_ms)} / ${ms(reads.p99_ms)}`,
    'HTTP promise p50/p99': `${ms(http.p50_ms)} / ${ms(http.p99_ms)}`,
    'HTTP max': ms(http.max_ms),
    'HTTP sent/200': `${http.sent}/${http.ok}`,
    'non-200': http.failed,
    'HTTP errors': http.errors,
    'other errors': floor.errors + reads.errors,
    'late sends': http.late_sends,
    target: `p99 ≤ 20 ms: ${http.p99_ms <= 20 && http.failed + http.errors === 0 ? 'met' : 'NOT MET'}`,
  });
}
table(httpRows);
const failures = [...statuses].map(([s, n]) => `${n} × ${s}`).join(', ');
const errorsSeen = [...fetchErrors].map(([m, n]) => `${n} × ${m}`).join(', ');
console.log(
  '\n   All figures in ms, from the scheduled send time. select 1 and promise reads run on the',
  `\n   benchmark's pool (${POOL_SIZE} connections) in-process; the HTTP requests go through a minimal`,
  '\n   keep-alive client (bench/lib/lean-http.ts) from a thread of this process (its own event loop;',
  "\n   the server's is the main thread). late sends: requests the generator itself sent > 5 ms",
  '\n   after their scheduled time (it shares the CPU).',
  `\n   Non-200 answers: ${failures || 'none'}. HTTP errors (no answer): ${errorsSeen || 'none'}.`,
  `\n   Of ${answered} 200 answers, ${withOptions} offered at least one option`,
  '\n   (the rest: carts the demo network cannot ship in full, an empty list).',
);

// ── 3. where one promise's time goes, one request at a time ────────────────────────────────
console.log('\n3. One promise, one step at a time (no concurrency, 100 runs after 30 warm-up, demo network)');
const serial = async (f: () => unknown) => {
  for (let i = 0; i < 30; i++) await f();
  const xs: number[] = [];
  for (let i = 0; i < 100; i++) {
    const t0 = performance.now();
    await f();
    xs.push(performance.now() - t0);
  }
  xs.sort((a, b) => a - b);
  return { 'p50 ms': xs[50]!.toFixed(2), 'p99 ms': xs[98]!.toFixed(2) };
};
const cart = [
  { sku: 'TEE-ORG-BLK-M', quantity: 1 },
  { sku: 'MUG-ENAMEL-WHT', quantity: 2 },
];
const planned = await planLines(pool, DEMO_TENANT_ID, cart);
// The promise reads only the destination's zone rows; the steps below do the same.
const snapshot = await networkSnapshot(pool, DEMO_TENANT_ID, '10001');
const sellable = await stockFor(pool, DEMO_TENANT_ID, planned, undefined);
const tenantPolicy = plannerPolicy(await loadPolicy(pool, DEMO_TENANT_ID));
const { rows: zoneRows } = await pool.query<{ n: number }>(
  'select count(*)::int as n from location_zones where tenant_id = $1',
  [DEMO_TENANT_ID],
);
const stepRows: Record<string, string | number>[] = [
  { step: 'planLines (catalog, bundles)', ...(await serial(() => planLines(pool, DEMO_TENANT_ID, cart))) },
  {
    step: `networkSnapshot (${snapshot.locations.length} locations; the destination row of ${zoneRows[0]!.n} zone rows)`,
    ...(await serial(() => networkSnapshot(pool, DEMO_TENANT_ID, '10001'))),
  },
  {
    step: 'stockFor (sellable stock)',
    ...(await serial(() => stockFor(pool, DEMO_TENANT_ID, planned, undefined))),
  },
  { step: 'loadPolicy', ...(await serial(() => loadPolicy(pool, DEMO_TENANT_ID))) },
];
for (const level of ['ground', 'two_day', 'overnight'] as const) {
  const order = {
    lines: planned,
    destination: { country: 'US', region: 'NY', postal_code: '10001' },
    service_level: level,
    channel: 'default',
  };
  const network = { locations: snapshot.locations, services: snapshot.services };
  stepRows.push({
    step: `plan() at ${level}`,
    ...(await serial(() => plan(order, network, sellable, tenantPolicy, new Date()))),
  });
}
const wholeClient = leanClient(new URL(url));
const wholeRequest = postBytes(new URL(url), headers, bodies[0]!);
stepRows.push({
  step: 'POST /v1/promise over HTTP, whole',
  ...(await serial(async () => {
    const res = await wholeClient.send(wholeRequest);
    if (res.status !== 200) throw new Error(`the promise request answered ${res.status}: ${res.body}`);
  })),
});
wholeClient.close();
table(stepRows);

await load.close();
await new Promise<void>((resolve) => server.close(() => resolve()));
await db.close();
