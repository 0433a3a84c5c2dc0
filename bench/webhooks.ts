/**
 * npm run bench -- webhooks
 *
 * Outbound webhooks end to end, in one process as a worker runs them: events published in their
 * own transactions at a fixed open-loop rate (from a thread of their own with its own connections,
 * as an API process would publish them, not on the workers' event loop), numbered by the sequencer, handed to the
 * per-endpoint durable drains (DBOS) by the `webhooks` event consumer, and sent by them, signed,
 * to 10 HTTP receivers on 127.0.0.1 (in a worker thread of their own unless BENCH_RECEIVERS=inline,
 * so serving the requests does not take the workers' event loop). One receiver answers 500 to a
 * random half of the requests
 * (seeded), so its drain retries on the real schedule (1-5 s, then up to 30 s, …) while holding
 * back its own later events. Lag per delivery = the receiver's clock when the request arrived −
 * the publisher's clock when COMMIT returned (same process, same clock; each thread's
 * `performance.timeOrigin + now()`). After each rate the run
 * waits for the 9 healthy endpoints to catch up; what has not arrived by then is cancelled the
 * way the API cancels it (disable, enable), so each rate starts with empty queues. At the end it
 * checks that every event reached every healthy endpoint exactly once (by webhook-id) or was
 * cancelled and never arrived, in seq order, and that the first 5 signatures at each endpoint verified on arrival.
 *
 * Next to it, at the same rates on the same PostgreSQL: the least a database can do for the same
 * job, one autocommit `insert … ; pg_notify(…)` per event heard by 10 LISTEN connections, and that
 * path's limit from closed-loop clients. The ratio says what the rest (outbox, sequencer, consumer,
 * durable drain, signing, HTTP) costs.
 *
 * BENCH_RATES (default 2,100,250,500 events/s; 2/s shows what an idle pipeline adds), BENCH_SECONDS
 * per rate, BENCH_DRAIN_TIMEOUT_S (default 60) for the healthy endpoints to catch up after each
 * rate, BENCH_FAIL_RATIO (default 0.5; 0 makes the 10th endpoint answer everything, to compare),
 * BENCH_RECEIVERS (thread, the default, or inline: on the workers' thread, as runs before had it),
 * BENCH_WORKERS (default 1): more than 1 adds `orderly worker` processes on the same database, as a
 * deployment would, so the drains are shared between processes. Each rate also reports how busy this process's main thread was and its CPU time, to tell the
 * bench's own share apart.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { loadConfig } from '../server/src/config.ts';
import { withTransaction } from '../server/src/db/pool.ts';
import { createDemo, DEMO_TENANT_ID } from '../server/src/demo.ts';
import type { Deps } from '../server/src/http/context.ts';
import { newId } from '../server/src/lib/ids.ts';
import { EVENT_SCHEMAS } from '../server/src/modules/events/catalogue.ts';
import { EVENTS_CHANNEL } from '../server/src/modules/events/stream.ts';
import { CreateWebhookSchema } from '../server/src/modules/webhooks/schema.ts';
import { createWebhook, setEnabled, setSettings } from '../server/src/modules/webhooks/service.ts';
import { createMetrics } from '../server/src/system/metrics.ts';
import { startWorkers } from '../server/src/workflows/runtime.ts';
import { coresBetween, cpuSeconds, processSeconds } from './lib/cpu.ts';
import { benchDatabase, log } from './lib/database.ts';
import { BENCH_SECONDS, table, throughput } from './lib/measure.ts';
import { openLoop } from './lib/open-loop.ts';
import { publishThread } from './lib/publish-load.ts';
import { rng } from './lib/sourcing-network.ts';

const RATES = (process.env.BENCH_RATES ?? '2,100,250,500').split(',').map(Number);
const DRAIN_TIMEOUT_S = Number(process.env.BENCH_DRAIN_TIMEOUT_S ?? 60);
const ENDPOINTS = 10;
const FAILING = ENDPOINTS - 1; // the last receiver answers 500 half the time
/** The failing receiver's share of 500 answers; 0 makes it a 10th healthy one, for comparison. */
const FAIL_RATIO = Number(process.env.BENCH_FAIL_RATIO ?? 0.5);
const RAW_CLIENTS = 16;
const POOL_SIZE = 40;
const TARGET = { rate: 500, p99_ms: 1000 };
const EVENT_TYPE = 'order.held';
const actor = { type: 'system' as const, id: 'bench' };
/** Epoch milliseconds with sub-millisecond precision, comparable with database timestamps. */
const clock = () => performance.timeOrigin + performance.now();

console.log(
  `webhooks benchmark: ${ENDPOINTS} endpoints (1 failing half the time), rates ${RATES.join(', ')} events/s, ` +
    `${BENCH_SECONDS} s each, ${cpus().length} cores (PostgreSQL, the workers, the receivers and the ` +
    'load generator share them)\n',
);

const db = await benchDatabase(POOL_SIZE + RAW_CLIENTS);
const pool = db.pool;
const databaseUrl = pool.options.connectionString!;
await createDemo(pool);
const T = DEMO_TENANT_ID;

