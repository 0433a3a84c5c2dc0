import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { createDemo, DEMO_TENANT_ID as T } from '../src/demo.ts';
import { orderBody, ordersMatchLedger } from './orders-fixtures.ts';
import {
  type Api,
  type ApiAnswer,
  allEvents,
  type Child,
  client,
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
 * Many processes, one truth: two API processes and two workers on one database, and a flash sale
 * of 600 one-unit captures of a SKU with 200 units, spread over both APIs. Under the tenant's
 * `backorders: reject` policy exactly 200 orders are allocated and the other 400 are refused with
 * nothing written; the stock never goes negative or double-counted, even while the sale runs; and
 * every subscribed event in the log reaches a receiver exactly once by `webhook-id`, signed, from
 * whichever worker drains it.
 */

const SKU = 'FLASH-1';
const ATTEMPTS = 600;
const CLIENTS = 40;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let key: string;
let receiver: Receiver;
const children: Record<string, Child | undefined> = {};

beforeAll(async () => {
  db = await freshDatabase();
  key = (await createDemo(db.pool)).api_key!;
  receiver = await startReceiver();
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

describe('two API processes and two workers on one database', () => {
  it('a flash sale oversells nothing, writes nothing for refused orders, and delivers each event once', async () => {
    onTestFailed(() => {
      console.error(outputs(children));
    });
    // Workers first, so the APIs are healthy as soon as they listen. Both at once, on a fresh
    // database: their DBOS launches (DBOS's own schema set-up) take turns instead of deadlocking.
    [children.w1, children.w2] = await Promise.all([
      startWorker(db.pool, db.url, 'flash-worker-1'),
      startWorker(db.pool, db.url, 'flash-worker-2'),
    ]);
    const [a1, a2] = await Promise.all([startApi(db.url), startApi(db.url)]);
    children.api1 = a1.child;
    children.api2 = a2.child;
    for (const a of [a1, a2]) {
      await until(
        `${a.base} to be healthy`,
        async () => (await fetch(`${a.base}/health`)).status,
        (s) => s === 200,
      );
    }
    const apis: Api[] = [client(a1.base, key), client(a2.base, key)];
    const api = apis[0]!;

    // Set-up, through one API: a product with 200 units at two locations, the reject policy, and
    // an endpoint for the order events and one for the inventory events (two drains, two workers).
    const locations = (await ok(api('GET', '/v1/locations?limit=200'))).data as {
      name: string;
      location_id: string;
    }[];
    const loc = (name: string) => locations.find((l) => l.name === name)!.location_id;
    const stock: Record<string, number> = { [loc('Edison DC')]: 120, [loc('Dallas DC')]: 80 };
    const STOCK = Object.values(stock).reduce((s, n) => s + n, 0);
    await ok(
      api('POST', '/v1/products', { sku: SKU, name: 'Flash', weight_lb: 1, unit_cost: 4, price: 10 }),
      201,
    );
    for (const [location_id, quantity] of Object.entries(stock)) {
      await ok(
        api('POST', '/v1/inventory/adjustments', { sku: SKU, location_id, reason: 'found', quantity }),
        201,
      );
    }
    const { updated_at: _u, ...settings } = await ok(api('GET', '/v1/order-settings'));
    await ok(api('PUT', '/v1/order-settings', { ...settings, backorders: 'reject' }));
    expect((await ok(apis[1]!('GET', '/v1/order-settings'))).backorders).toBe('reject');
    await ok(api('PUT', '/v1/webhook-settings', { allow_private_webhook_urls: true }));
    const orderHook = await subscribe(api, receiver, '/orders', ['order.created', 'order.status_changed']);
    const inventoryHook = await subscribe(api, receiver, '/inventory', ['inventory.*']);

    // While the sale runs, every balance is sampled: never negative, never more or less than the stock.
    const violations: unknown[] = [];
    let samples = 0;
    let selling = true;
    const watcher = (async () => {
      while (selling) {
        const { rows } = await db.pool.query(
          `select location_id, available, reserved, safety, quarantine, damaged from inventory_balances
           where tenant_id = $1 and sku = $2`,
          [T, SKU],
        );
        samples++;
        for (const r of rows) {
          const negative = ['available', 'reserved', 'safety', 'quarantine', 'damaged'].some((b) => r[b] < 0);
          if (negative || r.available + r.reserved !== stock[r.location_id]) violations.push(r);
        }
        await sleep(20);
      }
    })();

    // The sale: 600 captures of one unit, each its own channel order and Idempotency-Key,
    // alternating between the two API processes, 40 in flight.
    const body = (i: number) =>
      orderBody([{ sku: SKU, quantity: 1 }], { channel_order_id: `FLASH-${i}`, customer: { name: `C${i}` } });
    const capture = (i: number, via: number) =>
      apis[via]!('POST', '/v1/orders', body(i), { 'idempotency-key': `flash-${i}` });
    const answers: ApiAnswer[] = new Array(ATTEMPTS);
    let next = 0;
    const started = Date.now();
    try {
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (next < ATTEMPTS) {
            const i = next++;
            answers[i] = await capture(i, i % 2);
          }
        }),
      );
    } finally {
      selling = false;
      await watcher;
    }
    const saleMs = Date.now() - started;

    // Exactly the stock is sold: 200 orders allocated, 400 refused as out of stock.
    const unexpected = answers
      .map((a, i) => ({ i, status: a.status, text: a.text.slice(0, 300) }))
      .filter((a) => a.status !== 201 && a.status !== 409);
    expect(unexpected).toEqual([]);
    const sold = answers.flatMap((a, i) => (a.status === 201 ? [{ i, order: a.json }] : []));
    const refused = answers.flatMap((a, i) => (a.status === 409 ? [{ i, problem: a.json }] : []));
    expect(sold).toHaveLength(STOCK);
    expect(refused).toHaveLength(ATTEMPTS - STOCK);
    for (const s of sold) {
      expect(s.order).toMatchObject({ channel_order_id: `FLASH-${s.i}`, status: 'allocated' });
      expect(s.order.lines[0]).toMatchObject({ quantity: 1, allocated: 1, backordered: 0 });
    }
    for (const r of refused) {
      expect(r.problem).toMatchObject({
        code: 'out_of_stock',
        lines: [{ line_no: 1, sku: SKU, missing: 1 }],
      });
    }
    // Both processes sold, and the stock was never negative or double-counted while they did.
    expect(new Set(sold.map((s) => s.i % 2)).size).toBe(2);
    expect(samples).toBeGreaterThan(0);
    expect(violations).toEqual([]);

    // What the database holds agrees: one order per 201, none for a 409, all the stock reserved.
    const q = async (sql: string, params: unknown[] = [T]) => (await db.pool.query(sql, params)).rows;
    const orders = await q(
      `select channel_order_id, order_id, status from orders where tenant_id = $1 and channel_order_id like 'FLASH-%'`,
    );
    expect(orders.map((o) => o.channel_order_id).sort()).toEqual(sold.map((s) => `FLASH-${s.i}`).sort());
    expect(new Set(orders.map((o) => o.order_id))).toEqual(new Set(sold.map((s) => s.order.order_id)));
    expect(orders.every((o) => o.status === 'allocated')).toBe(true);
    expect(
      await q(
        `select sum(allocated)::int as allocated, sum(backordered)::int as backordered from order_lines
         where tenant_id = $1 and sku = $2`,
        [T, SKU],
      ),
    ).toEqual([{ allocated: STOCK, backordered: 0 }]);
    const byLocation = await q(
      `select location_id, sum(quantity)::int as units from order_allocations where tenant_id = $1 and sku = $2
       group by 1`,
      [T, SKU],
    );
    expect(Object.fromEntries(byLocation.map((r) => [r.location_id, r.units]))).toEqual(stock);
    const balances = await q(
      `select location_id, available, reserved from inventory_balances where tenant_id = $1 and sku = $2`,
      [T, SKU],
    );
    expect(Object.fromEntries(balances.map((b) => [b.location_id, [b.available, b.reserved]]))).toEqual(
      Object.fromEntries(Object.entries(stock).map(([l, n]) => [l, [0, n]])),
    );
    expect(await ordersMatchLedger(db.pool, T)).toEqual([]);
    expect(await ledgerMismatches(db.pool, T)).toEqual([]);
    // A refused capture left nothing behind: no reservation without its order, no event about it.
    expect(
      await q(`select r.reservation_id from reservations r where r.tenant_id = $1 and r.reference like 'ord\\_%'
               and not exists (select 1 from orders o where o.tenant_id = r.tenant_id and o.order_id = r.reference)`),
    ).toEqual([]);
    const orderIds = new Set(sold.map((s) => s.order.order_id as string));
    expect(
      (await q(`select subject from events where tenant_id = $1 and type like 'order.%'`)).filter(
        (e) => !orderIds.has(e.subject),
      ),
    ).toEqual([]);

    // Retrying a sample of requests with their keys, through the other process, answers as before.
    for (let i = 0; i < ATTEMPTS; i += 15) {
      const again = await capture(i, (i + 1) % 2);
      expect(again.status, again.text).toBe(answers[i]!.status);
      if (again.status === 201) expect(again.json).toEqual(answers[i]!.json);
      else expect(again.json.code).toBe('out_of_stock');
    }
    expect((await q(`select count(*)::int as n from orders where tenant_id = $1`))[0].n).toBe(
      (
        await q(
          `select count(*)::int as n from orders where tenant_id = $1 and channel_order_id like 'FLASH-%'`,
        )
      )[0].n,
    );

    // Every subscribed event reaches the receiver exactly once. First all events are numbered (in
    // the log), then every delivery has succeeded; then nothing more arrives.
    await until(
      'every event to be numbered',
      async () =>
        (await q(`select count(*)::int as n from events where tenant_id = $1 and seq is null`))[0].n,
      (n) => n === 0,
      60_000,
    );
    const hooks = [
      { hook: orderHook, path: '/orders', types: 'order.created,order.status_changed' },
      { hook: inventoryHook, path: '/inventory', types: 'inventory.*' },
    ];
    const expected = new Map<string, { seq: number; event_id: string; type: string; subject: string }[]>();
    for (const h of hooks) {
      const after = Date.parse(h.hook.created_at);
      const events = (await allEvents(api, h.types)).filter(
        (e) => Date.parse((e as unknown as { created_at: string }).created_at) >= after,
      );
      expected.set(h.path, events);
    }
    const orderEvents = expected.get('/orders')!;
    expect(orderEvents.filter((e) => e.type === 'order.created')).toHaveLength(STOCK);
    expect(orderEvents.filter((e) => e.type === 'order.status_changed')).toHaveLength(STOCK);
    expect(new Set(orderEvents.map((e) => e.subject))).toEqual(orderIds);
    expect(expected.get('/inventory')!.length).toBeGreaterThanOrEqual(STOCK);

    const deliveryStart = Date.now();
    for (const h of hooks) {
      const want = expected.get(h.path)!.length;
      await until(
        `every ${h.path} delivery (${want}) to succeed`,
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
        180_000,
        250,
      );
    }
    const deliveryMs = Date.now() - deliveryStart;
    await sleep(1500);

    expect(receiver.rejected).toEqual([]);
    expect(receiver.conflicts).toEqual([]);
    for (const h of hooks) {
      const events = expected.get(h.path)!;
      const got = receiver.at(h.path);
      // Exactly once: as many requests as events, one per event, none for anything else.
      expect(got.length, `${h.path}: ${got.length} requests for ${events.length} events`).toBe(events.length);
      expect(receiver.distinct(h.path).sort()).toEqual(events.map((e) => e.event_id).sort());
      // In seq order per endpoint, as the docs promise, and each body is that event.
      const bySeq = new Map(events.map((e) => [e.event_id, e]));
      const seqs = got.map((d) => bySeq.get(d.id)!.seq);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      for (const d of got) {
        const payload = JSON.parse(d.body);
        expect(payload.data).toMatchObject(bySeq.get(d.id)!);
      }
      // And the delivery log agrees: one delivery per event, each sent in one attempt.
      expect(
        await q(
          `select attempts, count(*)::int as n from webhook_deliveries where tenant_id = $1 and webhook_id = $2
           group by 1`,
          [T, h.hook.webhook_id],
        ),
      ).toEqual([{ attempts: 1, n: events.length }]);
    }
    const drains = await q(
      `select executor_id, count(*)::int as n from dbos.workflow_status where name = 'orderly.webhook-drain'
       group by 1 order by 1`,
      [],
    );
    console.info(
      `flash sale: ${ATTEMPTS} captures in ${saleMs} ms (${sold.length} sold, ${refused.length} refused, ` +
        `${samples} balance samples); ${receiver.deliveries.length} webhook requests for ` +
        `${[...expected.values()].reduce((s, e) => s + e.length, 0)} events, all delivered ${deliveryMs} ms ` +
        `after the sale was checked; drains by executor: ${JSON.stringify(drains)}`,
    );
  }, 420_000);
});
