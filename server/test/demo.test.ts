import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemo, DEMO_TENANT_ID } from '../src/demo.ts';
import { DEMO_PRODUCTS } from '../src/demo-data.ts';
import { replayBalances } from '../src/modules/inventory/ledger.ts';
import { freshDatabase, testApp } from './support.ts';

type Env = Awaited<ReturnType<typeof testApp>>;
let env: Env;
let key: string;

const get = (url: string) => env.request('GET', url, { key });

/** Rows in every application table, so a second createDemo can be shown to write nothing. */
async function rowCounts() {
  const { rows } = await env.pool.query<{ table_name: string }>(
    `select table_name from information_schema.tables
     where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`,
  );
  const counts: Record<string, number> = {};
  for (const { table_name } of rows) {
    const { rows: n } = await env.pool.query(`select count(*)::int as n from "${table_name}"`);
    counts[table_name] = n[0].n;
  }
  return counts;
}

beforeAll(async () => {
  env = await testApp();
});
afterAll(() => env.close());

describe('the demo tenant', () => {
  it('is created once even when asked twice at the same moment, with a usable admin key', async () => {
    const answers = await Promise.all([createDemo(env.pool), createDemo(env.pool)]);
    expect(answers.map((a) => a.created).sort()).toEqual([false, true]);
    const created = answers.find((a) => a.created)!;
    expect(created.tenant_id).toBe(DEMO_TENANT_ID);
    key = created.api_key!;

    const me = await get('/v1/auth/me');
    expect(me.status, me.text).toBe(200);
    expect(me.json).toMatchObject({ role: 'admin', tenant: { name: 'Demo Outfitters' } });
  });

  it('is a no-op the second time: it says so and writes no row anywhere', async () => {
    const before = await rowCounts();
    expect(before.locations).toBe(5);
    expect(await createDemo(env.pool, { apiKey: 'ok_another_key_0123456789abcdef' })).toEqual({
      created: false,
      tenant_id: DEMO_TENANT_ID,
    });
    expect(await rowCounts()).toEqual(before);
  });

  it('has three warehouses in three time zones, a store and a drop-ship supplier', async () => {
    const res = await get('/v1/locations');
    expect(res.status, res.text).toBe(200);
    expect(res.json.data).toHaveLength(5);
    const types = res.json.data.map((l: any) => l.type).sort();
    expect(types).toEqual(['dropship_supplier', 'store', 'warehouse', 'warehouse', 'warehouse']);
    const warehouses = res.json.data.filter((l: any) => l.type === 'warehouse');
    expect(new Set(warehouses.map((l: any) => l.time_zone)).size).toBe(3);
    for (const w of warehouses) {
      expect(Object.keys(w.cutoffs).sort()).toEqual(['fri', 'mon', 'thu', 'tue', 'wed']);
      expect(w.daily_order_capacity).toBeGreaterThan(0);
      expect(w.fulfillment_cost.per_order).toBeGreaterThan(0);
    }
  });

  it('has a carrier with ground, two-day and overnight services', async () => {
    const carriers = await get('/v1/carriers');
    expect(carriers.json.data).toHaveLength(1);
    const services = await get(`/v1/carriers/${carriers.json.data[0].carrier_id}/services`);
    expect(services.json.data.map((s: any) => s.service_level).sort()).toEqual([
      'ground',
      'overnight',
      'two_day',
    ]);
  });

  it('has the products and the bundle', async () => {
    const products = await get('/v1/products');
    expect(products.status, products.text).toBe(200);
    expect(products.json.data.map((p: any) => p.sku).sort()).toEqual(DEMO_PRODUCTS.map((p) => p.sku).sort());
    expect(products.json.data.filter((p: any) => p.final_sale)).toHaveLength(1);
    expect(products.json.data.filter((p: any) => p.low_stock_threshold !== null)).toHaveLength(2);
    const bundle = await get('/v1/bundles/CABIN-GIFT-SET');
    expect(bundle.json.components).toHaveLength(3);
  });

  it('shows stock for a product and for the bundle made from it', async () => {
    const res = await get('/v1/availability?skus=MUG-ENAMEL-WHT,CABIN-GIFT-SET');
    expect(res.status, res.text).toBe(200);
    const [mug, set] = res.json.data;
    expect(mug).toMatchObject({ sku: 'MUG-ENAMEL-WHT', kind: 'product', available: 464, sellable: 464 });
    expect(mug.locations).toHaveLength(4);
    // Two mugs a set, but only 24 blankets (18 + 6 + 0): the blanket limits it.
    expect(set).toMatchObject({ sku: 'CABIN-GIFT-SET', kind: 'bundle', available: 24, sellable: 24 });
  });

  it('limits the marketplace to 30% of the navy hoodie in M', async () => {
    const res = await get('/v1/availability?skus=HOODIE-FLC-NVY-M&channel=marketplace');
    expect(res.json.data[0]).toMatchObject({ available: 74, sellable: 22 });
  });

  it('spreads a SKU over several locations, with safety stock held back and a sold-out spot', async () => {
    const res = await get('/v1/inventory/TEE-ORG-BLK-M');
    expect(res.status, res.text).toBe(200);
    expect(res.json.locations).toHaveLength(4);
    expect(res.json.totals).toMatchObject({ on_hand: 257, safety: 10, available: 247 });
    const edison = res.json.locations.find((l: any) => l.location_name === 'Edison DC');
    expect(edison).toMatchObject({ on_hand: 120, safety: 10, safety_target: 10, available: 110 });

    const large = await get('/v1/inventory/TEE-ORG-BLK-L');
    const dallas = large.json.locations.find((l: any) => l.location_name === 'Dallas DC');
    expect(dallas).toMatchObject({ on_hand: 0, available: 0 });
  });

  it('came in as movements: replaying them gives every balance', async () => {
    const replayed = await replayBalances(env.pool, DEMO_TENANT_ID);
    const { rows } = await env.pool.query('select * from inventory_balances where tenant_id = $1', [
      DEMO_TENANT_ID,
    ]);
    for (const b of rows) {
      const r = replayed.get(`${b.sku}\u0000${b.location_id}`);
      expect({ available: r?.available ?? 0, safety: r?.safety ?? 0 }).toEqual({
        available: b.available,
        safety: b.safety,
      });
    }
    const movements = await get('/v1/inventory/movements?sku=TEE-ORG-BLK-M&limit=10');
    expect(new Set(movements.json.data.map((m: any) => m.cause))).toEqual(new Set(['import']));
  });
});

