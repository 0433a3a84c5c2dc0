import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemo, DEMO_TENANT_ID as T } from '../src/demo.ts';
import {
  addStock,
  type Env,
  locationIds,
  NYC,
  orderBody,
  ordersMatchLedger,
  productWithStock,
  SEATTLE,
} from './orders-fixtures.ts';
import { freshDatabase, testAppOn } from './support.ts';

/** Orders over HTTP on the demo tenant: capture, the audit trail and the everyday exceptions. */

let db: Awaited<ReturnType<typeof freshDatabase>>;
let env: Env;
let key: string;
let loc: Record<string, string>;

const post = (url: string, body: unknown) => env.request('POST', url, { key, body });
const get = (url: string) => env.request('GET', url, { key });
const capture = async (body: unknown) => {
  const res = await post('/v1/orders', body);
  expect(res.status, res.text).toBe(201);
  return res.json;
};
const timeline = async (id: string) => (await get(`/v1/orders/${id}/timeline`)).json.data as any[];
const count = async (table: string) =>
  Number((await db.pool.query(`select count(*) from ${table} where tenant_id = $1`, [T])).rows[0].count);
const reservedAt = async (sku: string, location: string) =>
  (
    await db.pool.query(
      'select available, reserved from inventory_balances where tenant_id = $1 and sku = $2 and location_id = $3',
      [T, sku, location],
    )
  ).rows[0];

beforeAll(async () => {
  db = await freshDatabase();
  key = (await createDemo(db.pool)).api_key!;
  env = testAppOn(db.pool);
  loc = await locationIds(env, key);
});
afterAll(() => db.drop());

