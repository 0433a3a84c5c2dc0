import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemo } from '../src/demo.ts';
import { zip3Population } from '../src/modules/network/population.ts';
import { presetPolicy } from '../src/modules/sourcing/policy.ts';
import {
  businessDaysBetween,
  type SimulatedOrder,
  Simulation,
  SimulationError,
  simulate,
} from '../src/modules/sourcing/simulate.ts';
import {
  type NetworkFileInput,
  NetworkFileSchema,
  networkFromFile,
  parseOrdersNdjson,
  SimulatedOrderSchema,
} from '../src/modules/sourcing/simulate-files.ts';
import { generateOrders, toNdjson } from '../src/modules/sourcing/simulate-generate.ts';
import { freshDatabase, spawnOrderly, testAppOn } from './support.ts';

/**
 * The network simulator: its report on a network small enough to work out by hand, stock that
 * depletes and replenishes, the order generator, `orderly simulate` end to end, and
 * POST /v1/sourcing/simulations on the demo tenant.
 */

const WEEKDAYS = { mon: '14:00', tue: '14:00', wed: '14:00', thu: '14:00', fri: '14:00' };
const location = (location_id: string, postal_code: string, region: string, extra: object = {}) => ({
  location_id,
  name: location_id,
  type: 'warehouse' as const,
  address: { line1: '1 Dock Rd', city: 'X', region, postal_code, country: 'US' },
  cutoffs: WEEKDAYS,
  holiday_calendar: null,
  ...extra,
});
const ALL_ZONES = (f: (z: number) => number) =>
  Object.fromEntries([1, 2, 3, 4, 5, 6, 7, 8].map((z) => [`${z}`, f(z)])) as Record<
    '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8',
    number
  >;

/**
 * Two locations: `a` in Edison NJ (zone 1 to 10001) and `b` in Reno NV (zone 8 to 10001); one
 * ground service, 1 transit day in every zone, no carrier holidays, costing the zone number.
 */
function tinyNetwork(
  stock: Record<string, number>,
  extra: Partial<NetworkFileInput> = {},
  capacityA?: number,
) {
  const file: NetworkFileInput = {
    locations: [
      location('a', '08817', 'NJ', capacityA ? { daily_order_capacity: capacityA } : {}),
      location('b', '89502', 'NV'),
    ],
    services: [
      {
        service_id: 'svc_ground',
        name: 'Ground',
        code: 'GND',
        service_level: 'ground',
        transit_days_by_zone: ALL_ZONES(() => 1),
        rate_table: [{ max_weight_lb: 150, rates_by_zone: ALL_ZONES((z) => z) }],
        holidays: [],
      },
    ],
    skus: { A: { weight_lb: 1 } },
    stock: { A: stock },
    ...extra,
  };
  return networkFromFile(NetworkFileSchema.parse(file));
}

const order = (at: string, quantity: number, postal_code = '10001'): SimulatedOrder => ({
  at,
  postal_code,
  lines: [{ sku: 'A', quantity }],
});
const policy = presetPolicy('balanced');
// Tuesday 3 Nov 2026, 10:00 in New York and 07:00 in Reno: before both 14:00 cut-offs.
const TUE = '2026-11-03T15:00:00Z';

