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
 *    webhook-sized signed POST from this process to a node:http receiver in a child process, as
 *    the workers and the webhooks benchmark's receivers make them; CPU per request on each side.
 *
 * Then: the cores both take at the rate with 10 endpoints, and the CPU left per delivery for the
 * rest (reading the event, signing, creating and recording the delivery, DBOS's checkpoints).
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../server/src/config.ts';
import { withTransaction } from '../server/src/db/pool.ts';
import { createDemo, DEMO_TENANT_ID } from '../server/src/demo.ts';
import { newId } from '../server/src/lib/ids.ts';
import { EVENT_SCHEMAS } from '../server/src/modules/events/catalogue.ts';
import { publish } from '../server/src/modules/events/service.ts';
import { createMetrics } from '../server/src/system/metrics.ts';
import { startWorkers } from '../server/src/workflows/runtime.ts';
import { coresBetween, cpuSeconds } from './lib/cpu.ts';
import { benchDatabase, log } from './lib/database.ts';
import { BENCH_SECONDS, table } from './lib/measure.ts';
import { openLoop } from './lib/open-loop.ts';

// The receiver, in a process of its own as receivers elsewhere would be: 200 to every POST.
const RECEIVER = `
  const http = require('node:http');
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
  });
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('message', (m) => { if (m === 'cpu') process.send({ cpu: process.cpuUsage() }); });
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
  const receiverCpu = () =>
    new Promise<NodeJS.CpuUsage>((resolve) => {
      child.once('message', (m) => resolve((m as { cpu: NodeJS.CpuUsage }).cpu));
      child.send('cpu');
    });
  const agent = new http.Agent({ keepAlive: true, maxSockets: ENDPOINTS });
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
    'content-length': String(Buffer.byteLength(body)),
    'webhook-id': newId('evt'),
    'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
    'webhook-signature': `v1,${'a'.repeat(44)}`,
  };
  const post = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, path: '/hook', method: 'POST', headers, agent },
        (res) => {
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
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
  child.kill();
  agent.destroy();
  console.log(`\n2. The HTTP exchange alone (${ENDPOINTS} keep-alive streams, node:http on both sides)`);
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
    '\n   left µs/delivery: the CPU left per delivery for reading its event, signing it, creating and',
    '\n   recording it and the workflow checkpoints, once publishing and the HTTP exchanges are paid.',
    '\n   PostgreSQL CPU counts every postgres process on the machine: run it with nothing else running.',
  );
  process.exit();
}
