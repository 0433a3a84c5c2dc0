import { DBOS } from '@dbos-inc/dbos-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import type { Pool } from '../src/db/pool.ts';
import { createDemo, DEMO_TENANT_ID as T } from '../src/demo.ts';
import type { Deps } from '../src/http/context.ts';
import { createLogger } from '../src/logger.ts';
import { type ConsumedEvent, consumeOnce } from '../src/modules/events/consumer.ts';
import { sequenceEvents } from '../src/modules/events/store.ts';
import {
  BACKORDER_CONSUMER,
  backorderRelease,
  stockArrivals,
} from '../src/modules/orders/backorder-workflow.ts';
import { releaseBackorders } from '../src/modules/orders/backorders.ts';
import { computeTotals } from '../src/modules/orders/totals.ts';
import { createMetrics } from '../src/system/metrics.ts';
import { startWorkers } from '../src/workflows/runtime.ts';
import { freshDatabase, testAppOn } from './support.ts';

/**
 * Backorders released oldest first when stock arrives: the release itself on one database, then
 * the whole event-driven path (sequencer → consumer → DBOS workflow) on another with workers.
 */

const NYC = { line1: '1 Main St', city: 'New York', region: 'NY', postal_code: '10001', country: 'US' };
const SEATTLE = { line1: '400 Pine St', city: 'Seattle', region: 'WA', postal_code: '98101', country: 'US' };
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

type Env = ReturnType<typeof testAppOn>;
type Setup = {
  db: Awaited<ReturnType<typeof freshDatabase>>;
  env: Env;
  key: string;
  loc: Record<string, string>;
};

async function setup(): Promise<Setup> {
  const db = await freshDatabase();
  const key = (await createDemo(db.pool)).api_key!;
  const env = testAppOn(db.pool);
  const res = await env.request('GET', '/v1/locations?limit=200', { key });
  const loc: Record<string, string> = {};
  for (const l of res.json.data as { name: string; location_id: string }[]) {
    loc[l.name.split(' ')[0]!.toLowerCase()] = l.location_id;
  }
  return { db, env, key, loc };
}

let n = 0;
/** A capture body whose totals add up, placed `hoursAgo` hours ago. */
function orderBody(
  lines: { sku: string; quantity: number }[],
  hoursAgo: number,
  over: Record<string, unknown> = {},
) {
  const priced = lines.map((l) => ({ unit_price: 10, discount: 0, tax: 0, ...l }));
  return {
    channel: 'web',
    channel_order_id: `BO-${process.pid}-${++n}`,
    customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
    shipping_address: NYC,
    lines: priced,
    totals: computeTotals(priced, 5),
    placed_at: new Date(Date.now() - hoursAgo * HOUR_MS).toISOString(),
    ...over,
  };
}

async function capture(s: Setup, body: unknown) {
  const res = await s.env.request('POST', '/v1/orders', { key: s.key, body });
  expect(res.status, res.text).toBe(201);
  return res.json;
}

const getOrder = async (s: Setup, id: string) =>
  (await s.env.request('GET', `/v1/orders/${id}`, { key: s.key })).json;
const routings = async (s: Setup, id: string) =>
  (await s.env.request('GET', `/v1/orders/${id}/routing`, { key: s.key })).json.data as any[];

async function adjust(s: Setup, body: Record<string, unknown>) {
  const res = await s.env.request('POST', '/v1/inventory/adjustments', { key: s.key, body });
  expect([200, 201], res.text).toContain(res.status);
}
const addStock = (s: Setup, sku: string, location_id: string, quantity: number) =>
  adjust(s, { sku, location_id, reason: 'found', quantity });

async function newProduct(s: Setup, sku: string) {
  const res = await s.env.request('POST', '/v1/products', {
    key: s.key,
    body: { sku, name: `Test ${sku}`, weight_lb: 1, unit_cost: 4, price: 10 },
  });
  expect(res.status, res.text).toBe(201);
}

/** Every unit the ledger holds reserved is held by an order's allocation, and the other way round. */
async function ledgerMismatches(pool: Pool) {
  const { rows } = await pool.query(
    `with allocated as (
       select sku, location_id, sum(quantity)::int as units from order_allocations
       where tenant_id = $1 group by 1, 2
     ), reserved as (
       select sku, location_id, reserved as units from inventory_balances where tenant_id = $1 and reserved > 0
     )
     select coalesce(r.sku, a.sku) as sku, coalesce(r.location_id, a.location_id) as location_id,
       coalesce(r.units, 0) as reserved, coalesce(a.units, 0) as allocated
     from reserved r full join allocated a on a.sku = r.sku and a.location_id = r.location_id
     where coalesce(r.units, 0) <> coalesce(a.units, 0)`,
    [T],
  );
  return rows;
}

