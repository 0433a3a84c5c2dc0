import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../src/db/pool.ts';
import { createDemo, DEMO_TENANT_ID as T } from '../src/demo.ts';
import type { RefundGateway } from '../src/modules/returns/refunds.ts';
import { closeReturn, refundReturn, requestReturn } from '../src/modules/returns/service.ts';
import { type Env, locationIds, orderBody, productWithStock } from './orders-fixtures.ts';
import { freshDatabase, testAppOn } from './support.ts';

/** Returns over HTTP on the demo tenant: eligibility, where they go, receipt, refunds, exchanges. */

let db: Awaited<ReturnType<typeof freshDatabase>>;
let env: Env;
let key: string;
let loc: Record<string, string>;
const actor = { type: 'user' as const, id: 'usr_test' };

const post = (url: string, body: unknown) => env.request('POST', url, { key, body });
const get = (url: string) => env.request('GET', url, { key });
const ok = async (p: Promise<{ status: number; text: string; json: any }>, status = 200) => {
  const res = await p;
  expect(res.status, res.text).toBe(status);
  return res.json;
};
const balance = async (sku: string, location: string) =>
  (
    await db.pool.query(
      `select available, quarantine, damaged from inventory_balances
       where tenant_id = $1 and sku = $2 and location_id = $3`,
      [T, sku, location],
    )
  ).rows[0] ?? { available: 0, quarantine: 0, damaged: 0 };

/** An order captured to New York, shipped whole from Edison, delivered at `deliveredAt`. */
async function deliveredOrder(
  lines: { sku: string; quantity: number; unit_price?: number; discount?: number; tax?: number }[],
  deliveredAt = new Date().toISOString(),
  over: Record<string, unknown> = {},
) {
  const o = await ok(post('/v1/orders', orderBody(lines, over)), 201);
  await ok(post(`/v1/orders/${o.order_id}/release`, {}));
  const fos = (await ok(get(`/v1/fulfillment-orders?order_id=${o.order_id}`))).data as any[];
  for (const fo of fos) {
    const { shipment } = await ok(
      post(`/v1/fulfillment-orders/${fo.fulfillment_order_id}/shipments`, {
        carrier: 'UPS',
        service: 'Ground',
        tracking_numbers: [`1Z${fo.fulfillment_order_id.slice(-10)}`],
        packages: [{ weight_lb: 1 }],
        shipped_at: new Date(new Date(deliveredAt).getTime() - 2 * 86_400_000).toISOString(),
      }),
      201,
    );
    await ok(
      post(`/v1/shipments/${shipment.shipment_id}/tracking`, {
        status: 'delivered',
        occurred_at: deliveredAt,
      }),
    );
  }
  return ok(get(`/v1/orders/${o.order_id}`));
}

beforeAll(async () => {
  db = await freshDatabase();
  key = (await createDemo(db.pool)).api_key!;
  env = testAppOn(db.pool);
  loc = await locationIds(env, key);
  await productWithStock(env, key, 'RET-A', { [loc.edison!]: 100 });
  await productWithStock(env, key, 'RET-B', { [loc.edison!]: 100 });
  const fs = await post('/v1/products', {
    sku: 'RET-FINAL',
    name: 'Clearance',
    weight_lb: 1,
    unit_cost: 1,
    price: 5,
    final_sale: true,
  });
  expect(fs.status, fs.text).toBe(201);
  await ok(
    post('/v1/inventory/adjustments', {
      sku: 'RET-FINAL',
      location_id: loc.edison,
      reason: 'found',
      quantity: 50,
    }),
    201,
  );
});
afterAll(() => db.drop());