describe('simulate: a network worked out by hand', () => {
  it('reports promises, deliveries, zones, cost, splits, backorders and load', () => {
    // Stock 4 units (a 2, b 2); demand 8 units in 5 orders.
    //  1. 3 units: a sends 2 (zone 1, $1), b 1 (zone 8, $8) — a split; delivered Wed, 1 business day.
    //  2. 2 units: b sends its last 1 ($8) and 1 is backordered: promised in time, not delivered whole.
    //  3-5. 1 unit each: nothing left, backordered, no shipment.
    const report = simulate({ ...tinyNetwork({ a: 2, b: 2 }), policy }, [
      order(TUE, 3),
      order('2026-11-03T15:01:00Z', 2),
      order('2026-11-03T15:02:00Z', 1),
      order('2026-11-03T15:03:00Z', 1),
      order('2026-11-03T15:04:00Z', 1),
    ]);
    expect(report).toMatchObject({
      policy: 'balanced',
      orders: 5,
      units: 8,
      shipments: 3,
      promised_within_2_business_days: 2 / 5,
      delivered_within_2_business_days: 1 / 5,
      split_rate: 1 / 5,
      backorder_rate: 4 / 5,
      units_backordered: 4,
      orders_unshipped: 3,
      shipping_cost_per_order: 17 / 5,
      locations: [
        { location_id: 'a', orders: 1, units: 2, share_of_orders: 1 / 5 },
        { location_id: 'b', orders: 2, units: 2, share_of_orders: 2 / 5 },
      ],
    });
    expect(report.average_zone).toBeCloseTo(17 / 3, 10);
    expect(report.orders_per_second).toBeGreaterThan(0);
  });

  it('counts business days, not calendar days, against the 2-day target', () => {
    expect(businessDaysBetween('2026-11-06', '2026-11-10')).toBe(2); // Fri → Tue: Mon, Tue
    expect(businessDaysBetween('2026-11-06', '2026-11-07')).toBe(0); // Fri → Sat
    // Friday 15:00 in New York, after the cut-off: ships Monday, delivered Tuesday — 2 business days.
    const late = simulate({ ...tinyNetwork({ a: 5 }), policy }, [order('2026-11-06T20:00:00Z', 1)]);
    expect(late.promised_within_2_business_days).toBe(1);
    // Two transit days instead: Wednesday, 3 business days after Friday.
    const slow = tinyNetwork({ a: 5 });
    slow.services[0]!.transit_days_by_zone = ALL_ZONES(() => 2);
    const report = simulate({ ...slow, policy }, [order('2026-11-06T20:00:00Z', 1)]);
    expect(report.promised_within_2_business_days).toBe(0);
    expect(report.delivered_within_2_business_days).toBe(0);
  });

  it('depletes stock by each plan and refills it to the start level every N days', () => {
    const sim = new Simulation({ ...tinyNetwork({ a: 1 }, { replenishment: { every_days: 1 } }), policy });
    sim.add(order(TUE, 1));
    expect(sim.stockNow().A).toEqual({ a: 0 });
    const second = sim.add(order('2026-11-03T16:00:00Z', 1));
    expect(second.backorders).toEqual([{ sku: 'A', quantity: 1 }]);
    // The next day the period turns: a is back to 1 unit and ships again.
    const third = sim.add(order('2026-11-04T15:00:00Z', 1));
    expect(third.shipments.map((s) => s.location_id)).toEqual(['a']);
    const report = sim.report();
    expect(report).toMatchObject({ replenishments: 1, backorder_rate: 1 / 3, units_backordered: 1 });
    expect(sim.stockNow().A).toEqual({ a: 0 });
  });

  it('applies scheduled arrivals from their moment on', () => {
    const sim = new Simulation({
      ...tinyNetwork(
        { a: 0 },
        {
          replenishment: {
            schedule: [{ at: '2026-11-03T15:30:00Z', location_id: 'b', sku: 'A', quantity: 2 }],
          },
        },
      ),
      policy,
    });
    expect(sim.add(order(TUE, 1)).shipments).toEqual([]);
    expect(sim.add(order('2026-11-03T15:30:00Z', 1)).shipments.map((s) => s.location_id)).toEqual(['b']);
    expect(sim.stockNow().A).toEqual({ a: 0, b: 1 });
    expect(sim.report().replenishments).toBe(1);
  });

  it('counts each location’s orders per day against its daily capacity', () => {
    // a may take one order a day: the second order that day goes to b although a has stock.
    const report = simulate({ ...tinyNetwork({ a: 5, b: 5 }, {}, 1), policy }, [
      order(TUE, 1),
      order('2026-11-03T15:01:00Z', 1),
      order('2026-11-04T15:00:00Z', 1),
    ]);
    expect(report.locations).toEqual([
      { location_id: 'a', orders: 2, units: 2, share_of_orders: 2 / 3 },
      { location_id: 'b', orders: 1, units: 1, share_of_orders: 1 / 3 },
    ]);
  });

  it('refuses orders out of time order, naming the position', () => {
    const sim = new Simulation({ ...tinyNetwork({ a: 5 }), policy });
    sim.add(order(TUE, 1));
    expect(() => sim.add(order('2026-11-02T15:00:00Z', 1))).toThrow(SimulationError);
  });
});

