/**
 * npm run bench -- webhook-budget
 *
 * What the webhooks target (10 endpoints, p99 lag ≤ 1 s at 500 events/s) leaves for delivery on
 * this machine, from two floors measured alone:
 *
 * 1. Publishing: events published with `publish()`, each in its own transaction, open loop at
 *    each rate (BENCH_RATES, default 500), with the workers running (the sequencer and the event
 *    consumers) and no webhook endpoint. The CPU of this process (every thread) and of every
 *    PostgreSQL process on the machine (from /proc), per second.
 * 2. The HTTP exchange: 10 keep-alive streams, one request after another on each, of a
 *    webhook-sized signed POST from this process (undici, as the workers send) to a node:http
 *    receiver in a child process; CPU per request on each side.
 *
 * Then: the cores both take at the rate with 10 endpoints, and the CPU left per delivery for the
 * rest (reading the event, signing, recording the delivery, DBOS's checkpoints). Last, what the
 * drains spend today (4): DRAIN_EVENTS (default 10,000) events published first, then 10 endpoints
 * pointed at them and woken by one more; the drains deliver every one to the receiver, and the CPU
 * of this process and of PostgreSQL is divided by the deliveries.
 */
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { loadConfig } from '../server/src/config.ts';
import { withTransaction } from '../server/src/db/pool.ts';
import { createDemo, DEMO_TENANT_ID } from '../server/src/demo.ts';
import { newId } from '../server/src/lib/ids.ts';
import { EVENT_SCHEMAS } from '../server/src/modules/events/catalogue.ts';
import { publish } from '../server/src/modules/events/service.ts';
import { CreateWebhookSchema } from '../server/src/modules/webhooks/schema.ts';
import { createWebhook, setSettings } from '../server/src/modules/webhooks/service.ts';
import { createMetrics } from '../server/src/system/metrics.ts';
import { startWorkers } from '../server/src/workflows/runtime.ts';
import { coresBetween, cpuSeconds } from './lib/cpu.ts';
import { benchDatabase, log } from './lib/database.ts';
import { BENCH_SECONDS, table } from './lib/measure.ts';
import { openLoop } from './lib/open-loop.ts';

// The receiver, in a process of its own as receivers elsewhere would be: 200 to every POST.
const RECEIVER = `
  const http = require('node:http');
  let requests = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => { requests++; res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'); });
  });
  server.keepAliveTimeout = 60000;
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('message', () => process.send({ cpu: process.cpuUsage(), requests }));
`;

await main();