describe('eligibility', () => {
  it('counts the window in the tenant’s days: day 30 is in, day 31 is out', async () => {
    await ok(
      env.request('PUT', '/v1/return-settings', {
        key,
        body: {
          window_days: 30,
          time_zone: 'America/Los_Angeles',
          auto_approve: { enabled: true, max_refund: null },
          shipping_refund: 'when_all_returned',
          restocking_fee: null,
          reminder_after_hours: 168,
          close_after_hours: 720,
        },
      }),
    );
    // 23:30 on March 1 in Los Angeles is already March 2 in UTC.
    const order = await deliveredOrder([{ sku: 'RET-A', quantity: 1 }], '2026-03-02T07:30:00Z');
    const ask = (now: string) =>
      withTransaction(db.pool, (tx) =>
        requestReturn(
          tx,
          T,
          actor,
          {
            order_id: order.order_id,
            reason: 'changed_mind',
            resolution: 'refund',
            lines: [{ line_no: 1, quantity: 1 }],
          },
          new Date(now),
        ),
      );
    // Day 31 (April 1, local midnight) is refused, naming the line; nothing is written.
    const late = await ask('2026-04-01T07:00:00Z').catch((e) => e);
    expect([late.status, late.extra.errors[0].path]).toEqual([422, 'body.lines[0]']);
    expect(late.extra.errors[0].message).toMatch(/2026-03-31/);
    expect((await ok(get(`/v1/returns?order_id=${order.order_id}`))).data).toEqual([]);
    // Day 30 (March 31, 23:59 local) is in; the deadline is that local day.
    const r = await ask('2026-04-01T06:59:00Z');
    expect(r).toMatchObject({ status: 'approved', deadline: '2026-03-31' });
  });

  it('refuses final-sale items and units not shipped or already being returned', async () => {
    const order = await deliveredOrder([
      { sku: 'RET-A', quantity: 2 },
      { sku: 'RET-FINAL', quantity: 1 },
    ]);
    const refused = await post('/v1/returns', {
      order_id: order.order_id,
      reason: 'changed_mind',
      lines: [
        { line_no: 1, quantity: 3 },
        { line_no: 2, quantity: 1 },
        { line_no: 9, quantity: 1 },
      ],
    });
    expect(refused.status).toBe(422);
    expect(refused.json.errors.map((e: any) => e.path)).toEqual([
      'body.lines[0].quantity',
      'body.lines[1]',
      'body.lines[2].line_no',
    ]);
    expect(refused.json.errors[1].message).toMatch(/final-sale/i);
    await ok(
      post('/v1/returns', {
        order_id: order.order_id,
        reason: 'too_small',
        lines: [{ line_no: 1, quantity: 2 }],
      }),
      201,
    );
    const again = await post('/v1/returns', {
      order_id: order.order_id,
      reason: 'too_small',
      lines: [{ line_no: 1, quantity: 1 }],
    });
    expect(again.status).toBe(422);
    expect(again.json.errors[0].path).toBe('body.lines[0].quantity');
    const unknown = await post('/v1/returns', {
      order_id: 'ord_nope',
      reason: 'other',
      lines: [{ line_no: 1, quantity: 1 }],
    });
    expect([unknown.status, unknown.json.errors[0].path]).toEqual([422, 'body.order_id']);

    const pending = await ok(post('/v1/orders', orderBody([{ sku: 'RET-A', quantity: 1 }])), 201);
    const early = await post('/v1/returns', {
      order_id: pending.order_id,
      reason: 'other',
      lines: [{ line_no: 1, quantity: 1 }],
    });
    expect(early.status).toBe(422);
    expect(early.json.errors[0].message).toMatch(/Nothing has shipped yet/);
  });
});

