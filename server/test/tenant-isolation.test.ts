import { DBOS } from '@dbos-inc/dbos-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { returnWorkflow, returnWorkflowId } from '../src/modules/returns/workflows.ts';
import { createMetrics } from '../src/system/metrics.ts';
import { startWorkers } from '../src/workflows/runtime.ts';
import { operations as ops, seedTenant, type TestTenant, testApp } from './support.ts';

type Env = Awaited<ReturnType<typeof testApp>>;
let env: Env;
let a: TestTenant;
let b: TestTenant;
/** One object of tenant A per path parameter; a new route with a new parameter must add one. */
const fixtures: Record<string, string> = {};
const secrets: string[] = [];

beforeAll(async () => {
  env = await testApp();
  a = await seedTenant(env.pool, 'Tenant A');
  b = await seedTenant(env.pool, 'Tenant B');
  const user = await env.request('POST', '/v1/users', {
    key: a.keys.admin,
    body: {
      email: 'only-in-a@example.com',
      name: 'Alice of A',
      role: 'support',
      password: 'a long enough password',
    },
  });
  fixtures.user_id = user.json.user_id;
  const key = await env.request('POST', '/v1/api-keys', {
    key: a.keys.admin,
    body: { name: 'A key', role: 'support' },
  });
  fixtures.api_key_id = key.json.api_key_id;
  const product = await env.request('POST', '/v1/products', {
    key: a.keys.admin,
    body: { sku: 'ONLY-IN-A-1', name: 'Widget of A', weight_lb: 1, unit_cost: 2, price: 5 },
  });
  fixtures.sku = product.json.sku;
  const bundle = await env.request('POST', '/v1/bundles', {
    key: a.keys.admin,
    body: {
      sku: 'ONLY-IN-A-KIT',
      name: 'Kit of A',
      price: 9,
      components: [{ sku: 'ONLY-IN-A-1', quantity: 2 }],
    },
  });
  fixtures.bundle_sku = bundle.json.sku;
  const location = await env.request('POST', '/v1/locations', {
    key: a.keys.admin,
    body: {
      name: 'Depot of A',
      type: 'warehouse',
      address: { line1: '1 Dock St', city: 'Avenel', region: 'NJ', postal_code: '07001', country: 'US' },
      cutoffs: { mon: '14:00', tue: '14:00' },
    },
  });
  fixtures.location_id = location.json.location_id;
  const carrier = await env.request('POST', '/v1/carriers', {
    key: a.keys.admin,
    body: { name: 'Carrier of A', code: 'only-in-a' },
  });
  fixtures.carrier_id = carrier.json.carrier_id;
  const zones = Object.fromEntries(['1', '2', '3', '4', '5', '6', '7', '8'].map((z) => [z, 2]));
  const service = await env.request('POST', `/v1/carriers/${fixtures.carrier_id}/services`, {
    key: a.keys.admin,
    body: {
      name: 'Ground of A',
      code: 'ground',
      service_level: 'ground',
      transit_days_by_zone: zones,
      rate_table: [{ max_weight_lb: 10, rates_by_zone: zones }],
    },
  });
  fixtures.service_id = service.json.service_id;
  secrets.push(fixtures.user_id!, fixtures.api_key_id!, 'only-in-a@example.com', a.tenant_id, 'Tenant A');
  secrets.push(fixtures.sku!, fixtures.bundle_sku!);
  secrets.push(fixtures.location_id!, fixtures.carrier_id!, fixtures.service_id!, 'Depot of A');

  const depot2 = await env.request('POST', '/v1/locations', {
    key: a.keys.admin,
    body: {
      name: 'Second depot of A',
      type: 'store',
      address: { line1: '2 Main St', city: 'Chicago', region: 'IL', postal_code: '60601', country: 'US' },
      cutoffs: { mon: '14:00' },
    },
  });
  const found = await env.request('POST', '/v1/inventory/adjustments', {
    key: a.keys.admin,
    body: { sku: fixtures.sku, location_id: fixtures.location_id, reason: 'found', quantity: 20 },
  });
  expect(found.status).toBe(201);
  const reservation = await env.request('POST', '/v1/inventory/reservations', {
    key: a.keys.admin,
    body: { lines: [{ sku: fixtures.sku, location_id: fixtures.location_id, quantity: 2 }] },
  });
  fixtures.reservation_id = reservation.json.reservation_id;
  const transfer = await env.request('POST', '/v1/inventory/transfers', {
    key: a.keys.admin,
    body: {
      source_location_id: fixtures.location_id,
      destination_location_id: depot2.json.location_id,
      lines: [{ sku: fixtures.sku, quantity: 1 }],
    },
  });
  fixtures.transfer_id = transfer.json.transfer_id;
  const imported = await env.request('POST', '/v1/inventory/imports', {
    key: a.keys.admin,
    body: {
      covers_through_seq: 0,
      counts: [{ sku: fixtures.sku, location_id: depot2.json.location_id, on_hand: 3 }],
    },
  });
  fixtures.import_id = imported.json.import_id;
  secrets.push(fixtures.reservation_id!, fixtures.transfer_id!, fixtures.import_id!, depot2.json.location_id);

  // Orders: an order, and a subscription order (which makes a subscription).
  const orderBody = {
    channel: 'web',
    channel_order_id: 'A-ORDER-1',
    customer: { name: 'Customer of A', email: 'buyer-of-a@example.com' },
    shipping_address: {
      line1: '1 Broad St',
      city: 'Elizabeth',
      region: 'NJ',
      postal_code: '07201',
      country: 'US',
    },
    lines: [{ sku: fixtures.sku, quantity: 1, unit_price: 5 }],
    totals: { subtotal: 5, discount: 0, tax: 0, shipping: 0, total: 5 },
  };
  const order = await env.request('POST', '/v1/orders', { key: a.keys.admin, body: orderBody });
  expect(order.status, order.text).toBe(201);
  fixtures.order_id = order.json.order_id;
  const subOrder = await env.request('POST', '/v1/orders', {
    key: a.keys.admin,
    body: {
      ...orderBody,
      channel_order_id: 'A-SUB-1',
      order_type: 'subscription',
      subscription: { every: 1, unit: 'month' },
    },
  });
  expect(subOrder.status, subOrder.text).toBe(201);
  fixtures.subscription_id = subOrder.json.subscription_id;
  secrets.push(
    fixtures.order_id!,
    subOrder.json.order_id,
    fixtures.subscription_id!,
    'A-ORDER-1',
    'buyer-of-a@example.com',
  );

  // Fulfillment and returns: the order released, shipped, delivered, and a return requested.
  const released = await env.request('POST', `/v1/orders/${fixtures.order_id}/release`, {
    key: a.keys.admin,
    body: {},
  });
  expect(released.status, released.text).toBe(200);
  const fos = await env.request('GET', `/v1/fulfillment-orders?order_id=${fixtures.order_id}`, {
    key: a.keys.admin,
  });
  fixtures.fulfillment_order_id = fos.json.data[0].fulfillment_order_id;
  const shipped = await env.request(
    'POST',
    `/v1/fulfillment-orders/${fixtures.fulfillment_order_id}/shipments`,
    {
      key: a.keys.admin,
      body: {
        carrier: 'UPS',
        service: 'Ground',
        tracking_numbers: ['1ZONLYOFA'],
        packages: [{ weight_lb: 1 }],
      },
    },
  );
  expect(shipped.status, shipped.text).toBe(201);
  fixtures.shipment_id = shipped.json.shipment.shipment_id;
  await env.request('POST', `/v1/shipments/${fixtures.shipment_id}/tracking`, {
    key: a.keys.admin,
    body: { status: 'delivered' },
  });
  const returned = await env.request('POST', '/v1/returns', {
    key: a.keys.admin,
    body: { order_id: fixtures.order_id, reason: 'too_small', lines: [{ line_no: 1, quantity: 1 }] },
  });
  expect(returned.status, returned.text).toBe(201);
  fixtures.return_id = returned.json.return_id;
  secrets.push(fixtures.fulfillment_order_id!, fixtures.shipment_id!, fixtures.return_id!, '1ZONLYOFA');

  // A durable workflow of A's: the return's, waiting for the parcel, in a worker stopped after.
  const workers = await startWorkers(
    { config: loadConfig({}), pool: env.pool, log: createLogger('silent'), metrics: createMetrics() },
    env.url,
    { executorId: 'isolation-test', role: 'worker' },
  );
  fixtures.workflow_id = returnWorkflowId(a.tenant_id, fixtures.return_id!);
  await DBOS.startWorkflow(returnWorkflow, { workflowID: fixtures.workflow_id })(
    a.tenant_id,
    fixtures.return_id!,
  );
  await workers.stop();
  secrets.push(fixtures.workflow_id);

  // Webhooks: an endpoint on a port nothing listens on (its test ping fails at once), and a delivery.
  await env.request('PUT', '/v1/webhook-settings', {
    key: a.keys.admin,
    body: { allow_private_webhook_urls: true },
  });
  const webhook = await env.request('POST', '/v1/webhooks', {
    key: a.keys.admin,
    body: { url: 'http://127.0.0.1:1/hooks-of-a', event_types: ['*'] },
  });
  expect(webhook.status, webhook.text).toBe(201);
  fixtures.webhook_id = webhook.json.webhook_id;
  const replayed = await env.request('POST', `/v1/webhooks/${fixtures.webhook_id}/replay`, {
    key: a.keys.admin,
    body: { after_seq: 0 },
  });
  expect(replayed.json.queued, replayed.text).toBeGreaterThan(0);
  const deliveries = await env.request('GET', `/v1/webhooks/${fixtures.webhook_id}/deliveries?limit=1`, {
    key: a.keys.admin,
  });
  fixtures.delivery_id = deliveries.json.data[0].delivery_id;
  secrets.push(fixtures.webhook_id!, fixtures.delivery_id!, 'hooks-of-a');
});

