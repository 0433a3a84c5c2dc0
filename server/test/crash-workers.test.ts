import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { createDemo, DEMO_TENANT_ID as T } from '../src/demo.ts';
import { orderBody, ordersMatchLedger } from './orders-fixtures.ts';
import {
  type ApiAnswer,
  allEvents,
  type Child,
  client,
  type Delivery,
  ledgerMismatches,
  outputs,
  type Receiver,
  startApi,
  startReceiver,
  startWorker,
  stopChild,
  subscribe,
  until,
} from './processes-fixtures.ts';
import { freshDatabase } from './support.ts';

/**
 * kill -9 of a worker in the middle of a webhook delivery stream. A slow receiver (50 ms an
 * answer) keeps deliveries in flight; the worker is killed while the receiver holds one of them,
 * so its attempt is sent but never recorded. A new worker with the same executor id recovers the
 * pending drains (DBOS resumes an executor's workflows when a process with its id launches):
 * every event reaches the receiver, the one cut off is sent again with the same webhook-id and
 * body, and the receiver's deduplication on webhook-id makes at-least-once effectively once.
 */

const SKU = 'CRASH-WH';
const STOCK = 1000;
const BEFORE = 300;
const WHILE_DOWN = 20;
const KILL_AT = 80;
const EXECUTOR = 'crash-webhook-worker';
let db: Awaited<ReturnType<typeof freshDatabase>>;
let key: string;
let receiver: Receiver;
let onDelivery: ((d: Delivery) => void) | undefined;
const children: Record<string, Child | undefined> = {};

beforeAll(async () => {
  db = await freshDatabase();
  key = (await createDemo(db.pool)).api_key!;
  receiver = await startReceiver({ delay_ms: 50, onDelivery: (d) => onDelivery?.(d) });
});
afterAll(async () => {
  for (const c of Object.values(children)) await stopChild(c);
  await receiver?.close();
  await db?.drop();
});

const ok = async (p: Promise<ApiAnswer>, status = 200) => {
  const res = await p;
  expect(res.status, res.text).toBe(status);
  return res.json;
};