describe('capture', () => {
  it('answers an order already allocated, with its promise, routing and audit trail', async () => {
    const o = await capture(
      orderBody(
        [
          { sku: 'MUG-ENAMEL-WHT', quantity: 2, unit_price: 18, tax: 2.88 },
          { sku: 'CABIN-GIFT-SET', quantity: 1, unit_price: 120, discount: 10 },
        ],
        { shipping: 7.5, tags: ['vip'] },
      ),
    );
    expect(o).toMatchObject({
      status: 'allocated',
      order_type: 'standard',
      service_level: 'ground',
      totals: { subtotal: 156, discount: 10, tax: 2.88, shipping: 7.5, total: 156.38 },
      location_ids: [loc.edison],
      tags: ['vip'],
    });
    expect(o.order_number).toBeGreaterThan(1000);
    expect(o.promised_delivery_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // The bundle line is allocated through its components: blanket, candle, two mugs.
    const bundle = o.lines[1];
    expect(bundle).toMatchObject({ allocated: 1, backordered: 0 });
    expect(bundle.allocations.map((a: any) => [a.sku, a.quantity]).sort()).toEqual([
      ['BLANKET-WOOL-PLD', 1],
      ['CANDLE-CEDAR', 1],
      ['MUG-ENAMEL-WHT', 2],
    ]);

    const trail = await timeline(o.order_id);
    expect(trail.map((e) => e.type)).toEqual(['created', 'routed', 'status_changed']);
    expect(trail[2]).toMatchObject({
      from_status: 'received',
      to_status: 'allocated',
      actor: { type: 'api_key' },
    });

    const routing = await get(`/v1/orders/${o.order_id}/routing`);
    expect(routing.json.data).toHaveLength(1);
    expect(routing.json.data[0]).toMatchObject({ routing_no: 1, trigger: 'capture' });
    expect(routing.json.data[0].plan.explanation.why).toEqual(expect.any(String));

    const events = await get(`/v1/events?types=order.*`);
    const mine = events.json.data.filter((e: any) => e.subject === o.order_id).map((e: any) => e.type);
    expect(mine).toEqual(['order.created', 'order.status_changed']);

    // The reservation is the order's: the ledger holds exactly what the order's allocations say.
    expect(await ordersMatchLedger(db.pool, T)).toEqual([]);
  });

  it('captures a channel order id once, even from 20 clients at the same moment', async () => {
    await productWithStock(env, key, 'DUP-1', { [loc.edison!]: 50 });
    const body = orderBody([{ sku: 'DUP-1', quantity: 3 }], {
      channel: 'marketplace',
      channel_order_id: 'MKT-77',
    });
    const answers = await Promise.all(Array.from({ length: 20 }, () => post('/v1/orders', body)));
    expect(answers.map((a) => a.status).sort()).toEqual([...Array(19).fill(200), 201]);
    expect(new Set(answers.map((a) => a.json.order_id)).size).toBe(1);
    const { rows } = await db.pool.query(
      'select count(*)::int as n from orders where tenant_id = $1 and channel = $2 and channel_order_id = $3',
      [T, 'marketplace', 'MKT-77'],
    );
    expect(rows[0].n).toBe(1);
    expect(await reservedAt('DUP-1', loc.edison!)).toEqual({ available: 47, reserved: 3 });
    // The same id on another channel is another order.
    const other = await post('/v1/orders', { ...body, channel: 'web' });
    expect(other.status).toBe(201);
  });

  it('maps a channel shipping method to a service level from the order settings', async () => {
    const unmapped = await post(
      '/v1/orders',
      orderBody([{ sku: 'CANDLE-CEDAR', quantity: 1 }], { shipping_method: 'Express' }),
    );
    expect(unmapped.status).toBe(422);
    expect(unmapped.json.errors[0].path).toBe('body.shipping_method');

    const put = await env.request('PUT', '/v1/order-settings', {
      key,
      body: {
        backorders: 'accept',
        default_service_level: 'ground',
        shipping_methods: { web: { Express: 'overnight' } },
      },
    });
    expect(put.status, put.text).toBe(200);
    const o = await capture(
      orderBody([{ sku: 'CANDLE-CEDAR', quantity: 1 }], { shipping_method: 'Express' }),
    );
    expect(o).toMatchObject({ service_level: 'overnight', shipping_method: 'Express' });
  });

  it('a manual order without a channel order id takes its own id', async () => {
    const { channel_order_id: _c, ...body } = orderBody([{ sku: 'CANDLE-CEDAR', quantity: 1 }], {
      channel: 'manual',
    });
    const o = await capture(body);
    expect(o.channel_order_id).toBe(o.order_id);
  });

  it('backorders what no location has, or refuses it under a reject policy without writing anything', async () => {
    await productWithStock(env, key, 'SCARCE-1', { [loc.edison!]: 2 });
    const o = await capture(orderBody([{ sku: 'SCARCE-1', quantity: 5 }]));
    expect(o.status).toBe('partially_allocated');
    expect(o.lines[0]).toMatchObject({ allocated: 2, backordered: 3 });

    const none = await capture(orderBody([{ sku: 'SCARCE-1', quantity: 1 }]));
    expect(none).toMatchObject({ status: 'backordered', promised_delivery_date: null, location_ids: [] });

    await env.request('PUT', '/v1/order-settings', {
      key,
      body: { backorders: 'reject', default_service_level: 'ground', shipping_methods: {} },
    });
    const before = await count('orders');
    const eventsBefore = await count('events');
    const refused = await post('/v1/orders', orderBody([{ sku: 'SCARCE-1', quantity: 1 }]));
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({
      code: 'out_of_stock',
      lines: [{ line_no: 1, sku: 'SCARCE-1', missing: 1 }],
    });
    expect(await count('orders')).toBe(before);
    expect(await count('events')).toBe(eventsBefore);
    // A backorder order is queued whatever the policy says.
    const queued = await capture(orderBody([{ sku: 'SCARCE-1', quantity: 1 }], { order_type: 'backorder' }));
    expect(queued.status).toBe('backordered');
    await env.request('PUT', '/v1/order-settings', {
      key,
      body: { backorders: 'accept', default_service_level: 'ground', shipping_methods: {} },
    });
  });

  it('a destination no location can reach is routing_failed, with the reason', async () => {
    const o = await capture(
      orderBody([{ sku: 'CANDLE-CEDAR', quantity: 1 }], {
        shipping_address: { line1: '1 Rue', city: 'Paris', postal_code: '75001', country: 'FR' },
      }),
    );
    expect(o.status).toBe('routing_failed');
    expect(o.failure_reason).toMatch(/No location can ship to this address/);
  });

  it('a pre-order with a future release date waits without reserving', async () => {
    const o = await capture(
      orderBody([{ sku: 'CANDLE-CEDAR', quantity: 1 }], {
        order_type: 'pre_order',
        release_date: '2099-01-01',
      }),
    );
    expect(o).toMatchObject({ status: 'backordered', release_date: '2099-01-01' });
    expect(o.lines[0].allocations).toEqual([]);
  });

  it('refuses bad input with the field named, and writes nothing', async () => {
    const good = orderBody([{ sku: 'CANDLE-CEDAR', quantity: 1, unit_price: 20 }]);
    const bad: [string, unknown, string][] = [
      [
        'unknown SKU',
        { ...good, lines: [{ sku: 'NOPE', quantity: 1, unit_price: 20 }] },
        'body.lines[0].sku',
      ],
      [
        'zero quantity',
        { ...good, lines: [{ sku: 'CANDLE-CEDAR', quantity: 0, unit_price: 20 }] },
        'body.lines[0].quantity',
      ],
      [
        'fractional cents',
        { ...good, lines: [{ sku: 'CANDLE-CEDAR', quantity: 1, unit_price: 20.001 }] },
        'body.lines[0].unit_price',
      ],
      ['totals that do not add up', { ...good, totals: { ...good.totals, total: 1 } }, 'body.totals.total'],
      [
        'a ZIP that does not exist',
        { ...good, shipping_address: { ...NYC, postal_code: '00000' } },
        'body.shipping_address.postal_code',
      ],
      ['no lines', { ...good, lines: [] }, 'body.lines'],
      ['a bad email', { ...good, customer: { email: 'not-an-email' } }, 'body.customer.email'],
      [
        'a schedule on a standard order',
        { ...good, subscription: { every: 1, unit: 'month' } },
        'body.subscription',
      ],
      ['a subscription without schedule', { ...good, order_type: 'subscription' }, 'body.subscription'],
      ['a release date on a standard order', { ...good, release_date: '2030-01-01' }, 'body.release_date'],
      ['an unknown field', { ...good, colour: 'red' }, 'body.colour'],
    ];
    const before = await count('orders');
    for (const [name, body, path] of bad) {
      const res = await post('/v1/orders', body);
      expect(res.status, `${name}: ${res.text}`).toBe(422);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(
        res.json.errors.map((e: any) => e.path),
        name,
      ).toContain(path);
    }
    expect(await count('orders')).toBe(before);
    expect((await get('/v1/orders/ord_nope')).status).toBe(404);
  });
});

describe('holds and release to fulfillment', () => {
  it('a held order is never released; releasing the hold brings back its status', async () => {
    const o = await capture(orderBody([{ sku: 'CANDLE-CEDAR', quantity: 1 }]));
    const held = await post(`/v1/orders/${o.order_id}/hold`, { reason: 'Fraud check' });
    expect(held.status, held.text).toBe(200);
    expect(held.json).toMatchObject({ status: 'on_hold', on_hold: true, hold_reason: 'Fraud check' });

    const release = await post(`/v1/orders/${o.order_id}/release`, {});
    expect(release.status).toBe(409);
    expect(release.json).toMatchObject({ code: 'on_hold', current_status: 'on_hold' });
    expect(release.json.allowed_next).toContain('allocated');
    expect((await post(`/v1/orders/${o.order_id}/hold`, { reason: 'again' })).status).toBe(409);

    const back = await post(`/v1/orders/${o.order_id}/release-hold`, { note: 'Customer verified' });
    expect(back.json).toMatchObject({ status: 'allocated', on_hold: false, hold_reason: null });
    const released = await post(`/v1/orders/${o.order_id}/release`, {});
    expect(released.json).toMatchObject({ status: 'in_fulfillment' });
    expect(released.json.released_at).toEqual(expect.any(String));

    const trail = await timeline(o.order_id);
    expect(
      trail.filter((e) => e.type !== 'routed').map((e) => [e.type, e.note, e.from_status, e.to_status]),
    ).toEqual([
      ['created', null, null, 'received'],
      ['status_changed', null, 'received', 'allocated'],
      ['held', 'Fraud check', null, null],
      ['status_changed', null, 'allocated', 'on_hold'],
      ['hold_released', 'Customer verified', null, null],
      ['status_changed', null, 'on_hold', 'allocated'],
      ['released_to_fulfillment', null, null, null],
      ['status_changed', null, 'allocated', 'in_fulfillment'],
      ['fulfillment_created', null, null, null],
      ['fulfillment_assigned', null, null, null],
    ]);
    // Too late now for a new address or a re-route.
    const edit = await env.request('PATCH', `/v1/orders/${o.order_id}`, {
      key,
      body: { shipping_address: SEATTLE },
    });
    expect(edit.status).toBe(409);
    expect(edit.json).toMatchObject({ code: 'too_late', current_status: 'in_fulfillment' });
  });

  it('a note lands in the timeline without changing anything else', async () => {
    const o = await capture(orderBody([{ sku: 'CANDLE-CEDAR', quantity: 1 }]));
    const res = await post(`/v1/orders/${o.order_id}/notes`, { note: 'Called the customer' });
    expect(res.status).toBe(201);
    expect((await timeline(o.order_id)).at(-1)).toMatchObject({ type: 'note', note: 'Called the customer' });
    expect((await get(`/v1/orders/${o.order_id}`)).json.status).toBe('allocated');
  });
});

describe('cancellation', () => {
  it('cancels part of a line pro rata, gives its stock back, and the rest later', async () => {
    await productWithStock(env, key, 'CXL-1', { [loc.edison!]: 10 });
    const o = await capture(
      orderBody(
        [
          { sku: 'CXL-1', quantity: 3, unit_price: 19.99, discount: 5, tax: 4.55 },
          { sku: 'CANDLE-CEDAR', quantity: 1, unit_price: 24, tax: 1.92 },
        ],
        { shipping: 6 },
      ),
    );
    expect(o.totals).toEqual({ subtotal: 83.97, discount: 5, tax: 6.47, shipping: 6, total: 91.44 });
    expect(await reservedAt('CXL-1', loc.edison!)).toEqual({ available: 7, reserved: 3 });

    const one = await post(`/v1/orders/${o.order_id}/cancel`, {
      reason: 'Customer changed their mind',
      lines: [{ line_no: 1, quantity: 1 }],
    });
    expect(one.status, one.text).toBe(200);
    // 19.99 − 5/3 (1.67) + 4.55/3 (1.52) = 19.84 refunded; the totals are what remains.
    expect(one.json).toMatchObject({ status: 'allocated', refund_due: 19.84 });
    expect(one.json.lines[0]).toMatchObject({ cancelled: 1, allocated: 2, refunded: 19.84 });
    expect(one.json.totals).toEqual({ subtotal: 63.98, discount: 3.33, tax: 4.95, shipping: 6, total: 71.6 });
    expect(await reservedAt('CXL-1', loc.edison!)).toEqual({ available: 8, reserved: 2 });

    const tooMany = await post(`/v1/orders/${o.order_id}/cancel`, {
      reason: 'x',
      lines: [{ line_no: 1, quantity: 3 }],
    });
    expect(tooMany.status).toBe(409);
    expect(tooMany.json.code).toBe('too_late');
    const noLine = await post(`/v1/orders/${o.order_id}/cancel`, {
      reason: 'x',
      lines: [{ line_no: 9, quantity: 1 }],
    });
    expect(noLine.status).toBe(422);
    expect(noLine.json.errors[0].path).toBe('body.lines[0].line_no');

    const rest = await post(`/v1/orders/${o.order_id}/cancel`, { reason: 'Out of patience' });
    // Everything is refunded in the end, shipping included, to the cent.
    expect(rest.json).toMatchObject({
      status: 'cancelled',
      refund_due: 91.44,
      location_ids: [],
      promised_delivery_date: null,
    });
    expect(rest.json.totals).toEqual({ subtotal: 0, discount: 0, tax: 0, shipping: 0, total: 0 });
    expect(await reservedAt('CXL-1', loc.edison!)).toEqual({ available: 10, reserved: 0 });

    const again = await post(`/v1/orders/${o.order_id}/cancel`, { reason: 'again' });
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ code: 'too_late', current_status: 'cancelled', allowed_next: [] });
    const types = (await timeline(o.order_id)).map((e) => e.type);
    expect(types.filter((t) => t === 'cancelled')).toHaveLength(2);
    expect(await ordersMatchLedger(db.pool, T)).toEqual([]);
  });

  it('cancels backordered units before allocated ones', async () => {
    await productWithStock(env, key, 'CXL-2', { [loc.edison!]: 2 });
    const o = await capture(orderBody([{ sku: 'CXL-2', quantity: 5 }]));
    expect(o.status).toBe('partially_allocated');
    const res = await post(`/v1/orders/${o.order_id}/cancel`, {
      reason: 'only what is here',
      lines: [{ line_no: 1, quantity: 3 }],
    });
    expect(res.json).toMatchObject({ status: 'allocated' });
    expect(res.json.lines[0]).toMatchObject({ allocated: 2, backordered: 0, cancelled: 3 });
    expect(await reservedAt('CXL-2', loc.edison!)).toEqual({ available: 0, reserved: 2 });
  });
});