// ── the receivers ───────────────────────────────────────────────────────────────────────────
/**
 * Each receiver's record, kept in this thread. The receivers' HTTP servers run in a worker thread
 * of their own by default (BENCH_RECEIVERS=thread), as receivers elsewhere would: in this thread
 * they would share one event loop with the workers' HTTP client, and serving 10 × the rate of
 * requests there is work the bench adds, not Orderly. BENCH_RECEIVERS=inline keeps them here.
 */
type Receiver = {
  url: string;
  /** First 2xx receipt per webhook-id (the event id), epoch ms. */
  received: Map<string, number>;
  /** 2xx receipts of an id already received: must stay 0. */
  duplicates: number;
  requests: number;
  refused: number;
  /** webhook-id that differs from the body's data.event_id: must stay 0. */
  mismatched: number;
  seqOf: Map<string, number>;
  /** The first few deliveries are verified on arrival, once the secret is known. */
  verified: number;
  badSignatures: string[];
};

/** What a receiver saw, one message per request (from its thread, in batches). */
type Seen =
  | { i: number; kind: 'refused' }
  | {
      i: number;
      kind: 'ok';
      id: string;
      at: number;
      seq: number;
      mismatched: boolean;
      verify?: string | null;
    };

/**
 * The servers, for this thread or a worker thread (then as source: plain JavaScript, CommonJS).
 * `report` gets what each request saw; `secrets[i]`, once set, verifies the first 5 at i.
 */
function receiverServers(
  deps: {
    http: typeof http;
    Webhook: typeof Webhook;
    clock: () => number;
    rng: (seed: number) => () => number;
  },
  n: number,
  failingIndex: number,
  failRatio: number,
  secrets: (string | undefined)[],
  report: (s: Seen) => void,
) {
  const servers: http.Server[] = [];
  for (let i = 0; i < n; i++) {
    const flip = deps.rng(42);
    let checked = 0;
    const server = deps.http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const at = deps.clock();
        if (i === failingIndex && flip() < failRatio) {
          report({ i, kind: 'refused' });
          res.writeHead(500).end('no');
          return;
        }
        const body = Buffer.concat(chunks).toString('utf8');
        const id = String(req.headers['webhook-id']);
        const payload = JSON.parse(body) as { data: { seq: number; event_id: string } };
        let verify: string | null | undefined;
        // Verified as a receiver would, on arrival (the timestamp must be recent), the first few only.
        const secret = secrets[i];
        if (secret && checked < 5) {
          checked++;
          try {
            new deps.Webhook(secret).verify(body, {
              'webhook-id': id,
              'webhook-timestamp': String(req.headers['webhook-timestamp']),
              'webhook-signature': String(req.headers['webhook-signature']),
            });
            verify = null;
          } catch (err) {
            verify = (err as Error).message;
          }
        }
        report({
          i,
          kind: 'ok',
          id,
          at,
          seq: payload.data.seq,
          mismatched: payload.data.event_id !== id,
          verify,
        });
        res.writeHead(200).end('ok');
      });
    });
    servers.push(server);
  }
  return servers;
}

const RECEIVERS_MODE = process.env.BENCH_RECEIVERS ?? 'thread';
const receivers: Receiver[] = Array.from({ length: ENDPOINTS }, () => ({
  url: '',
  received: new Map(),
  duplicates: 0,
  requests: 0,
  refused: 0,
  mismatched: 0,
  seqOf: new Map(),
  verified: 0,
  badSignatures: [],
}));
function seen(s: Seen) {
  const r = receivers[s.i]!;
  r.requests++;
  if (s.kind === 'refused') {
    r.refused++;
    return;
  }
  if (s.mismatched) r.mismatched++;
  if (r.received.has(s.id)) r.duplicates++;
  else {
    r.received.set(s.id, s.at);
    r.seqOf.set(s.id, s.seq);
  }
  if (s.verify !== undefined) {
    r.verified++;
    if (s.verify !== null) r.badSignatures.push(s.verify);
  }
}

