import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemo, DEMO_TENANT_ID as T } from '../src/demo.ts';
import { createLogger } from '../src/logger.ts';
import { sequenceEvents } from '../src/modules/events/store.ts';
import { riskSweep } from '../src/modules/fulfillment/service.ts';
import { startFulfillmentSync } from '../src/modules/fulfillment/workflows.ts';
import { type Env, locationIds, orderBody, ordersMatchLedger, productWithStock } from './orders-fixtures.ts';
import { freshDatabase, testAppOn } from './support.ts';

/** Fulfillment over HTTP on the demo tenant: split shipments, failure, tracking, the ledger. */

let db: Awaited<ReturnType<typeof freshDatabase>>;
let env: Env;
let key: string;
let loc: Record<string, string>;
let stopSync: () => Promise<void>;

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
      'select available, reserved from inventory_balances where tenant_id = $1 and sku = $2 and location_id = $3',
      [T, sku, location],
    )
  ).rows[0];
const fulfillmentOrdersOf = async (orderId: string) =>
  (await ok(get(`/v1/fulfillment-orders?order_id=${orderId}`))).data as any[];
const line = (order: any, n: number) => order.lines.find((l: any) => l.line_no === n);
const shipAll = (foId: string, tracking: string) =>
  ok(
    post(`/v1/fulfillment-orders/${foId}/shipments`, {
      carrier: 'UPS',
      service: 'Ground',
      tracking_numbers: [tracking],
      packages: [{ weight_lb: 2 }],
    }),
    201,
  );
/** A released order, captured to New York. */
const releasedOrder = async (lines: { sku: string; quantity: number }[]) => {
  const o = await ok(post('/v1/orders', orderBody(lines)), 201);
  return ok(post(`/v1/orders/${o.order_id}/release`, {}));
};

beforeAll(async () => {
  db = await freshDatabase();
  key = (await createDemo(db.pool)).api_key!;
  env = testAppOn(db.pool);
  loc = await locationIds(env, key);
  stopSync = startFulfillmentSync(db.pool, createLogger('silent'), { idle_ms: 50 });
});
afterAll(async () => {
  await stopSync();
  await db.drop();
});