describe('edits and re-routing', () => {
  it('a new address elsewhere routes the order again and re-promises it', async () => {
    await productWithStock(env, key, 'MOVE-1', { [loc.edison!]: 5, [loc.reno!]: 5 });
    const o = await capture(orderBody([{ sku: 'MOVE-1', quantity: 2 }]));
    expect(o.location_ids).toEqual([loc.edison]);

    const moved = await env.request('PATCH', `/v1/orders/${o.order_id}`, {
      key,
      body: { shipping_address: SEATTLE, notes: 'Moved to Seattle' },
    });
    expect(moved.status, moved.text).toBe(200);
    expect(moved.json).toMatchObject({
      status: 'allocated',
      location_ids: [loc.reno],
      notes: 'Moved to Seattle',
    });
    expect(moved.json.shipping_address.postal_code).toBe('98101');
    expect(await reservedAt('MOVE-1', loc.edison!)).toEqual({ available: 5, reserved: 0 });
    expect(await reservedAt('MOVE-1', loc.reno!)).toEqual({ available: 3, reserved: 2 });

    const log = (await get(`/v1/orders/${o.order_id}/routing`)).json.data;
    expect(log.map((r: any) => r.trigger)).toEqual(['capture', 'address_change']);

    // Changing only the name on the address does not route again.
    const renamed = await env.request('PATCH', `/v1/orders/${o.order_id}`, {
      key,
      body: { shipping_address: { ...SEATTLE, name: 'Ada L.' } },
    });
    expect(renamed.status).toBe(200);
    expect((await get(`/v1/orders/${o.order_id}/routing`)).json.data).toHaveLength(2);

    const bad = await env.request('PATCH', `/v1/orders/${o.order_id}`, {
      key,
      body: { shipping_address: { ...SEATTLE, postal_code: 'x' } },
    });
    expect(bad.status).toBe(422);
    expect(bad.json.errors[0].path).toBe('body.shipping_address.postal_code');
    expect(await ordersMatchLedger(db.pool, T)).toEqual([]);
  });

  it('routes to a location a person names, or refuses and changes nothing', async () => {
    await productWithStock(env, key, 'MANUAL-1', { [loc.edison!]: 5, [loc.dallas!]: 5 });
    const o = await capture(orderBody([{ sku: 'MANUAL-1', quantity: 3 }]));
    expect(o.location_ids).toEqual([loc.edison]);

    const toDallas = await post(`/v1/orders/${o.order_id}/route`, {
      location_id: loc.dallas,
      reason: 'Edison is snowed in',
    });
    expect(toDallas.status, toDallas.text).toBe(200);
    expect(toDallas.json.location_ids).toEqual([loc.dallas]);
    expect(await reservedAt('MANUAL-1', loc.edison!)).toEqual({ available: 5, reserved: 0 });
    expect(await reservedAt('MANUAL-1', loc.dallas!)).toEqual({ available: 2, reserved: 3 });

    const toReno = await post(`/v1/orders/${o.order_id}/route`, {
      location_id: loc.reno,
      reason: 'try Reno',
    });
    expect(toReno.status).toBe(409);
    expect(toReno.json.code).toBe('location_cannot_ship');
    expect(await reservedAt('MANUAL-1', loc.dallas!)).toEqual({ available: 2, reserved: 3 });
    expect((await get(`/v1/orders/${o.order_id}`)).json.location_ids).toEqual([loc.dallas]);

    const auto = await post(`/v1/orders/${o.order_id}/route`, { reason: 'Edison is back' });
    expect(auto.json.location_ids).toEqual([loc.edison]);
    const log = (await get(`/v1/orders/${o.order_id}/routing`)).json.data;
    expect(log.map((r: any) => [r.trigger, r.reason])).toEqual([
      ['capture', null],
      ['manual', 'Edison is snowed in'],
      ['reroute', 'Edison is back'],
    ]);
    expect(await ordersMatchLedger(db.pool, T)).toEqual([]);
  });

  it('ships a replacement: a zero-value order linked to the original in both trails', async () => {
    const o = await capture(orderBody([{ sku: 'CANDLE-CEDAR', quantity: 2, unit_price: 24 }]));
    const res = await post(`/v1/orders/${o.order_id}/replacements`, {
      reason: 'Arrived broken',
      lines: [{ line_no: 1, quantity: 1 }],
    });
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject({
      replacement_for: o.order_id,
      status: 'allocated',
      totals: { total: 0 },
      channel_order_id: `${o.channel_order_id}-R1`,
      lines: [{ sku: 'CANDLE-CEDAR', quantity: 1, unit_price: 0 }],
    });
    expect((await timeline(o.order_id)).at(-1)).toMatchObject({
      type: 'replacement_created',
      note: 'Arrived broken',
      data: { replacement_order_id: res.json.order_id },
    });
    expect((await timeline(res.json.order_id))[0]).toMatchObject({
      type: 'created',
      note: `Replacement for ${o.order_id}`,
    });
  });
});