describe('kill -9 of a worker during webhook deliveries', () => {
  it('a new worker with the same executor id delivers every event; duplicates carry the same body', async () => {
    onTestFailed(() => {
      console.error(outputs(children));
    });
    const workerA = await startWorker(db.pool, db.url, EXECUTOR);
    children.workerA = workerA;
    const { base, child } = await startApi(db.url);
    children.api = child;
    await until(
      'the API to be healthy',
      async () => (await fetch(`${base}/health`)).status,
      (s) => s === 200,
    );
    const api = client(base, key);
    const q = async (sql: string, params: unknown[] = [T]) => (await db.pool.query(sql, params)).rows;

    const locations = (await ok(api('GET', '/v1/locations?limit=200'))).data as {
      name: string;
      location_id: string;
    }[];
    const edison = locations.find((l) => l.name === 'Edison DC')!.location_id;
    await ok(
      api('POST', '/v1/products', { sku: SKU, name: 'Crash hooks', weight_lb: 1, unit_cost: 4, price: 10 }),
      201,
    );
    await ok(
      api('POST', '/v1/inventory/adjustments', {
        sku: SKU,
        location_id: edison,
        reason: 'found',
        quantity: STOCK,
      }),
      201,
    );
    await ok(api('PUT', '/v1/webhook-settings', { allow_private_webhook_urls: true }));
    // Two endpoints, so two drains are cut off by the kill.
    const hooks = [
      {
        path: '/created',
        types: 'order.created',
        hook: await subscribe(api, receiver, '/created', ['order.created']),
      },
      {
        path: '/status',
        types: 'order.status_changed',
        hook: await subscribe(api, receiver, '/status', ['order.status_changed']),
      },
    ];

    // The kill: from inside the receiver, while it holds the KILL_AT-th order.created delivery
    // (its answer is 50 ms away), so that attempt is made and never recorded.
    let cutOff: Delivery | undefined;
    let atKill = 0;
    onDelivery = (d) => {
      if (cutOff || d.path !== '/created' || receiver.distinct('/created').length < KILL_AT) return;
      cutOff = d;
      atKill = receiver.deliveries.length;
      workerA.proc.kill('SIGKILL');
    };

    const capture = (i: number) =>
      api('POST', '/v1/orders', orderBody([{ sku: SKU, quantity: 1 }], { channel_order_id: `CW-${i}` }), {
        'idempotency-key': `cw-${i}`,
      });
    const answers: ApiAnswer[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (next < BEFORE) {
          const i = next++;
          answers[i] = await capture(i);
        }
      }),
    );
    expect(answers.filter((a) => a.status !== 201).map((a) => a.text)).toEqual([]);
    await until(
      'the kill',
      async () => cutOff !== undefined,
      (killed) => killed,
      120_000,
    );
    expect(await workerA.exited).toBeNull();
    expect(workerA.proc.signalCode).toBe('SIGKILL');
    // Cut off mid-delivery: the attempt the receiver was holding was never recorded.
    const [inFlight] = await q(
      `select status, attempts from webhook_deliveries where tenant_id = $1 and webhook_id = $2 and event_id = $3`,
      [T, hooks[0]!.hook.webhook_id, cutOff!.id],
    );
    // Not written yet (a delivery's row is written with its outcome); its endpoint notes a batch in flight.
    expect(inFlight).toBeUndefined();
    const [sending] = await q(
      'select sending_since from webhook_sending where tenant_id = $1 and webhook_id = $2',
      [T, hooks[0]!.hook.webhook_id],
    );
    expect(sending.sending_since).toBeInstanceOf(Date);
    const pendingDrains = await q(
      `select count(*)::int as n from dbos.workflow_status where name = 'orderly.webhook-drain'
       and executor_id = $1 and status = 'PENDING'`,
      [EXECUTOR],
    );
    expect(pendingDrains[0].n).toBeGreaterThanOrEqual(1);
    // Nothing delivers while no worker runs (what was in flight at the kill may still land).
    await sleep(1000);
    const whileDown = receiver.deliveries.length;
    expect(whileDown - atKill).toBeLessThanOrEqual(hooks.length);

    // More orders while no worker runs: their events wait, unnumbered, for the next worker.
    for (let i = BEFORE; i < BEFORE + WHILE_DOWN; i++) expect((await capture(i)).status).toBe(201);
    await sleep(500);
    expect(receiver.deliveries.length).toBe(whileDown);

    const workerB = await startWorker(db.pool, db.url, EXECUTOR);
    children.workerB = workerB;
    const recovered = Date.now();
    await until(
      'every event to be numbered',
      async () =>
        (await q(`select count(*)::int as n from events where tenant_id = $1 and seq is null`))[0].n,
      (n) => n === 0,
    );
    const expected = new Map<string, { seq: number; event_id: string }[]>();
    for (const h of hooks) {
      const after = Date.parse(h.hook.created_at);
      expected.set(
        h.path,
        (await allEvents(api, h.types)).filter(
          (e) => Date.parse((e as unknown as { created_at: string }).created_at) >= after,
        ),
      );
      expect(expected.get(h.path)).toHaveLength(BEFORE + WHILE_DOWN);
    }
    for (const h of hooks) {
      const want = expected.get(h.path)!.length;
      await until(
        `every ${h.path} delivery (${want}) to succeed after the restart`,
        async () => {
          if (receiver.rejected.length > 0)
            throw new Error(`bad signature: ${JSON.stringify(receiver.rejected[0])}`);
          const rows = await q(
            `select status, count(*)::int as n from webhook_deliveries where tenant_id = $1 and webhook_id = $2
             group by 1 order by 1`,
            [T, h.hook.webhook_id],
          );
          return { rows, received: receiver.distinct(h.path).length };
        },
        (v) =>
          v.received >= want &&
          v.rows.length === 1 &&
          v.rows[0].status === 'succeeded' &&
          v.rows[0].n === want,
        240_000,
        250,
      );
    }
    const recoveryMs = Date.now() - recovered;
    // Every drain of the killed worker finished under the new one; none is left behind.
    await until(
      'every drain to finish',
      async () =>
        await q(
          `select status, count(*)::int as n from dbos.workflow_status where name = 'orderly.webhook-drain'
           and status <> 'SUCCESS' group by 1`,
          [],
        ),
      (rows) => rows.length === 0,
    );
    await sleep(1500);

    // No event missing, none extra, and no webhook-id ever carried two different bodies.
    expect(receiver.rejected).toEqual([]);
    expect(receiver.conflicts).toEqual([]);
    const report: string[] = [];
    for (const h of hooks) {
      const events = expected.get(h.path)!;
      expect(receiver.distinct(h.path).sort()).toEqual(events.map((e) => e.event_id).sort());
      const got = receiver.at(h.path);
      const counts = new Map<string, number>();
      for (const d of got) counts.set(d.id, (counts.get(d.id) ?? 0) + 1);
      const twice = [...counts].filter(([, n]) => n > 1);
      report.push(
        `${h.path}: ${got.length} requests, ${counts.size} distinct webhook-ids for ${events.length} events, ` +
          `sent more than once: ${JSON.stringify(twice)}`,
      );
      // Each delivery's body is its event, whichever worker sent it.
      const byId = new Map(events.map((e) => [e.event_id, e]));
      for (const d of got) expect(JSON.parse(d.body).data).toMatchObject(byId.get(d.id)!);
      // The log records each delivery once, in one attempt: a resend after the crash is that attempt.
      expect(
        await q(
          `select status, attempts, count(*)::int as n from webhook_deliveries where tenant_id = $1
           and webhook_id = $2 group by 1, 2`,
          [T, h.hook.webhook_id],
        ),
      ).toEqual([{ status: 'succeeded', attempts: 1, n: events.length }]);
      // Successes are not logged as attempts (each is its delivery row), and nothing failed.
      expect(
        await q(
          `select count(*)::int as n from webhook_attempts a join webhook_deliveries d using (tenant_id, delivery_id)
           where d.tenant_id = $1 and d.webhook_id = $2`,
          [T, h.hook.webhook_id],
        ),
      ).toEqual([{ n: 0 }]);
    }
    // At least once: the attempt cut off by the kill was made again, with the same body.
    const again = receiver.at('/created').filter((d) => d.id === cutOff!.id);
    expect(again.length).toBeGreaterThanOrEqual(2);
    expect(new Set(again.map((d) => d.body)).size).toBe(1);
    const final = await q(
      `select status, attempts from webhook_deliveries where tenant_id = $1 and webhook_id = $2 and event_id = $3`,
      [T, hooks[0]!.hook.webhook_id, cutOff!.id],
    );
    expect(final).toEqual([{ status: 'succeeded', attempts: 1 }]);

    // The ledger holds: replaying the movements gives the balances, and the orders hold what it does.
    const sold = BEFORE + WHILE_DOWN;
    expect(await ledgerMismatches(db.pool, T)).toEqual([]);
    expect(await ordersMatchLedger(db.pool, T)).toEqual([]);
    expect(
      await q(`select available, reserved from inventory_balances where tenant_id = $1 and sku = $2`, [
        T,
        SKU,
      ]),
    ).toEqual([{ available: STOCK - sold, reserved: sold }]);
    console.info(
      `crash during webhook deliveries: killed at ${atKill} requests (cut off ${cutOff!.id}); ` +
        `all delivered ${recoveryMs} ms after the new worker registered; ${report.join('; ')}`,
    );
  }, 480_000);
});