/** Starts the receivers; returns how to hand them the secrets and how to stop them. */
async function startReceivers() {
  if (RECEIVERS_MODE === 'inline') {
    const secrets: (string | undefined)[] = [];
    const servers = receiverServers(
      { http, Webhook, clock, rng },
      ENDPOINTS,
      FAILING,
      FAIL_RATIO,
      secrets,
      seen,
    );
    for (const [i, server] of servers.entries()) {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      receivers[i]!.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    }
    return {
      setSecret: (i: number, secret: string) => {
        secrets[i] = secret;
      },
      /** What has been seen so far is already counted here. */
      settle: async () => undefined,
      stop: async () => {
        for (const server of servers) {
          server.closeAllConnections();
          await new Promise<void>((resolve) => server.close(() => resolve()));
        }
      },
    };
  }
  const source = `
    const __name = (f) => f; // the helper esbuild's keepNames calls in the functions below
    const { parentPort, workerData } = require('node:worker_threads');
    const http = require('node:http');
    const { performance } = require('node:perf_hooks');
    const { Webhook } = require(workerData.standardwebhooks);
    const clock = () => performance.timeOrigin + performance.now();
    const rng = ${rng.toString()};
    const receiverServers = ${receiverServers.toString()};
    const secrets = [];
    let outbox = [];
    const flush = () => {
      if (outbox.length > 0) parentPort.postMessage({ type: 'seen', items: outbox });
      outbox = [];
    };
    setInterval(flush, 20);
    const servers = receiverServers({ http, Webhook, clock, rng }, workerData.n, workerData.failing,
      workerData.failRatio, secrets, (s) => outbox.push(s));
    let listening = 0;
    for (const s of servers) s.listen(0, '127.0.0.1', () => {
      if (++listening === servers.length) {
        parentPort.postMessage({ type: 'ready', ports: servers.map((x) => x.address().port) });
      }
    });
    parentPort.on('message', (m) => {
      if (m.type === 'secret') secrets[m.i] = m.secret;
      if (m.type === 'flush') {
        flush();
        parentPort.postMessage({ type: 'flushed' });
      }
    });
  `;
  const worker = new Worker(source, {
    eval: true,
    workerData: {
      n: ENDPOINTS,
      failing: FAILING,
      failRatio: FAIL_RATIO,
      standardwebhooks: createRequire(import.meta.url).resolve('standardwebhooks'),
    },
  });
  let flushed: (() => void) | undefined;
  const ports = await new Promise<number[]>((resolve, reject) => {
    worker.on('error', reject);
    worker.on('message', (m: { type: string; ports?: number[]; items?: Seen[] }) => {
      if (m.type === 'ready') resolve(m.ports!);
      else if (m.type === 'seen') for (const s of m.items!) seen(s);
      else if (m.type === 'flushed') flushed?.();
    });
  });
  ports.forEach((port, i) => {
    receivers[i]!.url = `http://127.0.0.1:${port}/hook`;
  });
  return {
    setSecret: (i: number, secret: string) => worker.postMessage({ type: 'secret', i, secret }),
    /** Waits until what the thread has seen is counted here. */
    settle: () =>
      new Promise<void>((resolve) => {
        flushed = resolve;
        worker.postMessage({ type: 'flush' });
      }),
    stop: () => worker.terminate().then(() => undefined),
  };
}

const receiverControl = await startReceivers();
const healthy = receivers.filter((_, i) => i !== FAILING);
const failing = receivers[FAILING]!;

// ── Orderly: the endpoints, then the workers ──────────────────────────────────────────────────
const config = { ...loadConfig({}), rateLimitPerSecond: 0 };
const deps: Deps = { config, pool, log, metrics: createMetrics() };
const webhookIds: string[] = [];
await withTransaction(pool, async (tx) => {
  await setSettings(tx, T, actor, { allow_private_webhook_urls: true });
});
for (const [i, r] of receivers.entries()) {
  const w = await withTransaction(pool, (tx) =>
    createWebhook(
      tx,
      T,
      actor,
      CreateWebhookSchema.parse({ url: r.url, event_types: [EVENT_TYPE], description: 'bench' }),
      config,
    ),
  );
  receiverControl.setSecret(i, w.secret);
  webhookIds.push(w.webhook_id);
}
const workers = await startWorkers(deps, databaseUrl, { executorId: 'bench-webhooks', role: 'all' });
const extraWorkers = await startExtraWorkers(Number(process.env.BENCH_WORKERS ?? 1) - 1);

/** `orderly worker` processes on the bench's database, registered before the load starts. */
async function startExtraWorkers(n: number) {
  const bin = new URL('../server/bin/orderly.js', import.meta.url).pathname;
  const children = Array.from({ length: n }, (_, i) =>
    spawn(process.execPath, [bin, 'worker', '--executor-id', `bench-webhooks-${i + 2}`], {
      env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'inherit', 'inherit'],
    }),
  );
  for (const child of children) {
    for (let waited = 0; ; waited += 250) {
      const { rowCount } = await pool.query('select 1 from orderly_system.workers where pid = $1', [
        child.pid,
      ]);
      if (rowCount) break;
      if (waited > 120_000 || child.exitCode !== null) throw new Error('an extra worker did not start');
      await sleep(250);
    }
  }
  return children;
}

// When each seq was numbered: the sequencer's notification (sent when its numbering commits).
const numbered: { at: number; top: number }[] = [];
const eventsListener = new pg.Client({ connectionString: databaseUrl });
await eventsListener.connect();
eventsListener.on('notification', (n) => numbered.push({ at: clock(), top: Number(n.payload) }));
await eventsListener.query(`listen ${EVENTS_CHANNEL}`);

const orderData = (orderId: string) =>
  EVENT_SCHEMAS[EVENT_TYPE].parse({ order_id: orderId, reason: 'bench: held for review' });
orderData('ord_check'); // the data is valid for the type's published schema