describe('the audit trail is written with the change', () => {
  it('a change whose audit entry cannot be written does not happen', async () => {
    const o = await capture(orderBody([{ sku: 'CANDLE-CEDAR', quantity: 1 }]));
    await db.pool.query(`
      create function pg_temp_fail_audit() returns trigger language plpgsql as $$
      begin if new.note = 'refuse me' then raise exception 'audit refused'; end if; return new; end $$;
      create trigger fail_audit before insert on order_events for each row execute function pg_temp_fail_audit();`);
    try {
      const trailBefore = await timeline(o.order_id);
      const res = await post(`/v1/orders/${o.order_id}/hold`, { reason: 'refuse me' });
      expect(res.status).toBe(500);
      const after = (await get(`/v1/orders/${o.order_id}`)).json;
      expect(after).toMatchObject({ status: 'allocated', on_hold: false });
      expect(await timeline(o.order_id)).toEqual(trailBefore);

      // And the other way round: a refused change leaves no audit entry.
      const refused = await post(`/v1/orders/${o.order_id}/release-hold`, {});
      expect(refused.status).toBe(409);
      expect(await timeline(o.order_id)).toEqual(trailBefore);
    } finally {
      await db.pool.query('drop trigger fail_audit on order_events; drop function pg_temp_fail_audit()');
    }
  });
});