async function until<V>(what: string, read: () => Promise<V>, ok: (v: V) => boolean, timeout_ms = 20_000) {
  const deadline = Date.now() + timeout_ms;
  let last = await read();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}

describe('releaseBackorders', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup();
  });
  afterAll(() => s.db.drop());

  let waitingCandle: string;

  it('gives arriving stock to the oldest orders by placed_at, and to nobody twice', async () => {
    // Sell the candle out everywhere.
    const { rows } = await s.db.pool.query(
      `select location_id from inventory_balances where tenant_id = $1 and sku = 'CANDLE-CEDAR' and available > 0`,
      [T],
    );
    for (const r of rows)
      await adjust(s, { sku: 'CANDLE-CEDAR', location_id: r.location_id, reason: 'count', counted: 0 });

    // Captured newest first, so order numbers do not follow placed_at: FIFO is by placed_at.
    const newest = await capture(s, orderBody([{ sku: 'CANDLE-CEDAR', quantity: 2 }], 1));
    const oldest = await capture(s, orderBody([{ sku: 'CANDLE-CEDAR', quantity: 2 }], 3));
    const middle = await capture(s, orderBody([{ sku: 'CANDLE-CEDAR', quantity: 1 }], 2));
    for (const o of [newest, oldest, middle]) {
      expect(o).toMatchObject({ status: 'backordered', promised_delivery_date: null });
    }

    // Enough for exactly the two oldest.
    await addStock(s, 'CANDLE-CEDAR', s.loc.edison!, 3);
    const r = await releaseBackorders(s.db.pool, T, ['CANDLE-CEDAR']);
    expect(r.released.map((o) => [o.order_id, o.units])).toEqual([
      [oldest.order_id, 2],
      [middle.order_id, 1],
    ]);
    // Nothing sellable is left, so the newest order is not even looked at.
    expect(r).toMatchObject({ checked: 2, stopped: 'no_stock', next: null, skipped: [] });

    for (const o of [oldest, middle]) {
      const after = await getOrder(s, o.order_id);
      expect(after).toMatchObject({ status: 'allocated', location_ids: [s.loc.edison] });
      expect(after.promised_delivery_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      const log = await routings(s, o.order_id);
      expect(log.map((x) => x.trigger)).toEqual(['capture', 'backorder_release']);
      expect(log[1]).toMatchObject({ actor: { type: 'system', id: 'backorder-release' } });
      expect(log[1].reservation_id).toEqual(expect.any(String));
    }
    const stillWaiting = await getOrder(s, newest.order_id);
    expect(stillWaiting).toMatchObject({ status: 'backordered', promised_delivery_date: null });
    expect((await routings(s, newest.order_id)).map((x) => x.trigger)).toEqual(['capture']);
    expect(await ledgerMismatches(s.db.pool)).toEqual([]);

    // Again: nothing left to give, nothing written.
    const again = await releaseBackorders(s.db.pool, T, ['CANDLE-CEDAR']);
    expect(again).toMatchObject({ released: [], stopped: 'no_stock' });
    expect(await routings(s, oldest.order_id)).toHaveLength(2);
    waitingCandle = newest.order_id;
  });

  it('releases a bundle waiting for a component when that component arrives, still oldest first', async () => {
    // Older than the candle order still waiting: the gift set is served first.
    const gift = await capture(s, orderBody([{ sku: 'CABIN-GIFT-SET', quantity: 1 }], 5));
    expect(gift.status).toBe('backordered');
    await addStock(s, 'CANDLE-CEDAR', s.loc.edison!, 1);
    const r = await releaseBackorders(s.db.pool, T, ['CANDLE-CEDAR']);
    expect(r.released.map((o) => o.order_id)).toEqual([gift.order_id]);
    const after = await getOrder(s, gift.order_id);
    expect(after).toMatchObject({ status: 'allocated' });
    expect(after.lines[0]).toMatchObject({ allocated: 1, backordered: 0 });
    expect((await getOrder(s, waitingCandle)).status).toBe('backordered');
    expect(await ledgerMismatches(s.db.pool)).toEqual([]);
  });

  it('skips a held order without letting it block newer ones, and serves it once the hold is lifted', async () => {
    await newProduct(s, 'BO-HELD');
    const held = await capture(s, orderBody([{ sku: 'BO-HELD', quantity: 1 }], 4));
    const newer = await capture(s, orderBody([{ sku: 'BO-HELD', quantity: 1 }], 1));
    expect([held.status, newer.status]).toEqual(['backordered', 'backordered']);
    const hold = await s.env.request('POST', `/v1/orders/${held.order_id}/hold`, {
      key: s.key,
      body: { reason: 'Fraud check' },
    });
    expect(hold.status, hold.text).toBe(200);

    await addStock(s, 'BO-HELD', s.loc.edison!, 1);
    const r = await releaseBackorders(s.db.pool, T, ['BO-HELD']);
    expect(r.released.map((o) => o.order_id)).toEqual([newer.order_id]);
    expect(await getOrder(s, held.order_id)).toMatchObject({ status: 'on_hold', on_hold: true });
    expect((await getOrder(s, newer.order_id)).status).toBe('allocated');

    await s.env.request('POST', `/v1/orders/${held.order_id}/release-hold`, { key: s.key, body: {} });
    await addStock(s, 'BO-HELD', s.loc.edison!, 1);
    const later = await releaseBackorders(s.db.pool, T, ['BO-HELD']);
    expect(later.released.map((o) => o.order_id)).toEqual([held.order_id]);
    expect((await getOrder(s, held.order_id)).status).toBe('allocated');
    expect(await ledgerMismatches(s.db.pool)).toEqual([]);
  });

  it('does not allocate a pre-order before its release date, even with stock there', async () => {
    await newProduct(s, 'BO-PRE');
    await addStock(s, 'BO-PRE', s.loc.edison!, 5);
    const releaseDay = new Date(Date.now() + 10 * DAY_MS).toISOString().slice(0, 10);
    const pre = await capture(
      s,
      orderBody([{ sku: 'BO-PRE', quantity: 2 }], 1, { order_type: 'pre_order', release_date: releaseDay }),
    );
    expect(pre).toMatchObject({ status: 'backordered', release_date: releaseDay });

    const early = await releaseBackorders(s.db.pool, T, ['BO-PRE'], new Date());
    expect(early).toMatchObject({ checked: 0, released: [] });
    expect((await getOrder(s, pre.order_id)).status).toBe('backordered');

    const onTheDay = new Date(`${releaseDay}T12:00:00Z`);
    const r = await releaseBackorders(s.db.pool, T, ['BO-PRE'], onTheDay);
    expect(r.released).toEqual([{ order_id: pre.order_id, order_number: pre.order_number, units: 2 }]);
    const after = await getOrder(s, pre.order_id);
    expect(after.status).toBe('allocated');
    // Promised from the day it was released, not from capture.
    expect(after.promised_delivery_date >= releaseDay).toBe(true);
  });

  it('lets a newer order take stock at a location the older order cannot be served from', async () => {
    const created = await s.env.request('POST', '/v1/locations', {
      key: s.key,
      body: {
        name: 'Tacoma West Coast DC',
        type: 'warehouse',
        address: { line1: '1 Port Way', city: 'Tacoma', region: 'WA', postal_code: '98421', country: 'US' },
        cutoffs: { mon: '15:00', tue: '15:00', wed: '15:00', thu: '15:00', fri: '15:00' },
        service_regions: { countries: ['US'], regions: ['WA', 'OR'] },
      },
    });
    expect(created.status, created.text).toBe(201);
    const tacoma = created.json.location_id as string;
    await newProduct(s, 'BO-WEST');
    const older = await capture(s, orderBody([{ sku: 'BO-WEST', quantity: 1 }], 6));
    const newer = await capture(
      s,
      orderBody([{ sku: 'BO-WEST', quantity: 1 }], 1, { shipping_address: SEATTLE }),
    );
    expect([older.status, newer.status]).toEqual(['backordered', 'backordered']);

    await addStock(s, 'BO-WEST', tacoma, 1);
    const r = await releaseBackorders(s.db.pool, T, ['BO-WEST']);
    // The New York order was looked at first and could not use Tacoma's unit; Seattle could.
    expect(r.checked).toBe(2);
    expect(r.released.map((o) => o.order_id)).toEqual([newer.order_id]);
    expect(await getOrder(s, newer.order_id)).toMatchObject({ status: 'allocated', location_ids: [tacoma] });
    expect((await getOrder(s, older.order_id)).status).toBe('backordered');
    expect(await routings(s, older.order_id)).toHaveLength(1);
  });

  it('does not let a new capture take stock owed to older backorders before their release runs', async () => {
    await newProduct(s, 'BO-FAIR');
    const older = await capture(s, orderBody([{ sku: 'BO-FAIR', quantity: 2 }], 5));
    expect(older.status).toBe('backordered');
    // Stock arrives; before the release workflow runs, a new order asks for the same SKU.
    await addStock(s, 'BO-FAIR', s.loc.edison!, 3);
    const newer = await capture(s, orderBody([{ sku: 'BO-FAIR', quantity: 2 }], 0));
    // Two of the three units are owed to the older order: the newer one gets the third.
    expect(newer).toMatchObject({ status: 'partially_allocated' });
    expect(newer.lines[0]).toMatchObject({ allocated: 1, backordered: 1 });
    const r = await releaseBackorders(s.db.pool, T, ['BO-FAIR']);
    expect(r.released.map((o) => o.order_id)).toEqual([older.order_id]);
    expect(await getOrder(s, older.order_id)).toMatchObject({ status: 'allocated' });
    expect(await ledgerMismatches(s.db.pool)).toEqual([]);
  });

  it('pages through many waiting orders in bounded batches, oldest first', async () => {
    await newProduct(s, 'BO-MANY');
    const orders = [];
    for (let i = 0; i < 5; i++)
      orders.push(await capture(s, orderBody([{ sku: 'BO-MANY', quantity: 1 }], 10 - i)));
    await addStock(s, 'BO-MANY', s.loc.edison!, 5);
    const first = await releaseBackorders(s.db.pool, T, ['BO-MANY'], new Date(), { limit: 2 });
    expect(first).toMatchObject({ checked: 2, stopped: 'batch_full' });
    expect(first.next).not.toBeNull();
    const second = await releaseBackorders(s.db.pool, T, ['BO-MANY'], new Date(), {
      limit: 2,
      after: first.next!,
    });
    const third = await releaseBackorders(s.db.pool, T, ['BO-MANY'], new Date(), {
      limit: 2,
      after: second.next!,
    });
    const released = [first, second, third].flatMap((r) => r.released.map((o) => o.order_id));
    expect(released).toEqual(orders.map((o) => o.order_id));
    expect(third.stopped).toBe('no_stock');
  });
});