/** Commit time (epoch ms) per event id, set when COMMIT has returned. */
const committed = new Map<string, number>();
let orderN = 0;
/**
 * Publishes at `rate` for `seconds` from the publisher's thread (its own connections, as an API
 * process would publish), adding the events' ids to `ids`.
 */
async function publishFor(rate: number, seconds: number, ids: string[]) {
  const result = await publisher.run({
    databaseUrl,
    tenantId: T,
    type: EVENT_TYPE,
    rate,
    seconds,
    first: orderN,
  });
  orderN += Math.max(1, Math.round(rate * seconds));
  for (const [id, at] of result.committed) {
    committed.set(id, at);
    ids.push(id);
  }
  return result;
}
const publisher = publishThread();

// ── raw PostgreSQL: insert + notify, heard by 10 LISTEN connections ──────────────────────────
await pool.query(
  `create table bench_raw_events (id bigserial primary key, event_id text not null, data jsonb not null,
     created_at timestamptz not null default now())`,
);
const rawHeard = Array.from({ length: ENDPOINTS }, () => new Map<string, number>());
const rawListeners: pg.Client[] = [];
for (const heard of rawHeard) {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  c.on('notification', (n) => {
    if (n.payload && !heard.has(n.payload)) heard.set(n.payload, clock());
  });
  await c.query('listen bench_raw');
  rawListeners.push(c);
}
const rawCommitted = new Map<string, number>();
const rawOne = (ids: string[]) => async () => {
  const event_id = newId('evt');
  const subject = `ord_raw_${++orderN}`;
  await pool.query(
    `with i as (insert into bench_raw_events (event_id, data) values ($1, $2) returning event_id)
     select pg_notify('bench_raw', event_id) from i`,
    [event_id, JSON.stringify({ type: EVENT_TYPE, subject, data: orderData(subject) })],
  );
  rawCommitted.set(event_id, clock());
  ids.push(event_id);
  return true;
};

// ── measuring ───────────────────────────────────────────────────────────────────────────────
const pctOf = (xs: number[], p: number) =>
  xs.length === 0 ? Number.NaN : xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
function stats(xs: number[]) {
  xs.sort((a, b) => a - b);
  return {
    n: xs.length,
    sorted: xs,
    p50: pctOf(xs, 50),
    p95: pctOf(xs, 95),
    p99: pctOf(xs, 99),
    max: xs.at(-1) ?? Number.NaN,
  };
}
/** Lags of these events at these sinks, and how many have not arrived. */
function lags(ids: string[], sinks: Map<string, number>[], commits: Map<string, number>) {
  const out: number[] = [];
  let missing = 0;
  for (const sink of sinks) {
    for (const id of ids) {
      const at = sink.get(id);
      if (at === undefined) missing++;
      else out.push(at - commits.get(id)!);
    }
  }
  return { ...stats(out), missing };
}
/** Deliveries per second per sink that arrived between `from` and `to`. */
function deliveredPerSecond(ids: string[], sinks: Map<string, number>[], from: number, to: number) {
  let n = 0;
  for (const sink of sinks) for (const id of ids) if ((sink.get(id) ?? Infinity) <= to) n++;
  return n / sinks.length / ((to - from) / 1000);
}
async function waitFor(what: string, done: () => number, timeout_s: number) {
  const deadline = clock() + timeout_s * 1000;
  let last = 0;
  for (;;) {
    const left = done();
    if (left === 0) return true;
    if (clock() > deadline) return false;
    if (clock() - last > 5000) {
      process.stderr.write(`   … waiting for ${what}: ${left} deliveries to go\n`);
      last = clock();
    }
    await sleep(100);
  }
}
const missingAt = (ids: string[], sinks: Map<string, number>[]) =>
  sinks.reduce((n, s) => n + ids.filter((id) => !s.has(id)).length, 0);

const healthyMaps = healthy.map((r) => r.received);
const rows: Record<string, string | number>[] = [];
const stageRows: Record<string, string | number>[] = [];
const problems: string[] = [];
const failingLines: string[] = [];
const notes: string[] = [];
const allOrderlyIds: string[] = [];
const fmt = (x: number) => (Number.isNaN(x) ? 'n/a' : x < 10 ? x.toFixed(1) : Math.round(x).toString());

// Warm-up: connections, JIT, the drains' first runs (not measured).
{
  const ids: string[] = [];
  await publishFor(50, 1, ids);
  const ok = await waitFor('the warm-up', () => missingAt(ids, healthyMaps), 60);
  if (!ok) problems.push('the warm-up events did not reach every healthy endpoint within 60 s');
  allOrderlyIds.push(...ids);
  await openLoop(50, 1, rawOne([]));
}

// One commit alone: a single client's autocommit insert, what every durable step pays at least.
const oneCommit = await throughput(1, 2, rawOne([]));