async function main() {
  const CORES = cpus().length;
  const ENDPOINTS = 10;
  const RATES = (process.env.BENCH_RATES ?? '500').split(',').map(Number);
  console.log(
    `webhook budget: ${CORES} cores, ${ENDPOINTS} endpoints, rates ${RATES.join(', ')} events/s, ` +
      `${BENCH_SECONDS} s per measurement\n`,
  );

  // ── 1. publishing alone ──
  const db = await benchDatabase(40);
  const pool = db.pool;
  await createDemo(pool);
  const deps = { config: loadConfig({}), pool, log, metrics: createMetrics() };
  const workers = await startWorkers(deps, pool.options.connectionString!, {
    executorId: 'bench-webhook-budget',
    role: 'all',
  });
  let n = 0;
  const publishOne = async () => {
    const subject = `ord_budget_${++n}`;
    const data = EVENT_SCHEMAS['order.held'].parse({ order_id: subject, reason: 'bench: held for review' });
    await withTransaction(pool, (tx) =>
      publish(
        tx,
        DEMO_TENANT_ID,
        { type: 'system', id: 'bench' },
        {
          type: 'order.held',
          subject,
          data,
          event_id: newId('evt'),
        },
      ),
    );
    return true;
  };
  await openLoop(50, 2, publishOne); // warm-up: connections, JIT
  const window = async <T>(work: () => Promise<T>) => {
    const a = cpuSeconds();
    const t0 = performance.now();
    const result = await work();
    const seconds = (performance.now() - t0) / 1000;
    return { result, cores: coresBetween(a, cpuSeconds(), seconds) };
  };
  const idle = await window(() => new Promise((r) => setTimeout(r, BENCH_SECONDS * 1000)));
  const published = new Map<number, { node: number; postgres: number }>();
  const publishRows: Record<string, string | number>[] = [
    {
      'events/s': 'idle',
      'publish p50/p99 ms': '',
      'late sends': '',
      'node cores': idle.cores.node,
      'postgres cores': idle.cores.postgres,
      'total cores': idle.cores.node + idle.cores.postgres,
    },
  ];
  for (const rate of RATES) {
    const { result, cores } = await window(() => openLoop(rate, BENCH_SECONDS, publishOne));
    published.set(rate, cores);
    publishRows.push({
      'events/s': rate,
      'publish p50/p99 ms': `${result.p50_ms.toFixed(1)} / ${result.p99_ms.toFixed(1)}`,
      'late sends': result.late_sends,
      'node cores': cores.node,
      'postgres cores': cores.postgres,
      'total cores': cores.node + cores.postgres,
    });
  }
  console.log('1. Publishing alone (workers running, no webhook endpoint)');
  table(publishRows);
  await workers.stop();
  await db.close();

  // ── 2. the HTTP exchange alone ──
  const child = spawn(process.execPath, ['-e', RECEIVER], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve) =>
    child.once('message', (m) => resolve((m as { port: number }).port)),
  );
  const receiverState = () =>
    new Promise<{ cpu: NodeJS.CpuUsage; requests: number }>((resolve) => {
      child.once('message', (m) => resolve(m as { cpu: NodeJS.CpuUsage; requests: number }));
      child.send('state');
    });
  const receiverCpu = async () => (await receiverState()).cpu;
  const client = new Pool(`http://127.0.0.1:${port}`, { connections: ENDPOINTS });
  // A delivery's size: the event as the workers send it, and the Standard Webhooks headers.
  const body = JSON.stringify({
    type: 'order.held',
    timestamp: new Date().toISOString(),
    data: {
      seq: 123456,
      event_id: newId('evt'),
      type: 'order.held',
      subject: { type: 'order', id: 'ord_budget_123456' },
      data: { order_id: 'ord_budget_123456', reason: 'bench: held for review' },
      actor: { type: 'system', id: 'bench' },
      created_at: new Date().toISOString(),
    },
  });
  const headers = {
    'content-type': 'application/json',
    'webhook-id': newId('evt'),
    'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
    'webhook-signature': `v1,${'a'.repeat(44)}`,
  };
  const post = async () => {
    const res = await client.request({ path: '/hook', method: 'POST', headers, body });
    await res.body.dump();
  };
  const exchange = async (seconds: number) => {
    let requests = 0;
    const sender0 = process.cpuUsage();
    const receiver0 = await receiverCpu();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: ENDPOINTS }, async () => {
        while (performance.now() - t0 < seconds * 1000) {
          await post();
          requests++;
        }
      }),
    );
    const elapsed = (performance.now() - t0) / 1000;
    const sender = process.cpuUsage(sender0);
    const receiver = await receiverCpu();
    return {
      per_second: requests / elapsed,
      sender_us: (sender.user + sender.system) / requests,
      receiver_us: (receiver.user - receiver0.user + receiver.system - receiver0.system) / requests,
    };
  };
  await exchange(1); // warm-up
  const http1 = await exchange(BENCH_SECONDS);
  await client.close();
  console.log(`\n2. The HTTP exchange alone (${ENDPOINTS} keep-alive streams, undici to node:http)`);
  table([
    {
      'requests/s': Math.round(http1.per_second),
      'sender µs/request': http1.sender_us,
      'receiver µs/request': http1.receiver_us,
    },
  ]);

  // ── 3. the budget ──
  const budgetRows = RATES.map((rate) => {
    const deliveries = rate * ENDPOINTS;
    const pub = published.get(rate)!;
    const httpCores = (deliveries * (http1.sender_us + http1.receiver_us)) / 1e6;
    const floor = pub.node + pub.postgres + httpCores;
    return {
      'events/s': rate,
      'deliveries/s': deliveries,
      'publishing cores': pub.node + pub.postgres,
      'HTTP cores': httpCores,
      'floor cores': floor,
      [`left of ${CORES} cores`]: CORES - floor,
      'left µs/delivery': Math.max(0, ((CORES - floor) * 1e6) / deliveries),
    };
  });
  console.log('\n3. What is left for delivery itself at each rate');
  table(budgetRows);
  console.log(
    '\n   left µs/delivery: the CPU left per delivery for reading its event, signing it, recording it',
    '\n   and the workflow checkpoints, once publishing and the HTTP exchanges are paid.',
    '\n   PostgreSQL CPU counts every postgres process on the machine: run it with nothing else running.',
  );

  // ── 4. the drains today ──
  const drained = await drainsAlone(port, receiverState);
  child.kill();
  console.log(
    `\n4. The drains alone: ${drained.deliveries} deliveries (every step, the receiver's side excluded)`,
  );
  table([
    {
      'deliveries/s': Math.round(drained.per_second),
      'node µs/delivery': drained.node_us,
      'postgres µs/delivery': drained.postgres_us,
      'total µs/delivery': drained.node_us + drained.postgres_us,
      'HTTP sender µs (2.)': http1.sender_us,
      'machine busy': `${Math.round(drained.machine_busy * 100)}%`,
    },
  ]);
  process.exit();
}