describe('split shipments', () => {
  it('makes one fulfillment order per location and counts each shipment on the lines', async () => {
    await productWithStock(env, key, 'SPLIT-A', { [loc.edison!]: 5 });
    await productWithStock(env, key, 'SPLIT-B', { [loc.reno!]: 5 });
    const order = await releasedOrder([
      { sku: 'SPLIT-A', quantity: 2 },
      { sku: 'SPLIT-B', quantity: 1 },
    ]);
    expect(order.status).toBe('in_fulfillment');
    const fos = await fulfillmentOrdersOf(order.order_id);
    expect(
      fos.map((f) => [f.location_id, f.status, f.items.map((i: any) => [i.sku, i.quantity])]).sort(),
    ).toEqual(
      [
        [loc.edison, 'assigned', [['SPLIT-A', 2]]],
        [loc.reno, 'assigned', [['SPLIT-B', 1]]],
      ].sort(),
    );
    const edison = fos.find((f) => f.location_id === loc.edison)!;
    const reno = fos.find((f) => f.location_id === loc.reno)!;
    // Edison DC picks in waves; two units of one line go to its wave.
    expect(edison.picking_method).toBe('wave');

    await ok(post(`/v1/fulfillment-orders/${edison.fulfillment_order_id}/status`, { status: 'picking' }));
    await ok(post(`/v1/fulfillment-orders/${edison.fulfillment_order_id}/status`, { status: 'packed' }));
    const first = await shipAll(edison.fulfillment_order_id, '1ZSPLIT0001');
    expect(first.fulfillment_order.status).toBe('shipped');
    expect(first.shipment.items).toEqual([expect.objectContaining({ sku: 'SPLIT-A', quantity: 2 })]);
    let now = await ok(get(`/v1/orders/${order.order_id}`));
    expect(now.status).toBe('partially_shipped');
    expect([
      line(now, 1).shipped,
      line(now, 1).allocated,
      line(now, 2).shipped,
      line(now, 2).allocated,
    ]).toEqual([2, 0, 0, 1]);
    // Shipping posted the reservation: reserved went out, available did not come back.
    expect(await balance('SPLIT-A', loc.edison!)).toEqual({ available: 3, reserved: 0 });

    await shipAll(reno.fulfillment_order_id, '1ZSPLIT0002');
    now = await ok(get(`/v1/orders/${order.order_id}`));
    expect(now.status).toBe('shipped');
    expect(now.lines.map((l: any) => l.shipped)).toEqual([2, 1]);
    expect(await ordersMatchLedger(db.pool, T)).toEqual([]);

    // Tracking: the timeline and the shipments read "Shipment n of 2 …".
    const shipments = (await ok(get(`/v1/orders/${order.order_id}/shipments`))).data as any[];
    expect(shipments.map((s) => s.summary)).toEqual(['Shipment 1 of 2 shipped', 'Shipment 2 of 2 shipped']);
    await ok(
      post(`/v1/shipments/${shipments[0].shipment_id}/tracking`, {
        status: 'in_transit',
        description: 'Departed',
      }),
    );
    await ok(post(`/v1/shipments/${shipments[0].shipment_id}/tracking`, { status: 'delivered' }));
    await ok(post(`/v1/shipments/${shipments[1].shipment_id}/tracking`, { status: 'in_transit' }));
    const after = (await ok(get(`/v1/orders/${order.order_id}/shipments`))).data as any[];
    expect(after.map((s) => s.summary)).toEqual(['Shipment 1 of 2 delivered', 'Shipment 2 of 2 in transit']);
    expect(after[0].items).toEqual([expect.objectContaining({ sku: 'SPLIT-A', quantity: 2 })]);
    now = await ok(get(`/v1/orders/${order.order_id}`));
    expect(now.status).toBe('shipped');
    expect(now.lines.map((l: any) => l.delivered)).toEqual([2, 0]);
    await ok(post(`/v1/shipments/${shipments[1].shipment_id}/tracking`, { status: 'delivered' }));
    now = await ok(get(`/v1/orders/${order.order_id}`));
    expect(now.status).toBe('delivered');
    const trail = (await ok(get(`/v1/orders/${order.order_id}/timeline`))).data as any[];
    expect(trail.filter((e) => e.type === 'delivered').map((e) => e.note)).toEqual([
      'Shipment 1 of 2 delivered',
      'Shipment 2 of 2 delivered',
    ]);
    expect(trail.map((e) => e.type)).toEqual(
      expect.arrayContaining([
        'fulfillment_created',
        'fulfillment_assigned',
        'fulfillment_picking',
        'shipped',
      ]),
    );
    const fo = await ok(get(`/v1/fulfillment-orders/${edison.fulfillment_order_id}`));
    expect(fo.status).toBe('delivered');
  });

  it('ships part of a fulfillment order, and the rest later', async () => {
    await productWithStock(env, key, 'PART-A', { [loc.edison!]: 10 });
    const order = await releasedOrder([{ sku: 'PART-A', quantity: 4 }]);
    const [fo] = await fulfillmentOrdersOf(order.order_id);
    const partial = await ok(
      post(`/v1/fulfillment-orders/${fo.fulfillment_order_id}/shipments`, {
        carrier: 'UPS',
        service: 'Ground',
        tracking_numbers: ['1ZPART0001'],
        packages: [{ weight_lb: 1 }],
        lines: [{ line_no: 1, quantity: 3 }],
      }),
      201,
    );
    expect(partial.fulfillment_order.status).toBe('assigned');
    let now = await ok(get(`/v1/orders/${order.order_id}`));
    expect(now.status).toBe('partially_shipped');
    expect([line(now, 1).shipped, line(now, 1).allocated]).toEqual([3, 1]);
    // More than is left is refused, and nothing changes.
    const tooMany = await post(`/v1/fulfillment-orders/${fo.fulfillment_order_id}/shipments`, {
      carrier: 'UPS',
      service: 'Ground',
      tracking_numbers: ['1ZPART0002'],
      packages: [{ weight_lb: 1 }],
      lines: [{ line_no: 1, quantity: 2 }],
    });
    expect(tooMany.status).toBe(409);
    expect(tooMany.json.code).toBe('exceeds_remaining');
    const rest = await shipAll(fo.fulfillment_order_id, '1ZPART0003');
    expect(rest.fulfillment_order.status).toBe('shipped');
    now = await ok(get(`/v1/orders/${order.order_id}`));
    expect([now.status, line(now, 1).shipped]).toEqual(['shipped', 4]);
    expect(await balance('PART-A', loc.edison!)).toEqual({ available: 6, reserved: 0 });
  });
});

