import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemo } from '../src/demo.ts';
import { freshDatabase, testAppOn } from './support.ts';

/** The sourcing routes over HTTP, on the demo tenant's network (see demo-data.ts). */

let db: Awaited<ReturnType<typeof freshDatabase>>;
let env: ReturnType<typeof testAppOn>;
let key: string;

// Monday 2026-11-23, 12:47 in New York: 2 h 13 min before Edison's 15:00 cut-off.
const NOW = '2026-11-23T17:47:00Z';
const NYC = { country: 'US', region: 'NY', postal_code: '10001' };
const SEATTLE = { country: 'US', region: 'WA', postal_code: '98101' };
const MUGS = [{ sku: 'MUG-ENAMEL-WHT', quantity: 2 }];

const post = (url: string, body: unknown, k = key) => env.request('POST', url, { key: k, body });
const promise = (body: Record<string, unknown>) => post('/v1/promise', { now: NOW, ...body });
const planFor = (body: Record<string, unknown>) =>
  post('/v1/sourcing/plan', { now: NOW, service_level: 'ground', ...body });

beforeAll(async () => {
  db = await freshDatabase();
  const demo = await createDemo(db.pool);
  key = demo.api_key!;
  env = testAppOn(db.pool);
});
afterAll(() => db.drop());

describe('GET/PUT /v1/sourcing/policy', () => {
  it('answers the balanced preset until a policy is set, then the stored one', async () => {
    const before = await env.request('GET', '/v1/sourcing/policy', { key });
    expect(before.status, before.text).toBe(200);
    expect(before.json).toMatchObject({ preset: 'balanced', allow_split: true, updated_at: null });

    const put = await env.request('PUT', '/v1/sourcing/policy', {
      key,
      body: { preset: 'cheapest', weights: { delivery_days: 2 }, max_shipments: 2, cost_ceiling: 80 },
    });
    expect(put.status, put.text).toBe(200);
    expect(put.json).toMatchObject({
      preset: 'cheapest',
      max_shipments: 2,
      cost_ceiling: 80,
      weights: { delivery_days: 2, shipping_cost: 10 },
    });
    expect(put.json.updated_at).toEqual(expect.any(String));
    const after = await env.request('GET', '/v1/sourcing/policy', { key });
    expect(after.json).toEqual(put.json);
    const events = await env.request('GET', '/v1/events?types=sourcing_policy.updated', { key });
    expect(events.json.data.at(-1)).toMatchObject({ type: 'sourcing_policy.updated' });

    // No split means one shipment, whatever max_shipments says.
    const whole = await env.request('PUT', '/v1/sourcing/policy', {
      key,
      body: { preset: 'balanced', allow_split: false, max_shipments: 3 },
    });
    expect(whole.json).toMatchObject({ allow_split: false, max_shipments: 1, cost_ceiling: null });
    await env.request('PUT', '/v1/sourcing/policy', { key, body: { preset: 'balanced' } });
  });

  it('rejects unknown presets, fields and negative weights, naming the field', async () => {
    for (const [body, path] of [
      [{ preset: 'quickest' }, 'body.preset'],
      [{ preset: 'balanced', speed: 1 }, 'body.speed'],
      [{ preset: 'balanced', weights: { delivery_days: -1 } }, 'body.weights.delivery_days'],
      [{ preset: 'balanced', max_shipments: 0 }, 'body.max_shipments'],
    ] as const) {
      const res = await env.request('PUT', '/v1/sourcing/policy', { key, body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.json.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
  });
});

describe('POST /v1/sourcing/plan', () => {
  it('ships a New York order from Edison, next day, and explains every candidate', async () => {
    const res = await planFor({ lines: MUGS, destination: NYC });
    expect(res.status, res.text).toBe(200);
    const p = res.json;
    expect(p.shipments).toHaveLength(1);
    expect(p.backorders).toEqual([]);
    const { rows } = await db.pool.query(
      "select location_id, name from locations where tenant_id = 'ten_demo' order by name",
    );
    const byName = Object.fromEntries(rows.map((r) => [r.name, r.location_id]));
    expect(p.shipments[0]).toMatchObject({
      location_id: byName['Edison DC'],
      ship_date: '2026-11-23',
      delivery_date: '2026-11-24',
    });
    expect(p.promise.text).toBe('Order within 2 h 13 min for delivery Tuesday, Nov 24');
    expect(p.explanation.policy).toBe('balanced');
    expect(p.explanation.candidates).toHaveLength(rows.length);
    // Timberline (drop-ship) carries no mugs.
    expect(p.explanation.candidates).toContainEqual({
      location_id: byName['Timberline Cookware (drop-ship)'],
      status: 'excluded',
      reason: 'no_stock',
    });
    expect(p.explanation.why).toMatch(/scores/);
  });

  it('uses a preset named in the request instead of the tenant’s weights', async () => {
    const res = await planFor({ lines: MUGS, destination: NYC, policy: 'cheapest' });
    expect(res.status, res.text).toBe(200);
    expect(res.json.explanation.policy).toBe('cheapest');
  });

  it('backorders what no location holds, and drop-ships what only the supplier holds', async () => {
    const res = await planFor({
      lines: [
        { sku: 'SCARF-ALPACA-GRY', quantity: 20 },
        { sku: 'DUTCH-OVEN-6QT', quantity: 1 },
      ],
      destination: NYC,
    });
    expect(res.status, res.text).toBe(200);
    // 14 at Edison + 3 at the Chicago store: 3 of 20 are backordered.
    expect(res.json.backorders).toEqual([{ sku: 'SCARF-ALPACA-GRY', quantity: 3 }]);
    expect(res.json.lines[0].sources.at(-1)).toEqual({ kind: 'backorder', quantity: 3 });
    expect(res.json.shipments.map((s: { inventory_type: string }) => s.inventory_type)).toContain('dropship');
  });

  it('names unknown SKUs and bad input as 422 problem+json', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ lines: [...MUGS, { sku: 'NO-SUCH-SKU', quantity: 1 }], destination: NYC }, 'body.lines[1].sku'],
      [{ lines: [], destination: NYC }, 'body.lines'],
      [{ lines: [{ sku: 'MUG-ENAMEL-WHT', quantity: 0 }], destination: NYC }, 'body.lines[0].quantity'],
      [{ lines: MUGS, destination: NYC, rush: true }, 'body.rush'],
      [{ lines: MUGS, destination: { ...NYC, postal_code: 'ABCDE' } }, 'body.destination.postal_code'],
      [{ lines: MUGS, destination: { ...NYC, postal_code: '00000' } }, 'body.destination.postal_code'],
      [{ lines: MUGS, destination: NYC, service_level: 'teleport' }, 'body.service_level'],
      [{ lines: MUGS, destination: NYC, now: 'tomorrow' }, 'body.now'],
    ];
    for (const [body, path] of cases) {
      const res = await planFor(body);
      expect(res.status, `${path}: ${res.text}`).toBe(422);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.json.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
  });
});