describe('the bootstrap tenant on a database that is not the embedded demo', () => {
  it('has the tenant and its key but no made-up network or stock', async () => {
    const db = await freshDatabase();
    try {
      const answer = await createDemo(db.pool, { withNetwork: false });
      expect(answer.created).toBe(true);
      const { rows } = await db.pool.query(
        `select (select count(*) from api_keys)::int as keys, (select count(*) from locations)::int as locations,
                (select count(*) from products)::int as products, (select count(*) from inventory_movements)::int as movements`,
      );
      expect(rows[0]).toEqual({ keys: 1, locations: 0, products: 0, movements: 0 });
    } finally {
      await db.drop();
    }
  });
});

describe('the demo orders', () => {
  it('are captured, routed and reserved, then held, cancelled in part and released as people would', async () => {
    const db = await freshDatabase();
    try {
      await createDemo(db.pool, { withOrders: true });
      const { rows } = await db.pool.query(
        `select channel_order_id, status from orders where tenant_id = $1 order by placed_at`,
        [DEMO_TENANT_ID],
      );
      expect(Object.fromEntries(rows.map((r) => [r.channel_order_id, r.status]))).toEqual({
        'W-10231': 'in_fulfillment',
        'W-10232': 'allocated',
        'MKT-88120': 'allocated',
        'W-10233': 'on_hold',
        'PH-5521': 'allocated',
        // 30 blankets wanted, 24 in stock across the network.
        'W-10234': 'partially_allocated',
        'MKT-88131': 'allocated',
        'W-10235': 'allocated',
      });
      // Every reservation the orders hold is in the ledger, and only those.
      const held = await db.pool.query(
        `select coalesce(sum(reserved), 0)::int as n from inventory_balances where tenant_id = $1`,
        [DEMO_TENANT_ID],
      );
      const allocated = await db.pool.query(
        `select coalesce(sum(quantity), 0)::int as n from order_allocations where tenant_id = $1`,
        [DEMO_TENANT_ID],
      );
      expect(held.rows[0].n).toBe(allocated.rows[0].n);
      expect(held.rows[0].n).toBeGreaterThan(0);
    } finally {
      await db.drop();
    }
  });
});