describe('failure', () => {
  it('voids the failed location’s reservation and routes the units to another, never holding both', async () => {
    await productWithStock(env, key, 'FAIL-A', { [loc.edison!]: 3, [loc.dallas!]: 3 });
    const order = await releasedOrder([{ sku: 'FAIL-A', quantity: 2 }]);
    const [first] = await fulfillmentOrdersOf(order.order_id);
    const from = first.location_id as string;
    const other = from === loc.edison ? loc.dallas! : loc.edison!;
    const failed = await ok(
      post(`/v1/fulfillment-orders/${first.fulfillment_order_id}/fail`, {
        reason: 'Stock not found at the pick face',
      }),
    );
    expect(failed.status).toBe('failed');
    expect(await balance('FAIL-A', from)).toEqual({ available: 3, reserved: 0 });
    expect(await balance('FAIL-A', other)).toEqual({ available: 1, reserved: 2 });
    const fos = await fulfillmentOrdersOf(order.order_id);
    const replacement = fos.find((f) => f.fulfillment_order_id !== first.fulfillment_order_id)!;
    expect([replacement.location_id, replacement.status]).toEqual([other, 'assigned']);
    const now = await ok(get(`/v1/orders/${order.order_id}`));
    expect(now.status).toBe('in_fulfillment');
    expect(now.location_ids).toEqual([other]);
    const trail = (await ok(get(`/v1/orders/${order.order_id}/timeline`))).data as any[];
    expect(trail.find((e) => e.type === 'fulfillment_failed')).toMatchObject({
      note: 'Stock not found at the pick face',
    });
    expect(await ordersMatchLedger(db.pool, T)).toEqual([]);
    // A failed fulfillment order cannot ship or fail again.
    expect((await shipAll_(first.fulfillment_order_id)).status).toBe(409);
    expect(
      (await post(`/v1/fulfillment-orders/${first.fulfillment_order_id}/fail`, { reason: 'again' })).status,
    ).toBe(409);
  });

  it('leaves units backordered when no other location can take them', async () => {
    await productWithStock(env, key, 'FAIL-ONLY', { [loc.edison!]: 2 });
    const order = await releasedOrder([{ sku: 'FAIL-ONLY', quantity: 2 }]);
    const [fo] = await fulfillmentOrdersOf(order.order_id);
    await ok(post(`/v1/fulfillment-orders/${fo.fulfillment_order_id}/fail`, { reason: 'Flooded' }));
    const now = await ok(get(`/v1/orders/${order.order_id}`));
    expect([now.status, line(now, 1).backordered]).toEqual(['backordered', 2]);
    expect(await balance('FAIL-ONLY', loc.edison!)).toEqual({ available: 2, reserved: 0 });
  });
});

const shipAll_ = (foId: string) =>
  post(`/v1/fulfillment-orders/${foId}/shipments`, {
    carrier: 'UPS',
    service: 'Ground',
    tracking_numbers: [`1Z${foId.slice(-8)}`],
    packages: [{ weight_lb: 1 }],
  });