describe('the event consumer', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup();
    await sequenceEvents(s.db.pool, true);
  });
  afterAll(() => s.db.drop());

  it('delivers its types after its cursor, moves the cursor past what it read, and redelivers on failure', async () => {
    const seen: ConsumedEvent[] = [];
    const opts = {
      name: 'test-consumer',
      types: ['inventory.back_in_stock', 'product.*'],
      handle: async (events: ConsumedEvent[]) => {
        seen.push(...events);
      },
    };
    // First sight: it starts after the latest event, so the demo's history is not delivered.
    expect(await consumeOnce(s.db.pool, opts)).toBe(0);
    await newProduct(s, 'EV-1');
    await addStock(s, 'EV-1', s.loc.edison!, 2);
    await sequenceEvents(s.db.pool, true);
    const read = await consumeOnce(s.db.pool, opts);
    expect(read).toBeGreaterThanOrEqual(3); // product.created, inventory.changed, inventory.back_in_stock
    expect(seen.map((e) => e.type)).toEqual(['product.created', 'inventory.back_in_stock']);
    expect(seen[1]).toMatchObject({ tenant_id: T, subject: 'EV-1', data: { sku: 'EV-1', available: 2 } });
    expect(seen[0]!.seq).toBeLessThan(seen[1]!.seq);
    expect(await consumeOnce(s.db.pool, opts)).toBe(0);

    // A failing handler leaves the cursor: the same batch comes again.
    await addStock(s, 'EV-1', s.loc.dallas!, 1);
    await s.env.request('POST', '/v1/products', {
      key: s.key,
      body: { sku: 'EV-2', name: 'Test EV-2', weight_lb: 1, unit_cost: 4, price: 10 },
    });
    await sequenceEvents(s.db.pool, true);
    const failing = { ...opts, handle: async () => Promise.reject(new Error('webhook down')) };
    await expect(consumeOnce(s.db.pool, failing)).rejects.toThrow('webhook down');
    seen.length = 0;
    expect(await consumeOnce(s.db.pool, opts)).toBeGreaterThan(0);
    expect(seen.map((e) => [e.type, e.subject])).toEqual([['product.created', 'EV-2']]);
  });

  it('is consumed by one process at a time', async () => {
    const opts = { name: 'test-consumer', types: ['product.*'], handle: async () => undefined };
    await consumeOnce(s.db.pool, opts);
    const client = await s.db.pool.connect();
    try {
      await client.query('begin');
      await client.query(
        `select 1 from orderly_system.event_consumers where name = 'test-consumer' for update`,
      );
      expect(await consumeOnce(s.db.pool, opts)).toBeNull();
      await client.query('rollback');
      expect(await consumeOnce(s.db.pool, opts)).toBe(0);
    } finally {
      client.release();
    }
  });

  it('starts a release only for stock coming into available', () => {
    const ev = (seq: number, tenant_id: string, type: string, data: Record<string, unknown>) =>
      ({ seq, tenant_id, type, data, subject: String(data.sku), event_id: `evt_${seq}` }) as ConsumedEvent;
    const arrivals = stockArrivals([
      ev(1, 'ten_a', 'inventory.changed', { sku: 'A', available: 5, cause: 'adjustment' }),
      ev(2, 'ten_a', 'inventory.changed', { sku: 'B', available: 4, cause: 'reservation' }),
      ev(3, 'ten_a', 'inventory.changed', { sku: 'C', available: 0, cause: 'count' }),
      ev(4, 'ten_b', 'inventory.changed', { sku: 'D', available: 1, cause: 'release' }),
      ev(5, 'ten_b', 'inventory.changed', { sku: 'E', available: 9, cause: 'fulfillment' }),
      ev(6, 'ten_a', 'inventory.back_in_stock', { sku: 'F', available: 3 }),
      ev(7, 'ten_b', 'inventory.changed', { sku: 'G', available: 2, cause: 'transfer' }),
    ]);
    expect([...arrivals].map(([t, a]) => [t, [...a.skus].sort(), a.seq])).toEqual([
      ['ten_a', ['A', 'F'], 6],
      ['ten_b', ['D', 'G'], 7],
    ]);
  });
});