/**
 * Events published first with every endpoint disabled, then the 10 endpoints pointed at them
 * (cursor before the first) and woken by one more: the drains deliver them all as fast as they
 * can. CPU of this process (the workers) and of PostgreSQL per delivery.
 */
async function drainsAlone(port: number, receiver: () => Promise<{ requests: number }>) {
  const EVENTS = Number(process.env.DRAIN_EVENTS ?? 10_000);
  const ENDPOINTS = 10;
  const T = DEMO_TENANT_ID;
  const actor = { type: 'system' as const, id: 'bench' };
  const db = await benchDatabase(40);
  const pool = db.pool;
  await createDemo(pool);
  const config = { ...loadConfig({}), rateLimitPerSecond: 0 };
  await withTransaction(pool, (tx) => setSettings(tx, T, actor, { allow_private_webhook_urls: true }));
  for (let i = 0; i < ENDPOINTS; i++) {
    const input = CreateWebhookSchema.parse({
      url: `http://127.0.0.1:${port}/hook/${i}`,
      event_types: ['order.held'],
    });
    await withTransaction(pool, (tx) => createWebhook(tx, T, actor, input, config));
  }
  const workers = await startWorkers(
    { config, pool, log, metrics: createMetrics() },
    pool.options.connectionString!,
    {
      executorId: 'bench-webhook-drains',
      role: 'all',
    },
  );
  const held = (subject: string) => ({
    type: 'order.held' as const,
    subject,
    data: EVENT_SCHEMAS['order.held'].parse({ order_id: subject, reason: 'bench: held for review' }),
  });
  await pool.query('update webhook_endpoints set enabled = false where tenant_id = $1', [T]);
  const { rows } = await pool.query<{ seq: number }>('select coalesce(max(seq), 0) as seq from events');
  for (let i = 0; i < EVENTS; i += 200) {
    await withTransaction(pool, async (tx) => {
      for (let j = i; j < Math.min(EVENTS, i + 200); j++) await publish(tx, T, actor, held(`ord_drain_${j}`));
    });
  }
  while ((await pool.query('select 1 from events where seq is null limit 1')).rowCount) {
    await new Promise((r) => setTimeout(r, 200));
  }
  await pool.query(
    `update webhook_endpoints set enabled = true, created_at = now() - interval '1 hour' where tenant_id = $1`,
    [T],
  );
  await pool.query('update webhook_sending set cursor_seq = $2 where tenant_id = $1', [T, rows[0]!.seq]);
  const want = (await receiver()).requests + (EVENTS + 1) * ENDPOINTS;
  const a = cpuSeconds();
  const t0 = performance.now();
  await withTransaction(pool, (tx) => publish(tx, T, actor, held('ord_drain_wake')));
  let got = (await receiver()).requests;
  while (got < want && performance.now() - t0 < 300_000) {
    await new Promise((r) => setTimeout(r, 50));
    got = (await receiver()).requests;
  }
  const seconds = (performance.now() - t0) / 1000;
  const cores = coresBetween(a, cpuSeconds(), seconds);
  const deliveries = (EVENTS + 1) * ENDPOINTS - (want - got);
  await workers.stop();
  await db.close();
  return {
    deliveries,
    per_second: deliveries / seconds,
    node_us: (cores.node * seconds * 1e6) / deliveries,
    postgres_us: (cores.postgres * seconds * 1e6) / deliveries,
    machine_busy: cores.machine_busy,
  };
}