// The raw limit: closed loop, as many insert+notify as RAW_CLIENTS clients can commit.
const limitIds: string[] = [];
const rawLimitStart = clock();
await throughput(RAW_CLIENTS, BENCH_SECONDS, rawOne(limitIds));
const rawLimitEnd = clock();
await waitFor('raw listeners', () => missingAt(limitIds, rawHeard), 30);
const rawLimitHeard = deliveredPerSecond(limitIds, rawHeard, rawLimitStart, rawLimitEnd);
const rawLimitLag = lags(limitIds, rawHeard, rawCommitted);
rows.push({
  'offered/s': 'max',
  path: `raw: insert+notify, ${RAW_CLIENTS} clients closed loop → 10 LISTEN`,
  'events/s': rawLimitHeard,
  'incl. wait /s': '',
  'p50 ms': fmt(rawLimitLag.p50),
  'p95 ms': fmt(rawLimitLag.p95),
  'p99 ms': fmt(rawLimitLag.p99),
  'max ms': fmt(rawLimitLag.max),
  undelivered: rawLimitLag.missing,
  ratio: '',
});

const healthyWebhookIds = webhookIds.filter((_, i) => i !== FAILING);
/** Transactions committed in the bench database so far (Orderly's tables and DBOS's share it). */
const commitsSoFar = async () =>
  (
    await pool.query<{ n: number }>(
      'select xact_commit::bigint as n from pg_stat_database where datname = current_database()',
    )
  ).rows[0]!.n;

/**
 * What a rate left undelivered after the wait is cancelled the way the API does it (disabling an
 * endpoint cancels its pending deliveries; enabling it again sends nothing old), so the next rate
 * starts with empty queues. Returns the (event, endpoint) pairs cancelled, which the final check
 * accounts for.
 */
async function cancelBacklog(ids: string[]) {
  for (const w of healthyWebhookIds) {
    await withTransaction(pool, (tx) => setEnabled(tx, T, actor, w, false, 'bench: rate over'));
  }
  await sleep(3000); // attempts in flight finish and are recorded; drains find the endpoint disabled
  for (const w of healthyWebhookIds) {
    await withTransaction(pool, (tx) => setEnabled(tx, T, actor, w, true, ''));
  }
  const { rows: cancelled } = await pool.query<{ event_id: string; webhook_id: string }>(
    `select event_id, webhook_id from webhook_deliveries
     where tenant_id = $1 and event_id = any($2) and webhook_id = any($3) and status = 'cancelled'`,
    [T, ids, healthyWebhookIds],
  );
  return cancelled.map((c) => `${c.webhook_id} ${c.event_id}`);
}
const cancelledPairs = new Set<string>();