describe('the orders file', () => {
  it('names the line and field of each error', () => {
    const text = [
      JSON.stringify(order(TUE, 1)),
      '',
      JSON.stringify({ ...order(TUE, 1), lines: [{ sku: 'A', quantity: 0 }] }),
      '{not json',
      JSON.stringify(order('2026-11-01T00:00:00Z', 1)),
      JSON.stringify(order(TUE, 1, '00000')),
    ].join('\n');
    const { orders, errors } = parseOrdersNdjson(text);
    expect(orders).toHaveLength(2);
    expect(errors).toEqual([
      'line 3.lines[0].quantity: At least 1.',
      expect.stringMatching(/^line 4: not JSON/),
      'line 5.at: orders must be sorted by time; this one is earlier than the one before.',
      'line 6.postal_code: Not a known US ZIP code prefix.',
    ]);
  });

  it('rejects a network file naming the field', () => {
    const bad = NetworkFileSchema.safeParse({
      locations: [location('a', '08817', 'NJ')],
      services: [],
      stock: { A: { z: 1 } },
    });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['services', 'stock.A.z']));
  });
});

describe('generateOrders', () => {
  const options = { orders: 3000, skus: 50, days: 7, seed: 11 };
  const orders = generateOrders(options);

  it('is deterministic for a seed', () => {
    expect(toNdjson(generateOrders(options))).toBe(toNdjson(orders));
    expect(toNdjson(generateOrders({ ...options, seed: 12 }))).not.toBe(toNdjson(orders));
  });

  it('draws SKUs Zipf-like: the top SKU is the most frequent, the tail rare', () => {
    const counts = new Map<string, number>();
    for (const o of orders) for (const l of o.lines) counts.set(l.sku, (counts.get(l.sku) ?? 0) + 1);
    const ranked = [...counts].sort((a, b) => b[1] - a[1]);
    expect(ranked[0]![0]).toBe('SKU-00001');
    expect(counts.get('SKU-00001')!).toBeGreaterThan(3 * (counts.get('SKU-00010') ?? 0));
  });

  it('writes valid, sorted orders of 1-3 distinct lines within the days', () => {
    const start = Date.parse('2026-11-02T00:00:00Z');
    let last = 0;
    for (const o of orders) {
      expect(SimulatedOrderSchema.safeParse(o).success).toBe(true);
      const t = Date.parse(o.at);
      expect(t).toBeGreaterThanOrEqual(Math.max(last, start));
      expect(t).toBeLessThan(start + 7 * 86_400_000);
      last = t;
      expect(o.lines.length).toBeGreaterThanOrEqual(1);
      expect(o.lines.length).toBeLessThanOrEqual(3);
      expect(new Set(o.lines.map((l) => l.sku)).size).toBe(o.lines.length);
    }
    // Destinations spread over the country, not one place.
    expect(new Set(orders.map((o) => o.postal_code.slice(0, 3))).size).toBeGreaterThan(300);
  });

  it('draws destinations by population, not by ZIP-code count', () => {
    // New York City's ZIP3s hold under 1 % of the ZIP codes but several percent of the people;
    // Montana about 1 % of the ZIP codes and a quarter of a percent of the people.
    const nyc = ['100', '101', '102', '103', '104', '111', '112', '113', '114', '116'];
    const toNyc = orders.filter((o) => nyc.includes(o.postal_code.slice(0, 3))).length;
    const toMontana = orders.filter((o) => o.region === 'MT').length;
    expect(toNyc / orders.length).toBeGreaterThan(0.025);
    expect(toMontana / orders.length).toBeLessThan(0.006);
    // Every destination is a ZIP code with people.
    const people = zip3Population();
    expect(orders.every((o) => (people.get(o.postal_code.slice(0, 3)) ?? 0) > 0)).toBe(true);
  });
});

describe('orderly simulate', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'orderly-sim-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('generates an orders file and a network, then prints the report', async () => {
    const ordersFile = path.join(dir, 'orders.ndjson');
    const networkFile = path.join(dir, 'network.json');
    const gen = spawnOrderly(
      [
        'simulate',
        'generate',
        '--orders',
        '300',
        '--skus',
        '40',
        '--days',
        '3',
        '--seed',
        '5',
        '--out',
        ordersFile,
        '--network-out',
        networkFile,
      ],
      {},
    );
    expect(await gen.exited, gen.output()).toBe(0);
    expect(readFileSync(ordersFile, 'utf8').trim().split('\n')).toHaveLength(300);

    const run = spawnOrderly(
      ['simulate', '--orders', ordersFile, '--network', networkFile, '--policy', 'cheapest'],
      {},
    );
    expect(await run.exited, run.output()).toBe(0);
    const out = run.stdout();
    expect(out).toMatch(/^policy\s+cheapest$/m);
    expect(out).toMatch(/^orders\s+300$/m);
    expect(out).toMatch(/^promised within 2 business days\s+\d+\.\d %$/m);
    expect(out).toMatch(/^split rate\s+\d+\.\d %$/m);
    for (const id of ['edison', 'dallas', 'reno', 'chicago', 'timberline']) expect(out).toContain(id);
    // Per-location orders add up to the shipments.
    const shipments = Number(/^shipments\s+(\d+)$/m.exec(out)![1]);
    const perLocation = [...out.matchAll(/^(?:edison|dallas|reno|chicago|timberline)\s+(\d+)/gm)];
    expect(perLocation.reduce((s, m) => s + Number(m[1]), 0)).toBe(shipments);
  });

  it('exits 1 naming the line of a bad order', async () => {
    const ordersFile = path.join(dir, 'bad.ndjson');
    const networkFile = path.join(dir, 'network.json');
    writeFileSync(
      ordersFile,
      `${JSON.stringify(order(TUE, 1))}\n${JSON.stringify({ at: TUE, lines: [] })}\n`,
    );
    const run = spawnOrderly(['simulate', '--orders', ordersFile, '--network', networkFile], {});
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('line 2.postal_code');
  });
});