describe('event-driven release through the workers', () => {
  let s: Setup;
  let workers: Awaited<ReturnType<typeof startWorkers>>;
  const consumerSeq = async () =>
    (
      await s.db.pool.query<{ last_seq: number }>(
        'select last_seq from orderly_system.event_consumers where name = $1',
        [BACKORDER_CONSUMER],
      )
    ).rows[0]?.last_seq;
  const releaseRuns = async () =>
    (await DBOS.listWorkflows({ workflowName: 'orderly.backorder-release' })).filter((w) =>
      w.workflowID.startsWith(`backorder-release:${T}:`),
    );

  beforeAll(async () => {
    s = await setup();
    const deps: Deps = {
      config: loadConfig({}),
      pool: s.db.pool,
      log: createLogger('silent'),
      metrics: createMetrics(),
    };
    workers = await startWorkers(deps, s.db.url, { executorId: 'backorders-test', role: 'all' });
    await until('the consumer to start', consumerSeq, (v) => v !== undefined);
  });
  afterAll(async () => {
    await workers?.stop();
    await s.db.drop();
  });

  it('allocates a backorder when stock arrives, with nobody calling releaseBackorders', async () => {
    await newProduct(s, 'BO-LIVE');
    const o = await capture(s, orderBody([{ sku: 'BO-LIVE', quantity: 2 }], 1));
    expect(o.status).toBe('backordered');
    await addStock(s, 'BO-LIVE', s.loc.dallas!, 2);
    const after = await until(
      'the order to be allocated',
      () => getOrder(s, o.order_id),
      (x) => x.status === 'allocated',
    );
    expect(after.promised_delivery_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect((await routings(s, o.order_id)).map((r) => r.trigger)).toEqual(['capture', 'backorder_release']);
    const runs = await until('the release run to finish', releaseRuns, (w) =>
      w.some((r) => r.status === 'SUCCESS'),
    );
    expect(runs).toHaveLength(1);
    expect(await ledgerMismatches(s.db.pool)).toEqual([]);
  });

  it('does not allocate twice when the consumer delivers the same events again', async () => {
    await newProduct(s, 'BO-AGAIN');
    const o = await capture(s, orderBody([{ sku: 'BO-AGAIN', quantity: 1 }], 2));
    const other = await capture(s, orderBody([{ sku: 'BO-AGAIN', quantity: 1 }], 1));
    // Let the consumer catch up with the captures, then note where it was before the stock came.
    await sequenceEvents(s.db.pool, true);
    const { rows } = await s.db.pool.query<{ seq: number }>(
      'select max(seq)::int as seq from events where tenant_id = $1',
      [T],
    );
    await until('the consumer to catch up', consumerSeq, (v) => (v ?? 0) >= rows[0]!.seq);
    const before = rows[0]!.seq;
    const runsBefore = (await releaseRuns()).length;

    await addStock(s, 'BO-AGAIN', s.loc.edison!, 1);
    await until(
      'the oldest order to be allocated',
      () => getOrder(s, o.order_id),
      (x) => x.status === 'allocated',
    );
    await until(
      'the release run to finish',
      releaseRuns,
      (w) => w.length === runsBefore + 1 && w.every((r) => r.status === 'SUCCESS'),
    );
    const reached = (await consumerSeq())!;

    // Rewind the cursor: the whole batch, stock arrival included, is delivered again.
    await s.db.pool.query('update orderly_system.event_consumers set last_seq = $2 where name = $1', [
      BACKORDER_CONSUMER,
      before,
    ]);
    await until('the consumer to read it again', consumerSeq, (v) => (v ?? 0) >= reached);
    // Same batch, same workflow id: DBOS hands back the run that already happened.
    const runs = await releaseRuns();
    expect(runs).toHaveLength(runsBefore + 1);
    expect(runs.every((r) => r.status === 'SUCCESS')).toBe(true);
    expect(await routings(s, o.order_id)).toHaveLength(2);
    expect((await getOrder(s, other.order_id)).status).toBe('backordered');
    expect(await ledgerMismatches(s.db.pool)).toEqual([]);
  });

  it('replays a release under the same id without doing anything twice', async () => {
    await newProduct(s, 'BO-REPLAY');
    const o = await capture(s, orderBody([{ sku: 'BO-REPLAY', quantity: 1 }], 1));
    // Stock put straight into the table, behind the consumer's back: only this run releases it.
    await s.db.pool.query(
      `insert into inventory_balances (tenant_id, sku, location_id, available) values ($1, 'BO-REPLAY', $2, 1)`,
      [T, s.loc.edison],
    );
    const first = await DBOS.startWorkflow(backorderRelease, { workflowID: 'replay-test' })(T, ['BO-REPLAY']);
    expect(await first.getResult()).toMatchObject({ orders: 1, units: 1 });
    const again = await DBOS.startWorkflow(backorderRelease, { workflowID: 'replay-test' })(T, ['BO-REPLAY']);
    expect(await again.getResult()).toMatchObject({ orders: 1, units: 1 });
    expect(await routings(s, o.order_id)).toHaveLength(2);
    const steps = await DBOS.listWorkflowSteps('replay-test');
    expect(steps?.map((x) => x.name)).toEqual(['release-0']);
  });

  it('sweeps up an order whose hold was lifted after its stock had arrived', async () => {
    await newProduct(s, 'BO-SWEEP');
    const o = await capture(s, orderBody([{ sku: 'BO-SWEEP', quantity: 1 }], 1));
    await s.env.request('POST', `/v1/orders/${o.order_id}/hold`, {
      key: s.key,
      body: { reason: 'Address check' },
    });
    const runsBefore = (await releaseRuns()).length;
    await addStock(s, 'BO-SWEEP', s.loc.edison!, 1);
    // The event-driven release skips the held order; lifting the hold moves no stock, so no event.
    await until(
      'the release run to finish',
      releaseRuns,
      (w) => w.length === runsBefore + 1 && w.every((r) => r.status === 'SUCCESS'),
    );
    await s.env.request('POST', `/v1/orders/${o.order_id}/release-hold`, { key: s.key, body: {} });
    expect((await getOrder(s, o.order_id)).status).toBe('backordered');

    await (await DBOS.triggerSchedule('orderly.backorder-sweep')).getResult();
    await until(
      'the sweep to allocate it',
      () => getOrder(s, o.order_id),
      (x) => x.status === 'allocated',
    );
    expect(await ledgerMismatches(s.db.pool)).toEqual([]);
  });
});