describe('flash sale', () => {
  it('2,000 concurrent single-unit captures against 500 units: exactly 500 allocated, none oversold', async () => {
    await productWithStock(env, key, 'FLASH-1', { [loc.edison!]: 500 });
    const results = await Promise.all(
      Array.from({ length: 2000 }, (_, i) =>
        post('/v1/orders', orderBody([{ sku: 'FLASH-1', quantity: 1 }], { channel_order_id: `FLASH-${i}` })),
      ),
    );
    expect(results.filter((r) => r.status !== 201).map((r) => r.text)).toEqual([]);
    const statuses = results.map((r) => r.json.status);
    expect(statuses.filter((s) => s === 'allocated')).toHaveLength(500);
    expect(statuses.filter((s) => s === 'backordered')).toHaveLength(1500);
    expect(await reservedAt('FLASH-1', loc.edison!)).toEqual({ available: 0, reserved: 500 });
    // Every order agrees with the ledger, and with itself.
    const { rows } = await db.pool.query(
      `select o.status, sum(l.allocated)::int as allocated, sum(l.backordered)::int as backordered, count(*)::int as n
       from orders o join order_lines l using (tenant_id, order_id)
       where o.tenant_id = $1 and l.sku = 'FLASH-1' group by o.status order by o.status`,
      [T],
    );
    expect(rows).toEqual([
      { status: 'allocated', allocated: 500, backordered: 0, n: 500 },
      { status: 'backordered', allocated: 0, backordered: 1500, n: 1500 },
    ]);
    expect(await ordersMatchLedger(db.pool, T)).toEqual([]);
  }, 180_000);

  it('concurrent multi-line captures over overlapping scarce SKUs: no error reaches a caller, no oversell', async () => {
    const skus = ['MIX-A', 'MIX-B', 'MIX-C', 'MIX-D'];
    for (const sku of skus) await productWithStock(env, key, sku, { [loc.edison!]: 25, [loc.dallas!]: 25 });
    // Random pairs in random order: stock runs out mid-run, so plans go stale and are retried.
    const results = await Promise.all(
      Array.from({ length: 400 }, (_, i) => {
        const [a, b] = [skus[i % 4]!, skus[(i * 7 + 1) % 4]!];
        const lines =
          a === b
            ? [{ sku: a, quantity: 2 }]
            : [
                { sku: b, quantity: 1 + (i % 2) },
                { sku: a, quantity: 1 },
              ];
        return post('/v1/orders', orderBody(lines, { channel_order_id: `MIX-${i}` }));
      }),
    );
    expect(results.filter((r) => r.status !== 201).map((r) => r.text)).toEqual([]);
    const { rows } = await db.pool.query(
      `select sku, sum(available)::int as available, sum(reserved)::int as reserved from inventory_balances
       where tenant_id = $1 and sku = any($2) group by sku order by sku`,
      [T, skus],
    );
    for (const r of rows) expect(r.available + r.reserved, r.sku).toBe(50);
    expect(await ordersMatchLedger(db.pool, T)).toEqual([]);
  }, 180_000);

  it('under a reject policy the rest are refused and leave nothing behind', async () => {
    await productWithStock(env, key, 'FLASH-2', { [loc.dallas!]: 500 });
    await env.request('PUT', '/v1/order-settings', {
      key,
      body: { backorders: 'reject', default_service_level: 'ground', shipping_methods: {} },
    });
    const results = await Promise.all(
      Array.from({ length: 2000 }, (_, i) =>
        post('/v1/orders', orderBody([{ sku: 'FLASH-2', quantity: 1 }], { channel_order_id: `FLASH2-${i}` })),
      ),
    );
    const byStatus = new Map<number, number>();
    for (const r of results) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
    expect(Object.fromEntries(byStatus)).toEqual({ 201: 500, 409: 1500 });
    expect(results.filter((r) => r.status === 409).every((r) => r.json.code === 'out_of_stock')).toBe(true);
    const { rows } = await db.pool.query(
      `select count(*)::int as n from order_lines where tenant_id = $1 and sku = 'FLASH-2'`,
      [T],
    );
    expect(rows[0].n).toBe(500);
    expect(await reservedAt('FLASH-2', loc.dallas!)).toEqual({ available: 0, reserved: 500 });
    expect(await ordersMatchLedger(db.pool, T)).toEqual([]);
    await addStock(env, key, 'FLASH-2', loc.dallas!, 1);
  }, 180_000);
});