describe('fulfillment events and stock imports', () => {
  it('numbers fulfillment requests in order, and an import quoting one settles exactly its shipments', async () => {
    await productWithStock(env, key, 'SEQ-A', { [loc.edison!]: 10 });
    const a = await releasedOrder([{ sku: 'SEQ-A', quantity: 2 }]);
    const b = await releasedOrder([{ sku: 'SEQ-A', quantity: 3 }]);
    const [foA] = await fulfillmentOrdersOf(a.order_id);
    const [foB] = await fulfillmentOrdersOf(b.order_id);
    await shipAll(foA.fulfillment_order_id, '1ZSEQ0001');
    await shipAll(foB.fulfillment_order_id, '1ZSEQ0002');
    await sequenceEvents(db.pool, true);
    const events = (
      await ok(get('/v1/events?types=fulfillment_request.assigned,fulfillment_request.completed&limit=200'))
    ).data as any[];
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);
    const completed = (id: string) =>
      events.find((e) => e.type === 'fulfillment_request.completed' && e.subject === id)!.seq as number;
    const [s1, s2] = [completed(foA.fulfillment_order_id), completed(foB.fulfillment_order_id)];
    expect(s1).toBeLessThan(s2);
    expect(await balance('SEQ-A', loc.edison!)).toEqual({ available: 5, reserved: 0 });

    // The WMS counted after shipping the first order only: 10 - 2 = 8 on its shelf. The second
    // order's 3 units are in that count but already gone here: they are taken off, once.
    const first = await ok(
      post('/v1/inventory/imports', {
        covers_through_seq: s1,
        counts: [{ sku: 'SEQ-A', location_id: loc.edison, on_hand: 8 }],
      }),
      201,
    );
    expect(first.counts[0]).toMatchObject({ counted: 8, unreflected_shipped: 3, on_hand: 5, available: 5 });
    // A later count that has seen both shipments: nothing is taken off.
    const second = await ok(
      post('/v1/inventory/imports', {
        covers_through_seq: s2,
        counts: [{ sku: 'SEQ-A', location_id: loc.edison, on_hand: 5 }],
      }),
      201,
    );
    expect(second.counts[0]).toMatchObject({ counted: 5, unreflected_shipped: 0, on_hand: 5, available: 5 });
  });
});

describe('keeping in step with the order', () => {
  it('cancels a fulfillment order whose units were all cancelled, but not once picking started', async () => {
    await productWithStock(env, key, 'SYNC-A', { [loc.edison!]: 10 });
    const order = await releasedOrder([{ sku: 'SYNC-A', quantity: 2 }]);
    const [fo] = await fulfillmentOrdersOf(order.order_id);
    await ok(post(`/v1/orders/${order.order_id}/cancel`, { reason: 'Customer changed their mind' }));
    await sequenceEvents(db.pool, true);
    await expect
      .poll(async () => (await ok(get(`/v1/fulfillment-orders/${fo.fulfillment_order_id}`))).status, {
        timeout: 10_000,
      })
      .toBe('cancelled');
    expect(await balance('SYNC-A', loc.edison!)).toEqual({ available: 10, reserved: 0 });

    const picked = await releasedOrder([{ sku: 'SYNC-A', quantity: 2 }]);
    const [pfo] = await fulfillmentOrdersOf(picked.order_id);
    await ok(post(`/v1/fulfillment-orders/${pfo.fulfillment_order_id}/status`, { status: 'picking' }));
    const late = await post(`/v1/orders/${picked.order_id}/cancel`, { reason: 'Too late' });
    expect(late.status).toBe(409);
    expect(late.json).toMatchObject({ code: 'too_late' });
    expect(late.json.detail).toMatch(/being picked/);
  });
});