describe('a return through its life', () => {
  it('goes to the nearest location, is received at another, restocks there and refunds with discounts', async () => {
    // 2 × 20.00, discount 4.00, tax 3.20 on line 1; 1 × 10.00 on line 2; shipping 5.00.
    const order = await deliveredOrder([
      { sku: 'RET-A', quantity: 2, unit_price: 20, discount: 4, tax: 3.2 },
      { sku: 'RET-B', quantity: 1, unit_price: 10 },
    ]);
    const r = await ok(
      post('/v1/returns', {
        order_id: order.order_id,
        reason: 'defective',
        lines: [{ line_no: 1, quantity: 2 }],
      }),
      201,
    );
    expect(r.status).toBe('approved');
    // Edison, NJ is the nearest location to New York that accepts returns.
    expect(r.return_location_id).toBe(loc.edison);
    // 40.00 - 4.00 + 3.20; shipping stays (line 2 is kept).
    expect(r.refund).toEqual({
      lines: [{ line_no: 1, units: 2, amount: 39.2 }],
      items: 39.2,
      shipping: 0,
      restocking_fee: 0,
      total: 39.2,
    });

    const before = await balance('RET-A', loc.dallas!);
    const received = await ok(
      post(`/v1/returns/${r.return_id}/receive`, {
        location_id: loc.dallas,
        lines: [
          { line_no: 1, disposition: 'restock', quantity: 1 },
          { line_no: 1, disposition: 'damaged', quantity: 1 },
        ],
      }),
    );
    expect(received).toMatchObject({ status: 'received', received_location_id: loc.dallas });
    expect(received.lines[0].received).toEqual({ restock: 1, quarantine: 0, damaged: 1, missing: 0 });
    const after = await balance('RET-A', loc.dallas!);
    expect([after.available - before.available, after.damaged - before.damaged]).toEqual([1, 1]);
    const movements = await db.pool.query(
      `select count(*)::int as n from inventory_movements where tenant_id = $1 and reference = $2 and cause = 'return'`,
      [T, r.return_id],
    );
    expect(movements.rows[0].n).toBe(2);
    const now = await ok(get(`/v1/orders/${order.order_id}`));
    expect([now.status, now.lines[0].returned]).toEqual(['partially_returned', 2]);
    expect(
      (
        await post(`/v1/returns/${r.return_id}/receive`, {
          location_id: loc.dallas,
          lines: [{ line_no: 1, disposition: 'restock', quantity: 1 }],
        })
      ).status,
    ).toBe(409);

    // The refund step calls the refund interface once, however often it runs.
    const calls: string[] = [];
    const gateway: RefundGateway = {
      name: 'test',
      refund: async (req) => {
        calls.push(req.idempotency_key);
        return { refund_id: `rf_${calls.length}` };
      },
    };
    await withTransaction(db.pool, (tx) => refundReturn(tx, T, r.return_id, gateway));
    await withTransaction(db.pool, (tx) => refundReturn(tx, T, r.return_id, gateway));
    expect(calls).toEqual([r.return_id]);
    await withTransaction(db.pool, (tx) => closeReturn(tx, T, r.return_id, 'done'));
    const closed = await ok(get(`/v1/returns/${r.return_id}`));
    expect(closed).toMatchObject({ status: 'closed', refund_id: 'rf_1' });
    const trail = ((await ok(get(`/v1/orders/${order.order_id}/timeline`))).data as any[]).map((e) => e.type);
    expect(trail).toEqual(
      expect.arrayContaining([
        'return_requested',
        'return_approved',
        'return_received',
        'refunded',
        'return_closed',
      ]),
    );
    expect(trail.filter((t) => t === 'refunded')).toHaveLength(1);
  });

  it('refunds shipping when the last unit comes back, less a restocking fee unless it was our fault', async () => {
    await ok(
      env.request('PUT', '/v1/return-settings', {
        key,
        body: {
          window_days: 30,
          time_zone: 'America/New_York',
          auto_approve: { enabled: false, max_refund: null },
          shipping_refund: 'when_all_returned',
          restocking_fee: { percent: 15, min: 2 },
          reminder_after_hours: 168,
          close_after_hours: 720,
        },
      }),
    );
    const order = await deliveredOrder([{ sku: 'RET-B', quantity: 1, unit_price: 30, tax: 2.4 }], undefined, {
      shipping: 6,
    });
    const r = await ok(
      post('/v1/returns', {
        order_id: order.order_id,
        reason: 'changed_mind',
        lines: [{ line_no: 1, quantity: 1 }],
      }),
      201,
    );
    // Waits for a person now; 15% of 32.40 = 4.86 fee; shipping comes back with the last unit.
    expect(r.status).toBe('requested');
    expect(r.refund).toMatchObject({ items: 32.4, shipping: 6, restocking_fee: 4.86, total: 33.54 });
    const rejected = await ok(post(`/v1/returns/${r.return_id}/reject`, { reason: 'Worn' }));
    expect(rejected).toMatchObject({ status: 'rejected', rejection_reason: 'Worn' });
    expect((await post(`/v1/returns/${r.return_id}/approve`, {})).status).toBe(409);
    // Rejected returns do not hold the units: a damaged claim is fee-free.
    const damaged = await ok(
      post('/v1/returns', {
        order_id: order.order_id,
        reason: 'damaged',
        lines: [{ line_no: 1, quantity: 1 }],
      }),
      201,
    );
    expect(damaged.refund).toMatchObject({ restocking_fee: 0, total: 38.4 });
    await ok(post(`/v1/returns/${damaged.return_id}/approve`, { note: 'Photo checked' }));
  });

  it('exchanges: a no-charge order ships the items again when the return arrives', async () => {
    await ok(
      env.request('PUT', '/v1/return-settings', {
        key,
        body: {
          window_days: 30,
          time_zone: 'America/New_York',
          auto_approve: { enabled: true, max_refund: null },
          shipping_refund: 'never',
          restocking_fee: null,
          reminder_after_hours: 168,
          close_after_hours: 720,
        },
      }),
    );
    const order = await deliveredOrder([{ sku: 'RET-A', quantity: 1 }]);
    const r = await ok(
      post('/v1/returns', {
        order_id: order.order_id,
        reason: 'too_small',
        resolution: 'exchange',
        lines: [{ line_no: 1, quantity: 1 }],
      }),
      201,
    );
    expect(r.refund.total).toBe(0);
    const received = await ok(
      post(`/v1/returns/${r.return_id}/receive`, {
        location_id: loc.edison,
        lines: [{ line_no: 1, disposition: 'quarantine', quantity: 1 }],
      }),
    );
    expect(received.exchange_order_id).toEqual(expect.any(String));
    const exchange = await ok(get(`/v1/orders/${received.exchange_order_id}`));
    expect(exchange).toMatchObject({ replacement_for: order.order_id, status: 'allocated' });
    expect(exchange.totals.total).toBe(0);
  });

  it('counts units not accounted for as missing, and does not refund them', async () => {
    const order = await deliveredOrder([{ sku: 'RET-B', quantity: 3, unit_price: 10 }]);
    const r = await ok(
      post('/v1/returns', {
        order_id: order.order_id,
        reason: 'no_longer_needed',
        lines: [{ line_no: 1, quantity: 3 }],
      }),
      201,
    );
    const bad = await post(`/v1/returns/${r.return_id}/receive`, {
      location_id: loc.edison,
      lines: [{ line_no: 1, disposition: 'restock', quantity: 4 }],
    });
    expect([bad.status, bad.json.errors[0].path]).toEqual([422, 'body.lines[0].quantity']);
    const nowhere = await post(`/v1/returns/${r.return_id}/receive`, {
      location_id: 'loc_nope',
      lines: [{ line_no: 1, disposition: 'restock', quantity: 1 }],
    });
    expect([nowhere.status, nowhere.json.errors[0].path]).toEqual([422, 'body.location_id']);
    const got = await ok(
      post(`/v1/returns/${r.return_id}/receive`, {
        location_id: loc.edison,
        lines: [{ line_no: 1, disposition: 'restock', quantity: 2 }],
      }),
    );
    expect(got.lines[0].received).toEqual({ restock: 2, quarantine: 0, damaged: 0, missing: 1 });
    expect(got.refund.total).toBe(20);
    expect((await ok(get(`/v1/orders/${order.order_id}`))).lines[0].returned).toBe(2);
  });
});