describe('POST /v1/sourcing/simulations', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let env: ReturnType<typeof testAppOn>;
  let key: string;
  beforeAll(async () => {
    db = await freshDatabase();
    key = (await createDemo(db.pool)).api_key!;
    env = testAppOn(db.pool);
  });
  afterAll(() => db.drop());
  const post = (body: unknown) => env.request('POST', '/v1/sourcing/simulations', { key, body });

  it('simulates the live demo network and stock, writing nothing', async () => {
    const before = await db.pool.query('select sum(available)::int as n from inventory_balances');
    // Edison holds 25 HOODIE-FLC-NVY-L and Reno 9: 40 one-unit orders from New York exhaust them.
    const orders = Array.from({ length: 40 }, (_, i) => ({
      at: `2026-11-03T15:${String(i).padStart(2, '0')}:00Z`,
      postal_code: '10001',
      lines: [{ sku: 'HOODIE-FLC-NVY-L', quantity: 1 }],
    }));
    const res = await post({ orders, policy: 'fastest' });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ policy: 'fastest', orders: 40, units: 40, units_backordered: 6 });
    expect(res.json.backorder_rate).toBeCloseTo(6 / 40, 10);
    const load = Object.fromEntries(
      res.json.locations.map((l: { location_id: string; units: number }) => [l.location_id, l.units]),
    );
    expect(Object.values(load).reduce((s: number, n) => s + (n as number), 0)).toBe(34);
    const after = await db.pool.query('select sum(available)::int as n from inventory_balances');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('simulates a network sent with the request', async () => {
    const network = {
      locations: [location('a', '08817', 'NJ'), location('b', '89502', 'NV')],
      services: [
        {
          service_id: 'svc_ground',
          name: 'Ground',
          code: 'GND',
          service_level: 'ground',
          transit_days_by_zone: ALL_ZONES(() => 1),
          rate_table: [{ max_weight_lb: 150, rates_by_zone: ALL_ZONES((z) => z) }],
          holidays: [],
        },
      ],
      stock: { A: { a: 2, b: 2 } },
    };
    const res = await post({ network, orders: [order(TUE, 3), order('2026-11-03T15:01:00Z', 2)] });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({
      orders: 2,
      split_rate: 0.5,
      units_backordered: 1,
      shipping_cost_per_order: 8.5,
    });
  });

  it('answers 422 naming the field, and 403 to a support key', async () => {
    const bad = await post({
      orders: [{ at: TUE, postal_code: '10001', lines: [{ sku: 'A', quantity: -1 }] }],
    });
    expect(bad.status).toBe(422);
    expect(bad.json.errors[0].path).toBe('body.orders[0].lines[0].quantity');
    const unknown = await post({ orders: [order(TUE, 1)] });
    expect(unknown.status).toBe(422);
    expect(unknown.json.errors[0].path).toBe('body.orders[0].lines[0].sku');
    const empty = await post({ orders: [] });
    expect(empty.status).toBe(422);
    expect(empty.json.errors[0].path).toBe('body.orders');
    const support = await env.request('POST', '/v1/api-keys', { key, body: { name: 's', role: 'support' } });
    expect(support.status, support.text).toBe(201);
    const forbidden = await env.request('POST', '/v1/sourcing/simulations', {
      key: support.json.key,
      body: { orders: [order(TUE, 1)] },
    });
    expect(forbidden.status).toBe(403);
  });
});