describe('re-routing under concurrency', () => {
  it('orders re-routed at the same time, each way round, never deadlock', async () => {
    await productWithStock(env, key, 'SWAP-1', { [loc.edison!]: 40, [loc.dallas!]: 40 });
    await productWithStock(env, key, 'SWAP-2', { [loc.edison!]: 40, [loc.dallas!]: 40 });
    const orders = [];
    for (let i = 0; i < 12; i++) {
      const lines =
        i % 2
          ? [
              { sku: 'SWAP-1', quantity: 1 },
              { sku: 'SWAP-2', quantity: 1 },
            ]
          : [
              { sku: 'SWAP-2', quantity: 1 },
              { sku: 'SWAP-1', quantity: 1 },
            ];
      orders.push(await capture(orderBody(lines)));
    }
    // Half move Edison → Dallas while the other half move back, three rounds, all at once.
    for (let round = 0; round < 3; round++) {
      const moves = await Promise.all(
        orders.map((o, i) =>
          post(`/v1/orders/${o.order_id}/route`, {
            location_id: (i + round) % 2 ? loc.dallas : loc.edison,
            reason: `round ${round}`,
          }),
        ),
      );
      expect(moves.filter((m) => m.status !== 200).map((m) => m.text)).toEqual([]);
    }
    expect(await ordersMatchLedger(db.pool, T)).toEqual([]);
  }, 120_000);
});