for (const rate of RATES) {
  // raw at this rate
  const rawIds: string[] = [];
  const r0 = clock();
  await openLoop(rate, BENCH_SECONDS, rawOne(rawIds));
  const r1 = clock();
  await waitFor('raw listeners', () => missingAt(rawIds, rawHeard), 30);
  const rl = lags(rawIds, rawHeard, rawCommitted);
  const rawPerS = deliveredPerSecond(rawIds, rawHeard, r0, r1);
  rows.push({
    'offered/s': rate,
    path: 'raw: insert+notify → 10 LISTEN',
    'events/s': rawPerS,
    'incl. wait /s': '',
    'p50 ms': fmt(rl.p50),
    'p95 ms': fmt(rl.p95),
    'p99 ms': fmt(rl.p99),
    'max ms': fmt(rl.max),
    undelivered: rl.missing,
    ratio: '1.00',
  });

  // Orderly at this rate
  process.stderr.write(`   rate ${rate}/s: publishing for ${BENCH_SECONDS} s\n`);
  const ids: string[] = [];
  const failingBefore = failing.received.size;
  const commits0 = await commitsSoFar();
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const machine0 = cpuSeconds();
  const extra0 = processSeconds(extraWorkers.map((c) => c.pid!));
  const t0 = clock();
  const commits = await publishFor(rate, BENCH_SECONDS, ids);
  const t1 = clock();
  const perS = deliveredPerSecond(ids, healthyMaps, t0, t1);
  const drained = await waitFor(
    `the 9 healthy endpoints at ${rate}/s`,
    () => missingAt(ids, healthyMaps),
    DRAIN_TIMEOUT_S,
  );
  const t2 = clock();
  // Is this process the limit? Its main thread (workers, publisher, and inline receivers) and its
  // CPU time in cores (every thread), over the load and the wait.
  const busy = performance.eventLoopUtilization(elu0).utilization;
  const cpu = process.cpuUsage(cpu0);
  const cores = (cpu.user + cpu.system) / 1000 / (t2 - t0);
  const used = coresBetween(machine0, cpuSeconds(), (t2 - t0) / 1000);
  const extraCores = (processSeconds(extraWorkers.map((c) => c.pid!)) - extra0) / ((t2 - t0) / 1000);
  const delivered = ids.length * healthy.length - missingAt(ids, healthyMaps);
  const commitsPerDelivery = ((await commitsSoFar()) - commits0 - ids.length) / Math.max(1, delivered);
  allOrderlyIds.push(...ids);
  const ol = lags(ids, healthyMaps, committed);
  // Undelivered pairs count as later than the wait in the percentiles.
  const tail = (p: number) => {
    const all = ol.n + ol.missing;
    const k = Math.min(all - 1, Math.floor((p / 100) * all));
    return k < ol.n ? fmt(ol.sorted[k]!) : `> ${Math.round(t2 - t1)}`;
  };
  rows.push({
    'offered/s': rate,
    path: 'Orderly → 9 healthy endpoints',
    'events/s': perS,
    'incl. wait /s': delivered / healthy.length / ((t2 - t0) / 1000),
    'p50 ms': tail(50),
    'p95 ms': tail(95),
    'p99 ms': tail(99),
    'max ms': ol.missing > 0 ? `> ${Math.round(t2 - t1)}` : fmt(ol.max),
    undelivered: ol.missing,
    ratio: (perS / rawPerS).toFixed(2),
  });
  const fl = lags(ids, [failing.received], committed);
  rows.push({
    'offered/s': rate,
    path: 'Orderly → the failing endpoint',
    'events/s': deliveredPerSecond(ids, [failing.received], t0, t1),
    'incl. wait /s': (ids.length - fl.missing) / ((t2 - t0) / 1000),
    'p50 ms': fmt(fl.p50),
    'p95 ms': fmt(fl.p95),
    'p99 ms': fmt(fl.p99),
    'max ms': fmt(fl.max),
    undelivered: fl.missing,
    ratio: '',
  });
  failingLines.push(
    `   ${rate}/s: the failing endpoint accepted ${failing.received.size - failingBefore} events during this rate and its wait ` +
      `(${((t2 - t0) / 1000).toFixed(0)} s); ${fl.missing} of this rate's ${ids.length} were still queued behind its retries.`,
  );
  if (commits.errors > 0) problems.push(`at ${rate}/s, ${commits.errors} publishing transactions failed`);
  stageRows.push({
    'offered/s': rate,
    ...(await stages(ids, t0, t2)),
    'commits/delivery': commitsPerDelivery.toFixed(1),
    'publish p99 ms': fmt(commits.p99_ms),
    'main loop busy': `${Math.round(busy * 100)}%`,
    'process CPU': `${cores.toFixed(2)} cores`,
    ...(extraWorkers.length > 0 ? { 'other workers CPU': `${extraCores.toFixed(2)} cores` } : {}),
    'PostgreSQL CPU': `${used.postgres.toFixed(2)} cores`,
    'machine busy': `${Math.round(used.machine_busy * 100)}%`,
  });
  if (!drained) {
    const cancelled = await cancelBacklog(ids);
    for (const c of cancelled) cancelledPairs.add(c);
    notes.push(
      `${rate}/s: ${ol.missing} of ${ids.length * healthy.length} healthy deliveries had not arrived ` +
        `${DRAIN_TIMEOUT_S} s after the load ended; ${cancelled.length} were cancelled (endpoints disabled and enabled) so the next rate starts empty.`,
    );
  }
}

/**
 * Where a healthy delivery's lag goes, per stage (p50 / p99 ms over this rate's deliveries to the
 * 9 healthy endpoints): commit → numbered (the sequencer's notification) → first attempt started
 * (the consumer waking the drain, the drain's backlog and claim: a first attempt that succeeded is
 * the delivery's `last_attempt_at`, a failed one is in `webhook_attempts`) → received (reading the
 * event, signing, HTTP). Then
 * what one delivery costs an endpoint's serial drain: the time between its successive first
 * attempts, and the drain's steps from DBOS's own record (`dbos.operation_outputs`).
 */