describe('late and at risk', () => {
  it('flags a fulfillment order past its cut-off as late, and its order shows under late=true', async () => {
    await productWithStock(env, key, 'LATE-A', { [loc.edison!]: 10 });
    const order = await releasedOrder([{ sku: 'LATE-A', quantity: 1 }]);
    const [fo] = await fulfillmentOrdersOf(order.order_id);
    // A week after its ship-by day nothing has shipped.
    const later = new Date(`${fo.ship_by}T12:00:00Z`);
    later.setUTCDate(later.getUTCDate() + 7);
    await riskSweep(db.pool, later);
    const flagged = await ok(get(`/v1/fulfillment-orders/${fo.fulfillment_order_id}`));
    expect(flagged.risk).toBe('late');
    expect(flagged.risk_reason).toMatch(/Due to ship by/);
    const now = await ok(get(`/v1/orders/${order.order_id}`));
    expect(now.risk).toBe('late');
    const lateOrders = (await ok(get('/v1/orders?late=true&limit=200'))).data as any[];
    expect(lateOrders.map((o) => o.order_id)).toContain(order.order_id);
    const atRisk = (await ok(get('/v1/orders?at_risk=true&limit=200'))).data as any[];
    expect(atRisk.map((o) => o.order_id)).toContain(order.order_id);
    await sequenceEvents(db.pool, true);
    const events = (await ok(get('/v1/events?types=order.at_risk,fulfillment_order.at_risk&limit=200')))
      .data as any[];
    expect(
      events.filter((e) => e.data.order_id === order.order_id || e.subject === fo.fulfillment_order_id),
    ).toHaveLength(2);

    // Shipped: no longer late; the order's flag clears.
    await shipAll(fo.fulfillment_order_id, '1ZLATE0001');
    await riskSweep(db.pool, later);
    expect((await ok(get(`/v1/orders/${order.order_id}`))).risk).toBeNull();
  });

  it('flags a shipment whose new estimate is past the promise as at risk', async () => {
    await productWithStock(env, key, 'RISK-A', { [loc.edison!]: 10 });
    const order = await releasedOrder([{ sku: 'RISK-A', quantity: 1 }]);
    const [fo] = await fulfillmentOrdersOf(order.order_id);
    const { shipment } = await shipAll(fo.fulfillment_order_id, '1ZRISK0001');
    const promised = new Date(`${fo.promised_delivery_date}T00:00:00Z`);
    promised.setUTCDate(promised.getUTCDate() + 3);
    await ok(
      post(`/v1/shipments/${shipment.shipment_id}/tracking`, {
        status: 'exception',
        description: 'Weather delay',
        estimated_delivery_date: promised.toISOString().slice(0, 10),
      }),
    );
    const now = await ok(get(`/v1/orders/${order.order_id}`));
    expect(now.risk).toBe('at_risk');
    expect(now.risk_reason).toMatch(/after the promised/);
  });
});

describe('bad input', () => {
  it('names the field, writes nothing, and keeps serving', async () => {
    await productWithStock(env, key, 'BAD-A', { [loc.edison!]: 10 });
    const order = await releasedOrder([{ sku: 'BAD-A', quantity: 1 }]);
    const [fo] = await fulfillmentOrdersOf(order.order_id);
    const url = `/v1/fulfillment-orders/${fo.fulfillment_order_id}/shipments`;
    const base = {
      carrier: 'UPS',
      service: 'Ground',
      tracking_numbers: ['1ZBAD0001'],
      packages: [{ weight_lb: 1 }],
    };
    const cases: [unknown, string][] = [
      [{ ...base, tracking_numbers: [] }, 'body.tracking_numbers'],
      [{ ...base, packages: [{ weight_lb: -1 }] }, 'body.packages[0].weight_lb'],
      [{ ...base, lines: [{ line_no: 9, quantity: 1 }] }, 'body.lines[0]'],
      [{ ...base, shipped_at: 'yesterday' }, 'body.shipped_at'],
    ];
    for (const [body, path] of cases) {
      const res = await post(url, body);
      expect(res.status, res.text).toBe(422);
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
      expect(res.json.errors.map((e: any) => e.path)).toContain(path);
    }
    const step = await post(`/v1/fulfillment-orders/${fo.fulfillment_order_id}/status`, {
      status: 'shipped',
    });
    expect(step.status).toBe(422);
    const back = await post(`/v1/fulfillment-orders/${fo.fulfillment_order_id}/status`, {
      status: 'assigned',
    });
    expect(back.status).toBe(409);
    expect((await get('/v1/fulfillment-orders/ful_nope')).status).toBe(404);
    expect((await post('/v1/shipments/shp_nope/tracking', { status: 'delivered' })).status).toBe(404);
    expect((await ok(get(`/v1/orders/${order.order_id}`))).lines[0].shipped).toBe(0);
    const slip = await get(`/v1/fulfillment-orders/${fo.fulfillment_order_id}/packing-slip`);
    expect(slip.status).toBe(200);
    expect(slip.headers.get('content-type')).toBe('application/pdf');
    expect(slip.text.startsWith('%PDF-')).toBe(true);
  });
});