describe('consolidation', () => {
  const settings = (consolidation?: { enabled: boolean; window_minutes: number }) =>
    env.request('PUT', '/v1/order-settings', {
      key,
      body: {
        backorders: 'accept',
        default_service_level: 'ground',
        shipping_methods: {},
        ...(consolidation && { consolidation }),
      },
    });
  const customer = { name: 'Joan Clarke', email: 'joan@example.com' };
  const at = (minutes: number) => new Date(Date.UTC(2026, 10, 20, 12, minutes)).toISOString();

  it('is off by default: releasing one order releases only that order', async () => {
    expect((await get('/v1/order-settings')).json.consolidation).toEqual({
      enabled: false,
      window_minutes: 60,
    });
    const a = await capture(
      orderBody([{ sku: 'CANDLE-CEDAR', quantity: 1 }], { customer, placed_at: at(0) }),
    );
    const b = await capture(
      orderBody([{ sku: 'CANDLE-CEDAR', quantity: 1 }], { customer, placed_at: at(5) }),
    );
    const released = await post(`/v1/orders/${a.order_id}/release`, {});
    expect(released.json).toMatchObject({ status: 'in_fulfillment', consolidation_group: null });
    expect((await get(`/v1/orders/${b.order_id}`)).json.status).toBe('allocated');
    await post(`/v1/orders/${b.order_id}/cancel`, { reason: 'clean up' });
  });

  it('when on, releases the customer’s orders to the same address within the window as one group', async () => {
    expect((await settings({ enabled: true, window_minutes: 30 })).status).toBe(200);
    const email = { name: 'Alan Turing', email: 'Alan@Example.com' };
    const first = await capture(
      orderBody([{ sku: 'CANDLE-CEDAR', quantity: 1 }], { customer: email, placed_at: at(0) }),
    );
    const second = await capture(
      orderBody([{ sku: 'MUG-ENAMEL-WHT', quantity: 1 }], {
        customer: { ...email, email: 'alan@example.com' },
        placed_at: at(20),
      }),
    );
    const late = await capture(
      orderBody([{ sku: 'MUG-ENAMEL-WHT', quantity: 1 }], { customer: email, placed_at: at(45) }),
    );
    const elsewhere = await capture(
      orderBody([{ sku: 'MUG-ENAMEL-WHT', quantity: 1 }], {
        customer: email,
        placed_at: at(10),
        shipping_address: SEATTLE,
      }),
    );
    const held = await capture(
      orderBody([{ sku: 'MUG-ENAMEL-WHT', quantity: 1 }], { customer: email, placed_at: at(15) }),
    );
    await post(`/v1/orders/${held.order_id}/hold`, { reason: 'not this one' });

    const released = await post(`/v1/orders/${first.order_id}/release`, {});
    expect(released.status, released.text).toBe(200);
    const group = released.json.consolidation_group;
    expect(group).toMatch(/^grp_/);
    const state = async (o: { order_id: string }) => (await get(`/v1/orders/${o.order_id}`)).json;
    expect(await state(second)).toMatchObject({ status: 'in_fulfillment', consolidation_group: group });
    for (const o of [late, elsewhere])
      expect(await state(o)).toMatchObject({ status: 'allocated', consolidation_group: null });
    expect(await state(held)).toMatchObject({ status: 'on_hold', consolidation_group: null });
    expect((await timeline(second.order_id)).find((e) => e.type === 'released_to_fulfillment')).toMatchObject(
      {
        data: { consolidation_group: group, with: [first.order_id] },
      },
    );
    await settings();
  });
});