async function stages(ids: string[], from: number, to: number) {
  const { rows: ds } = await pool.query<{
    event_id: string;
    webhook_id: string;
    event_seq: number;
    started_ms: number;
  }>(
    `select d.event_id, d.webhook_id, d.event_seq,
       extract(epoch from coalesce(a.started_at, d.last_attempt_at))::float8 * 1000 as started_ms
     from webhook_deliveries d
     left join webhook_attempts a on a.tenant_id = d.tenant_id and a.delivery_id = d.delivery_id and a.attempt = 1
     where d.tenant_id = $1 and d.event_id = any($2) and d.webhook_id = any($3)
       and (a.attempt is not null or (d.status = 'succeeded' and d.attempts = 1))`,
    [T, ids, healthyWebhookIds],
  );
  const byWebhook = new Map(webhookIds.map((w, i) => [w, receivers[i]!]));
  const seq: number[] = [];
  const drain: number[] = [];
  const send: number[] = [];
  // The first notification whose top seq covers s: when s was numbered and committed.
  const numberedAt = (s: number) => {
    let lo = 0;
    let hi = numbered.length - 1;
    let found = Number.NaN;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (numbered[mid]!.top >= s) {
        found = numbered[mid]!.at;
        hi = mid - 1;
      } else lo = mid + 1;
    }
    return found;
  };
  const perEndpoint = new Map<string, number[]>();
  for (const d of ds) {
    const got = byWebhook.get(d.webhook_id)!.received.get(d.event_id);
    if (got === undefined) continue;
    const num = numberedAt(d.event_seq);
    seq.push(num - committed.get(d.event_id)!);
    drain.push(d.started_ms - num);
    send.push(got - d.started_ms);
    const xs = perEndpoint.get(d.webhook_id) ?? [];
    xs.push(d.started_ms);
    perEndpoint.set(d.webhook_id, xs);
  }
  const cycle: number[] = [];
  for (const xs of perEndpoint.values()) {
    xs.sort((a, b) => a - b);
    for (let i = 1; i < xs.length; i++) cycle.push(xs[i]! - xs[i - 1]!);
  }
  // The drains' steps on the healthy endpoints: how long each ran, and the gap before it (DBOS
  // recording the previous step's output, and the workflow going on).
  const { rows: steps } = await pool.query<{ name: string; n: number; run: number; gap: number }>(
    `with o as (
       select o.function_name as name, o.started_at_epoch_ms as s, o.completed_at_epoch_ms as c,
         lag(o.completed_at_epoch_ms) over (partition by o.workflow_uuid order by o.function_id) as prev
       from dbos.operation_outputs o
       join dbos.workflow_status w on w.workflow_uuid = o.workflow_uuid
       where w.name = 'orderly.webhook-drain' and w.workflow_uuid like any($3)
         and o.started_at_epoch_ms between $1 and $2)
     select name, count(*)::int as n,
       percentile_cont(0.5) within group (order by c - s) as run,
       percentile_cont(0.5) within group (order by s - prev) as gap
     from o where c is not null group by name`,
    [Math.floor(from), Math.ceil(to), healthyWebhookIds.map((w) => `%${w}%`)],
  );
  const { rows: wf } = await pool.query<{ n: number; busy: number }>(
    `select count(*)::int as n,
       count(*) filter (where exists (select 1 from dbos.operation_outputs o
         where o.workflow_uuid = w.workflow_uuid and o.function_name in ('send', 'send-new')))::int as busy
     from dbos.workflow_status w
     where w.name = 'orderly.webhook-drain' and w.created_at between $1 and $2`,
    [Math.floor(from), Math.ceil(to)],
  );
  const s = (xs: number[]) => {
    const st = stats(xs);
    return `${fmt(st.p50)} / ${fmt(st.p99)}`;
  };
  const step = (name: string) => {
    const x = steps.find((r) => r.name === name);
    return x ? `${fmt(x.run)} (+${fmt(x.gap ?? Number.NaN)})` : 'n/a';
  };
  return {
    'commit→numbered': s(seq),
    'numbered→attempt': s(drain),
    'attempt→received': s(send),
    'drain cycle p50': fmt(stats(cycle).p50),
    'batches from the log (mean size)': (() => {
      const n = steps.find((r) => r.name === 'send-new')?.n ?? 0;
      return n === 0 ? 'n/a' : `${n} (${Math.round(ds.length / n)})`;
    })(),
    'claim (+gap)': step('claim'),
    'send new (+gap)': step('send-new'),
    'record new (+gap)': step('record-new'),
    'retry send (+gap)': step('send'),
    'drains started (sent)': `${wf[0]?.n ?? 0} (${wf[0]?.busy ?? 0})`,
  };
}

// ── checks ──────────────────────────────────────────────────────────────────────────────────
await receiverControl.settle();
const expected = new Set(allOrderlyIds);
healthy.forEach((r, i) => {
  const w = healthyWebhookIds[i]!;
  const missing = allOrderlyIds.filter(
    (id) => !r.received.has(id) && !cancelledPairs.has(`${w} ${id}`),
  ).length;
  const extra = [...r.received.keys()].filter((id) => !expected.has(id)).length;
  if (missing > 0)
    problems.push(`healthy endpoint ${i + 1}: ${missing} events neither arrived nor were cancelled`);
  if (extra > 0) problems.push(`healthy endpoint ${i + 1}: ${extra} unexpected events`);
  if (r.duplicates > 0) problems.push(`healthy endpoint ${i + 1}: ${r.duplicates} events arrived twice`);
  if (r.refused > 0) problems.push(`healthy endpoint ${i + 1}: answered 500 (it should not)`);
});
for (const pair of cancelledPairs) {
  const [w, id] = pair.split(' ');
  if (receivers[webhookIds.indexOf(w!)]!.received.has(id!))
    problems.push(`${pair}: cancelled, yet it arrived`);
}
if (failing.duplicates > 0)
  problems.push(`the failing endpoint got ${failing.duplicates} accepted duplicates`);
receivers.forEach((r, i) => {
  if (r.mismatched > 0)
    problems.push(`endpoint ${i + 1}: webhook-id differs from data.event_id ${r.mismatched} times`);
  if (r.verified === 0) problems.push(`endpoint ${i + 1}: no signature was verified`);
  for (const m of r.badSignatures) problems.push(`endpoint ${i + 1}: a signature did not verify (${m})`);
});
// Per endpoint, seq order: every endpoint must have accepted its events in seq order.
receivers.forEach((r, i) => {
  const bySeq = [...r.received].sort((a, b) => a[1] - b[1]).map(([id]) => r.seqOf.get(id)!);
  if (bySeq.some((s, k) => k > 0 && s < bySeq[k - 1]!)) problems.push(`endpoint ${i + 1}: out of seq order`);
});