/** Lists that need a query to answer at all, asked about tenant A's objects. */
const LIST_QUERIES: Record<string, string> = { '/v1/availability': '?skus=ONLY-IN-A-1,ONLY-IN-A-KIT' };
afterAll(() => env.close());

const operations = () => ops(env.app);

describe('tenant isolation', () => {
  it("answers 404 (never 403, never the data) when tenant B asks for tenant A's objects on every route", async () => {
    const withParams = operations().filter((o) => o.path.includes('{'));
    expect(withParams.length).toBeGreaterThan(0);
    for (const op of withParams) {
      const url = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
        const id = fixtures[name];
        if (!id)
          throw new Error(
            `No tenant-isolation fixture for path parameter {${name}} (${op.method} ${op.path})`,
          );
        return id;
      });
      // A's admin reaches the object, so a 404 for B means isolation, not a wrong id.
      const own = await env.request(op.method, url, {
        key: a.keys.admin,
        body: op.method === 'GET' ? undefined : {},
      });
      expect(own.status, `${op.method} ${url} as A`).not.toBe(404);
      const res = await env.request(op.method, url, {
        key: b.keys.admin,
        body: op.method === 'GET' ? undefined : {},
      });
      expect(res.status, `${op.method} ${url} as B`).toBe(404);
      // Echoing the id B itself sent is no leak; anything else of A's would be.
      for (const s of secrets.filter((x) => !url.includes(x))) expect(res.text).not.toContain(s);
      expect(res.json.detail).toMatch(/not found/);
    }
  });

  it("never lists tenant A's objects to tenant B", async () => {
    const lists = operations().filter(
      (o) => o.method === 'GET' && !o.path.includes('{') && o.path.startsWith('/v1/'),
    );
    expect(lists.map((o) => o.path)).toEqual(
      expect.arrayContaining(['/v1/users', '/v1/api-keys', '/v1/events']),
    );
    for (const op of lists) {
      const res = await env.request('GET', op.path + (LIST_QUERIES[op.path] ?? ''), { key: b.keys.admin });
      expect(res.status, op.path).toBe(200);
      for (const s of secrets) expect(res.text, `${op.path} leaks ${s}`).not.toContain(s);
    }
  });

  it("cannot change tenant A's objects from tenant B", async () => {
    const res = await env.request('PATCH', `/v1/users/${fixtures.user_id}`, {
      key: b.keys.admin,
      body: { role: 'admin' },
    });
    expect(res.status).toBe(404);
    const fresh = await env.request('POST', '/v1/api-keys', {
      key: a.keys.admin,
      body: { name: 'A2', role: 'support' },
    });
    const revoke = await env.request('POST', `/v1/api-keys/${fresh.json.api_key_id}/revoke`, {
      key: b.keys.admin,
    });
    expect(revoke.status).toBe(404);
    const { rows } = await env.pool.query('select role from users where user_id = $1', [fixtures.user_id]);
    expect(rows[0].role).toBe('support');
    const key = await env.pool.query('select revoked_at from api_keys where api_key_id = $1', [
      fresh.json.api_key_id,
    ]);
    expect(key.rows[0].revoked_at).toBeNull();
  });
});