describe('POST /v1/promise', () => {
  const levels = (options: { service_level: string }[]) => options.map((o) => o.service_level).sort();

  it('offers ground, two-day and overnight near a warehouse, with the countdown to its cut-off', async () => {
    const res = await promise({ lines: MUGS, destination: NYC });
    expect(res.status, res.text).toBe(200);
    expect(levels(res.json.options)).toEqual(['ground', 'overnight', 'two_day']);
    const ground = res.json.options.find((o: { service_level: string }) => o.service_level === 'ground');
    expect(ground).toMatchObject({
      carrier_service: { code: 'GND', carrier_code: 'parcelway' },
      currency: 'USD',
      ships_from_count: 1,
      delivery_date: '2026-11-24',
      order_within_ms: (2 * 60 + 13) * 60_000,
      text: 'Order within 2 h 13 min for delivery Tuesday, Nov 24',
    });
    expect(ground.price).toBeGreaterThan(0);
    // Ground reaches New York from Edison in a day, so it keeps the two-day promise too.
    const twoDay = res.json.options.find((o: { service_level: string }) => o.service_level === 'two_day');
    expect(twoDay.carrier_service.code).toBe('GND');
  });

  it('keeps two-day for a far destination only by air, and sorts options by delivery date', async () => {
    const res = await promise({ lines: MUGS, destination: SEATTLE });
    expect(res.status, res.text).toBe(200);
    const by = Object.fromEntries(
      res.json.options.map((o: { service_level: string }) => [o.service_level, o]),
    );
    expect(Object.keys(by).sort()).toEqual(['ground', 'overnight', 'two_day']);
    expect(by.two_day.carrier_service.code).toBe('2DA');
    expect(by.overnight.carrier_service.code).toBe('NDA');
    // Ground takes 3 business days to Seattle from the nearest warehouse, past Thanksgiving.
    expect(by.two_day.delivery_date).toBe('2026-11-25');
    const dates = res.json.options.map((o: { delivery_date: string }) => o.delivery_date);
    expect(dates).toEqual([...dates].sort());
  });

  it('drops the air options above the tenant’s cost ceiling', async () => {
    await env.request('PUT', '/v1/sourcing/policy', { key, body: { preset: 'balanced', cost_ceiling: 20 } });
    try {
      const res = await promise({ lines: MUGS, destination: SEATTLE });
      expect(levels(res.json.options)).toEqual(['ground']);
      expect(res.json.options[0]).toMatchObject({ carrier_service: { code: 'GND' } });
      expect(res.json.options[0].delivery_date > '2026-11-25').toBe(true);
      expect(res.json.options[0].price).toBeLessThanOrEqual(20);
    } finally {
      await env.request('PUT', '/v1/sourcing/policy', { key, body: { preset: 'balanced' } });
    }
  });

  it('plans a bundle as its components', async () => {
    const res = await promise({ lines: [{ sku: 'CABIN-GIFT-SET', quantity: 1 }], destination: NYC });
    expect(res.status, res.text).toBe(200);
    expect(levels(res.json.options)).toEqual(['ground', 'overnight', 'two_day']);
    const p = await planFor({ lines: [{ sku: 'CABIN-GIFT-SET', quantity: 2 }], destination: NYC });
    expect(p.json.lines.map((l: { sku: string; quantity: number }) => [l.sku, l.quantity])).toEqual([
      ['BLANKET-WOOL-PLD', 2],
      ['CANDLE-CEDAR', 2],
      ['MUG-ENAMEL-WHT', 4],
    ]);
  });

  it('offers nothing for a cart that cannot ship whole now', async () => {
    const created = await post('/v1/products', {
      sku: 'NEVER-STOCKED',
      name: 'Never stocked',
      weight_lb: 1,
      unit_cost: 1,
      price: 2,
    });
    expect(created.status, created.text).toBe(201);
    const none = await promise({ lines: [{ sku: 'NEVER-STOCKED', quantity: 1 }], destination: NYC });
    expect(none.status).toBe(200);
    expect(none.json.options).toEqual([]);
    const tooMany = await promise({ lines: [{ sku: 'BLANKET-WOOL-PLD', quantity: 25 }], destination: NYC });
    expect(tooMany.json.options).toEqual([]);
  });

  it('only reads: an Idempotency-Key is accepted and stores nothing, so another cart may reuse it', async () => {
    const idem = (body: Record<string, unknown>) =>
      env.request('POST', '/v1/promise', {
        key,
        body: { now: NOW, ...body },
        headers: { 'idempotency-key': 'promise-key-1' },
      });
    const first = await idem({ lines: MUGS, destination: NYC });
    expect(first.status, first.text).toBe(200);
    const other = await idem({ lines: MUGS, destination: SEATTLE });
    expect(other.status, other.text).toBe(200);
    expect(other.headers.get('idempotent-replayed')).toBeNull();
    expect(other.json.options).not.toEqual(first.json.options);
    const { rows } = await db.pool.query(
      `select count(*)::int as n from idempotency_keys where idempotency_key = 'promise-key-1'`,
    );
    expect(rows[0].n).toBe(0);
  });

  it('names bad input as 422', async () => {
    const res = await promise({ lines: [{ sku: 'MUG-ENAMEL-WHT', quantity: -1 }], destination: NYC });
    expect(res.status).toBe(422);
    expect(res.json.errors[0].path).toBe('body.lines[0].quantity');
    const unknown = await promise({ lines: [{ sku: 'NOPE', quantity: 1 }], destination: NYC });
    expect(unknown.status).toBe(422);
    expect(unknown.json.errors[0].path).toBe('body.lines[0].sku');
  });
});