console.log('');
table(rows);
console.log(
  `\n   events/s: deliveries per endpoint that arrived while the rate was offered (${BENCH_SECONDS} s); ` +
    'incl. wait /s: the same over the load and the wait after it; ' +
    "lag: receive − COMMIT returned, over every delivery of that rate's events, including those that came " +
    `in the wait after the load (up to ${DRAIN_TIMEOUT_S} s; what had not arrived by then counts as later than ` +
    'that). ratio: events/s over those of raw at the same offered rate. The raw lag can be below 0: a listener may hear ' +
    "the notification before the publisher's COMMIT answer is read.",
);
console.log(
  `   one commit alone (1 client, autocommit insert): p50 ${fmt(oneCommit.p50_ms)} ms, p99 ${fmt(oneCommit.p99_ms)} ms.`,
);
console.log("\nwhere a healthy delivery's lag goes (p50 / p99 ms; steps: p50 ms run (+ gap before it)):\n");
table(stageRows);
console.log(
  '\n   commit→numbered: the sequencer (its notification); numbered→attempt: the webhooks consumer waking ' +
    "the endpoint's drain, and waiting in it (its backlog, queue and claim); attempt→received: reading the " +
    'event, signing, HTTP. drain cycle: time between successive first attempts on one endpoint, what one ' +
    "delivery costs its serial drain. claim / send new / record new: the drain's DBOS steps for events read " +
    'from the log after its cursor; retry send: for deliveries with a row (retries, replays) (dbos.operation_outputs). commits/delivery: transactions committed in the database (Orderly ' +
    "and DBOS, reads and background polling included) per delivery, the publisher's own left out. drains started (sent): orderly.webhook-drain " +
    'workflows started during the rate and its wait (those that sent anything). main loop busy: the ' +
    "event-loop utilisation of this process's main thread (the workers, the publisher, and the receivers " +
    `when inline); process CPU: this process's CPU time (every thread) per second of wall clock; ` +
    'other workers CPU: the same for the BENCH_WORKERS − 1 worker processes; PostgreSQL CPU: the same for every postgres process; machine busy: the share of all cores in use, ' +
    'whoever used them (from /proc); the ' +
    `receivers ran ${RECEIVERS_MODE === 'inline' ? 'on the main thread (BENCH_RECEIVERS=inline)' : 'in a thread of their own (BENCH_RECEIVERS=thread)'}.\n`,
);
for (const l of failingLines) console.log(l);
console.log(
  `   In all, the failing endpoint answered ${failing.refused} of ${failing.requests} requests with 500 and accepted ` +
    `${failing.received.size} of the ${allOrderlyIds.length} events, in seq order (its retries wait 1-5 s, then up to 30 s, …).`,
);
for (const n of notes) console.log(`   ${n}`);
const best500 = rows.find((r) => r['offered/s'] === TARGET.rate && String(r.path).startsWith('Orderly → 9'));
// Met when 99% of the deliveries arrived within the bound and none is missing: that is keeping up
// with the rate. The in-window events/s is not a criterion: at a lag of half a second, the last
// half second's deliveries land after an 8 s window, so it stays near 94% of the rate however
// well the pipeline keeps up.
const met = best500 !== undefined && Number(best500['p99 ms']) <= TARGET.p99_ms && best500.undelivered === 0;
console.log(
  `\n   target (issue): p99 lag ≤ ${TARGET.p99_ms} ms at ${TARGET.rate} events/s on the healthy endpoints: ` +
    `${best500 ? (met ? 'MET' : 'NOT MET') : 'not measured (add 500 to BENCH_RATES)'}.`,
);
if (problems.length === 0) {
  console.log(
    `   check: every one of the ${allOrderlyIds.length} events reached each of the 9 healthy endpoints exactly ` +
      `once (by webhook-id)${cancelledPairs.size > 0 ? `, except ${cancelledPairs.size} deliveries cancelled after a wait (above), none of which arrived` : ''}; ` +
      'every endpoint in seq order; webhook-id = data.event_id; the first 5 signatures at each endpoint verified on arrival.',
  );
} else {
  console.log('\n   CHECK FAILED:');
  for (const p of problems) console.log(`   - ${p}`);
  process.exitCode = 1;
}

// ── shutdown ────────────────────────────────────────────────────────────────────────────────
for (const child of extraWorkers) child.kill('SIGTERM');
await publisher.close();
await workers.stop();
await eventsListener.end();
for (const c of rawListeners) await c.end();
await receiverControl.stop();
await db.close();
// The failing endpoint's drain may be in a durable sleep until its next retry (minutes away): DBOS
// leaves that timer behind at shutdown, which would keep the process alive until it fires.
process.exit();
