import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../server/test/support.ts';
import { createOrderlyClient, type Event, type OrderlyClient, OrderlyError } from '../src/index.ts';

/** End to end: a real `orderly start` on a fresh database, driven only through the SDK. */
let server: Awaited<ReturnType<typeof startServer>>;
let orderly: OrderlyClient;

beforeAll(async () => {
  server = await startServer();
  orderly = createOrderlyClient({ baseUrl: server.baseUrl, apiKey: server.apiKey });
});

afterAll(async () => {
  await server?.stop();
});

async function rejection(promise: Promise<unknown>): Promise<OrderlyError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof OrderlyError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

describe('the SDK against a running server', () => {
  let createdUserId: string;

  it('healthCheck reports ok', async () => {
    const health = await orderly.system.healthCheck();
    expect(health.status).toBe('ok');
    expect(health.checks.database?.ok).toBe(true);
  });

  it('me() shows the demo tenant and the admin key', async () => {
    const me = await orderly.auth.me();
    expect(me.tenant.name).toBe('Demo Outfitters');
    expect(me.role).toBe('admin');
    expect(me.actor.type).toBe('api_key');
    expect(me.user).toBeNull();
  });

  it('creates a user, reads it back, finds it in the list and updates it', async () => {
    const email = `${unique('ops')}@example.com`;
    const created = await orderly.users.create({
      email,
      name: 'Ops Person',
      role: 'manager',
      password: 'correct horse battery',
    });
    createdUserId = created.user_id;
    expect(created).toMatchObject({ email, name: 'Ops Person', role: 'manager', disabled: false });
    expect(created).not.toHaveProperty('password');

    expect(await orderly.users.get(created.user_id)).toEqual(created);
    const page = await orderly.users.list({ limit: 200 });
    expect(page.data.map((u) => u.user_id)).toContain(created.user_id);

    const updated = await orderly.users.update(created.user_id, { name: 'Ops Lead' });
    expect(updated).toMatchObject({ user_id: created.user_id, name: 'Ops Lead', role: 'manager' });
  });

  it('a new support key works through a second client and gets 403 on an admin-only call', async () => {
    const created = await orderly.apiKeys.create({ name: unique('support'), role: 'support' });
    expect(created.key).toMatch(/^ok/);
    expect(await orderly.apiKeys.get(created.api_key_id)).toMatchObject({
      api_key_id: created.api_key_id,
      role: 'support',
      revoked_at: null,
    });

    const support = createOrderlyClient({ baseUrl: server.baseUrl, apiKey: created.key });
    expect(await support.auth.me()).toMatchObject({
      role: 'support',
      actor: { type: 'api_key', id: created.api_key_id },
    });

    const forbidden = await rejection(support.users.list());
    expect(forbidden.status).toBe(403);
    expect(forbidden.type).toBe('/problems/forbidden');
    expect(forbidden.detail).toMatch(/admin/);
    expect(forbidden.request_id).not.toBe('');

    const revoked = await orderly.apiKeys.revoke(created.api_key_id);
    expect(revoked.revoked_at).not.toBeNull();
    expect((await rejection(support.auth.me())).status).toBe(401);
  });

  it('a POST sent again with the same Idempotency-Key is not applied twice', async () => {
    const name = unique('idempotent');
    const idempotencyKey = randomUUID();
    const first = await orderly.apiKeys.create({ name, role: 'manager' }, { idempotencyKey });
    const again = await orderly.apiKeys.create({ name, role: 'manager' }, { idempotencyKey });
    expect(again.api_key_id).toBe(first.api_key_id);
    // The secret is never stored, so the replayed answer carries it redacted.
    expect(again.key).not.toBe(first.key);
    expect(again.key).toContain('redacted');

    const keys = await orderly.apiKeys.list({ limit: 200 });
    expect(keys.data.filter((k) => k.name === name)).toHaveLength(1);

    // The same key with a different body is refused rather than replayed.
    const conflict = await rejection(orderly.apiKeys.create({ name, role: 'support' }, { idempotencyKey }));
    expect(conflict.status).toBe(409);
    expect(conflict.type).toBe('/problems/idempotency-conflict');
  });

  it('a POST whose answer was lost is retried with its generated key and applied once', async () => {
    // The first attempt reaches the server and is applied, but its answer "never arrives".
    const sent: string[] = [];
    const replayed: string[] = [];
    let lose = true;
    const lossy = createOrderlyClient({
      baseUrl: server.baseUrl,
      apiKey: server.apiKey,
      retry: { base_delay_ms: 1 },
      fetch: async (request) => {
        sent.push(request.headers.get('idempotency-key') ?? '');
        const response = await fetch(request);
        replayed.push(response.headers.get('idempotent-replayed') ?? 'false');
        if (lose) {
          lose = false;
          throw new TypeError('fetch failed: connection reset');
        }
        return response;
      },
    });
    const name = unique('lost-answer');
    const created = await lossy.apiKeys.create({ name, role: 'support' });

    expect(sent).toHaveLength(2);
    expect(sent[1]).toBe(sent[0]);
    expect(replayed).toEqual(['false', 'true']);
    const keys = await orderly.apiKeys.list({ limit: 200 });
    expect(keys.data.filter((k) => k.name === name).map((k) => k.api_key_id)).toEqual([created.api_key_id]);
  });

  it('invalid input surfaces as an OrderlyError with status 422 naming each field', async () => {
    const err = await rejection(
      orderly.users.create({ email: 'not-an-email', name: 'Someone', role: 'support', password: 'short' }),
    );
    expect(err.status).toBe(422);
    expect(err.type).toBe('/problems/validation-error');
    expect(err.errors?.map((e) => e.path)).toEqual(expect.arrayContaining(['body.email', 'body.password']));
    expect(err.errors?.find((e) => e.path === 'body.password')?.message).toMatch(/12 characters/);
    expect(err.message).toContain('422');
  });

  it('events.list returns user.created events in sequence order', async () => {
    const all: Event[] = [];
    let after = 0;
    for (;;) {
      const page = await orderly.events.list({ after, types: ['user.created'], limit: 1 });
      if (page.data.length === 0) break;
      all.push(...page.data);
      after = page.next_after;
    }
    expect(all.every((e) => e.type === 'user.created')).toBe(true);
    const seqs = all.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    // The demo admin made at start-up, then the user created above.
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect(all.at(-1)).toMatchObject({ subject: createdUserId, actor: { type: 'api_key' } });

    const mixed = await orderly.events.list({ types: 'user.*,api_key.created' });
    expect(new Set(mixed.data.map((e) => e.type))).toEqual(
      new Set(['user.created', 'user.updated', 'api_key.created']),
    );
  });

  it('orders: create (once per channel order id), get, update, list, hold, release the hold, cancel, timeline', async () => {
    const sku = unique('SDK-MUG').toUpperCase();
    await orderly.client.POST('/v1/products', {
      body: {
        sku,
        name: 'SDK mug',
        weight_lb: 1,
        unit_cost: 2,
        price: 10,
        description: null,
        dimensions: null,
        currency: 'USD',
        barcode: null,
        tags: [],
        final_sale: false,
        low_stock_threshold: null,
        active: true,
      },
    });
    const channel_order_id = unique('SDK');
    const input = {
      channel: 'web',
      channel_order_id,
      customer: { name: 'Sdk Customer', email: 'sdk@example.com' },
      shipping_address: {
        line1: '1 Main St',
        city: 'New York',
        region: 'NY',
        postal_code: '10001',
        country: 'US',
      },
      lines: [{ sku, quantity: 2, unit_price: 10 }],
      totals: { subtotal: 20, discount: 0, tax: 0, shipping: 0, total: 20 },
    };
    const order = await orderly.orders.create(input);
    // This server has no locations: the order is kept, and says why it cannot be routed.
    expect(order).toMatchObject({ channel_order_id, status: 'routing_failed' });
    expect((await orderly.orders.create(input)).order_id).toBe(order.order_id);
    expect(await orderly.orders.get(order.order_id)).toMatchObject({
      order_id: order.order_id,
      lines: [{ sku }],
    });

    const edited = await orderly.orders.update(order.order_id, { notes: 'Leave at the door', tags: ['sdk'] });
    expect(edited).toMatchObject({ notes: 'Leave at the door', tags: ['sdk'] });
    const page = await orderly.orders.list({ q: channel_order_id });
    expect(page.data.map((o) => o.order_id)).toEqual([order.order_id]);

    expect((await orderly.orders.hold(order.order_id, 'Checking the address')).status).toBe('on_hold');
    expect((await orderly.orders.releaseHold(order.order_id, 'Address fine')).status).toBe('routing_failed');
    const cancelled = await orderly.orders.cancel(order.order_id, { reason: 'Customer cancelled' });
    expect(cancelled).toMatchObject({ status: 'cancelled', refund_due: 20 });
    const again = await rejection(orderly.orders.cancel(order.order_id, { reason: 'twice' }));
    expect(again.status).toBe(409);

    const trail = await orderly.orders.timeline(order.order_id);
    expect(trail.map((e) => e.type)).toEqual([
      'created',
      'routed',
      'status_changed',
      'edited',
      'held',
      'status_changed',
      'hold_released',
      'status_changed',
      'cancelled',
      'status_changed',
    ]);
  });

  it('fulfillment and returns: release, ship, track to delivered, return and receive', async () => {
    const sku = unique('SDK-FUL').toUpperCase();
    await orderly.client.POST('/v1/products', {
      body: {
        sku,
        name: 'SDK kettle',
        weight_lb: 1,
        unit_cost: 2,
        price: 18,
        description: null,
        dimensions: null,
        currency: 'USD',
        barcode: null,
        tags: [],
        final_sale: false,
        low_stock_threshold: null,
        active: true,
      },
    });
    const created = await orderly.client.POST('/v1/locations', {
      body: {
        name: unique('SDK DC'),
        type: 'warehouse',
        address: { line1: '1 Dock Rd', city: 'Edison', region: 'NJ', postal_code: '08817', country: 'US' },
        cutoffs: {
          mon: '23:59',
          tue: '23:59',
          wed: '23:59',
          thu: '23:59',
          fri: '23:59',
          sat: '23:59',
          sun: '23:59',
        },
      } as never,
    });
    const location_id = (created.data as { location_id: string }).location_id;
    // A ground service, so the order can be routed on this otherwise empty tenant.
    const carrier = await orderly.client.POST('/v1/carriers', {
      body: { name: unique('SDK carrier'), code: unique('sdk').toLowerCase() } as never,
    });
    const zones = Object.fromEntries(['1', '2', '3', '4', '5', '6', '7', '8'].map((z) => [z, 2]));
    await orderly.client.POST('/v1/carriers/{carrier_id}/services', {
      params: { path: { carrier_id: (carrier.data as { carrier_id: string }).carrier_id } },
      body: {
        name: 'SDK Ground',
        code: 'ground',
        service_level: 'ground',
        transit_days_by_zone: zones,
        rate_table: [{ max_weight_lb: 10, rates_by_zone: zones }],
      } as never,
    });
    await orderly.client.POST('/v1/inventory/adjustments', {
      body: { sku, location_id, reason: 'found', quantity: 10 } as never,
    });
    const lines = [{ sku, quantity: 2, unit_price: 18 }];
    const order = await orderly.orders.create({
      channel: 'web',
      channel_order_id: unique('SDK-FUL'),
      customer: { name: 'Ada', email: 'ada@example.com' },
      shipping_address: {
        line1: '1 Main St',
        city: 'New York',
        region: 'NY',
        postal_code: '10001',
        country: 'US',
      },
      lines,
      totals: { subtotal: 36, discount: 0, tax: 0, shipping: 0, total: 36 },
    });
    expect((await orderly.orders.release(order.order_id)).status).toBe('in_fulfillment');
    const [fo] = (await orderly.fulfillment.list({ order_id: order.order_id })).data;
    expect(fo?.status).toBe('assigned');
    const picking = await orderly.fulfillment.step(fo!.fulfillment_order_id, { status: 'picking' });
    expect(picking.status).toBe('picking');
    const { shipment } = await orderly.fulfillment.ship(fo!.fulfillment_order_id, {
      carrier: 'UPS',
      service: 'Ground',
      tracking_numbers: [unique('1Z')],
      packages: [{ weight_lb: 2 }],
    });
    expect((await orderly.fulfillment.track(shipment.shipment_id, { status: 'delivered' })).status).toBe(
      'delivered',
    );
    const [summary] = await orderly.orders.shipments(order.order_id);
    expect(summary?.summary).toBe('Shipment 1 of 1 delivered');
    expect((await orderly.orders.get(order.order_id)).status).toBe('delivered');

    const r = await orderly.returns.create({
      order_id: order.order_id,
      reason: 'damaged',
      lines: [{ line_no: 1, quantity: 1 }],
    });
    expect(r).toMatchObject({ status: 'approved', refund: { total: 18 } });
    const received = await orderly.returns.receive(r.return_id, {
      location_id: fo!.location_id,
      lines: [{ line_no: 1, disposition: 'damaged', quantity: 1 }],
    });
    expect(received.status).toBe('received');
    expect((await orderly.returns.list({ order_id: order.order_id })).data.map((x) => x.return_id)).toEqual([
      r.return_id,
    ]);
    const late = await rejection(orderly.returns.approve(r.return_id));
    expect(late.status).toBe(409);
  });
});
