import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Zone } from '../src/modules/network/geo.ts';
import type { SnapshotLocation } from '../src/modules/network/snapshot.ts';
import { plan } from '../src/modules/sourcing/planner.ts';
import { PRESETS, presetPolicy } from '../src/modules/sourcing/policy.ts';
import type { Plan, PlanOrder, StockSnapshot } from '../src/modules/sourcing/types.ts';
import { air, location, NYC, service } from './sourcing-fixtures.ts';

// Tuesday 2026-11-17, 10:00 in New York: before every 14:00 cut-off.
const NOW = new Date('2026-11-17T15:00:00Z');
const ground = service('svc_ground');
const order = (lines: [string, number][], level: PlanOrder['service_level'] = 'ground'): PlanOrder => ({
  lines: lines.map(([sku, quantity]) => ({ sku, quantity, weight_lb: 1 })),
  destination: NYC,
  service_level: level,
  channel: 'web',
});

const shippedFrom = (p: Plan) => p.shipments.map((s) => s.location_id);

describe('worked examples', () => {
  const near = location('loc_near', 2, { fulfillment_cost: { per_order: 15, per_unit: 1, currency: 'USD' } });
  const far = location('loc_far', 8, { fulfillment_cost: { per_order: 1, per_unit: 0, currency: 'USD' } });
  const network = { locations: [near, far], services: [ground] };
  const stock: StockSnapshot = { sellable: { A: { loc_near: 5, loc_far: 5 } } };

  it('a closer location wins for fastest, a cheaper one for cheapest', () => {
    const fastest = plan(order([['A', 2]]), network, stock, presetPolicy('fastest'), NOW);
    expect(shippedFrom(fastest)).toEqual(['loc_near']);
    expect(fastest.shipments[0]).toMatchObject({
      zone: 2,
      ship_date: '2026-11-17',
      delivery_date: '2026-11-18',
      cost: 10,
      service_id: 'svc_ground',
    });
    expect(fastest.promise).toEqual({
      delivery_date: '2026-11-18',
      cutoff_at: '2026-11-17T19:00:00.000Z',
      countdown_ms: 4 * 3_600_000,
      text: 'Order within 4 h for delivery Wednesday, Nov 18',
    });
    const cheapest = plan(order([['A', 2]]), network, stock, presetPolicy('cheapest'), NOW);
    expect(shippedFrom(cheapest)).toEqual(['loc_far']);
    expect(cheapest.shipments[0]).toMatchObject({ zone: 8, delivery_date: '2026-11-24' });
    expect(cheapest.explanation.why).toMatch(/^loc_far scores/);
    expect(cheapest.explanation.runner_up?.location_ids).toEqual(['loc_near']);
  });

  it('splits when allowed and backorders instead when not', () => {
    const s: StockSnapshot = { sellable: { A: { loc_near: 5 }, B: { loc_far: 5 } } };
    const o = order([
      ['A', 1],
      ['B', 1],
    ]);
    const split = plan(o, network, s, presetPolicy('balanced'), NOW);
    expect(shippedFrom(split)).toEqual(['loc_far', 'loc_near']);
    expect(split.backorders).toEqual([]);
    const whole = plan(o, network, s, presetPolicy('balanced', { allow_split: false }), NOW);
    expect(whole.shipments).toHaveLength(1);
    expect(whole.backorders).toHaveLength(1);
  });

  it('takes from own locations before drop-ship suppliers, then pre-orders, then backorders', () => {
    const supplier = location('loc_supplier', 1, { type: 'dropship_supplier', inventory_type: 'dropship' });
    const s: StockSnapshot = {
      sellable: { A: { loc_far: 1, loc_supplier: 10 } },
      incoming: { A: [{ location_id: 'loc_near', quantity: 2, expected_date: '2026-12-01' }] },
    };
    const net = { locations: [far, supplier], services: [ground] };
    // Fastest would prefer the zone-1 supplier, but own stock comes first.
    expect(shippedFrom(plan(order([['A', 1]]), net, s, presetPolicy('fastest'), NOW))).toEqual(['loc_far']);
    const big = plan(order([['A', 14]]), net, s, presetPolicy('fastest'), NOW);
    expect(big.lines[0]?.sources).toEqual([
      { kind: 'shipment', location_id: 'loc_far', quantity: 1 },
      { kind: 'shipment', location_id: 'loc_supplier', quantity: 10 },
      { kind: 'pre_order', location_id: 'loc_near', quantity: 2, expected_date: '2026-12-01' },
      { kind: 'backorder', quantity: 1 },
    ]);
  });

  it('explains every excluded location with its constraint', () => {
    const locations = [
      location('loc_1_inactive', 1, { active: false }),
      location('loc_2_canada', 1, { service_regions: { countries: ['CA'] } }),
      location('loc_3_full', 1, { daily_order_capacity: 10 }),
      location('loc_4_empty', 1),
      location('loc_5_far', 8),
      location('loc_6_ok', 2),
      location('loc_7_closed', 1, { cutoffs: {} }),
      location('loc_8_nozone', 1, { zones: {} }),
    ];
    const sellable = Object.fromEntries(locations.map((l) => [l.location_id, 3]));
    delete sellable.loc_4_empty;
    const p = plan(
      order([['A', 1]], 'two_day'),
      { locations, services: [ground], load: { loc_3_full: 10 } },
      { sellable: { A: sellable } },
      presetPolicy('balanced'),
      NOW,
    );
    expect(
      p.explanation.candidates.map((c) => [c.location_id, c.status === 'excluded' ? c.reason : 'ok']),
    ).toEqual([
      ['loc_1_inactive', 'inactive'],
      ['loc_2_canada', 'not_serving_region'],
      ['loc_3_full', 'at_capacity'],
      ['loc_4_empty', 'no_stock'],
      ['loc_5_far', 'no_service_for_level'],
      ['loc_6_ok', 'ok'],
      ['loc_7_closed', 'no_working_day'],
      ['loc_8_nozone', 'no_zone'],
    ]);
    expect(shippedFrom(p)).toEqual(['loc_6_ok']);
    // An air service brings the far location back for a two-day promise.
    const withAir = plan(
      order([['A', 1]], 'two_day'),
      { locations: [location('loc_5_far', 8)], services: [ground, air('svc_air')] },
      { sellable: { A: { loc_5_far: 1 } } },
      presetPolicy('balanced'),
      NOW,
    );
    expect(withAir.shipments[0]).toMatchObject({ service_id: 'svc_air', delivery_date: '2026-11-19' });
  });

  it('prefers one slower shipment to two faster ones for fewest_shipments, not for fastest', () => {
    const locations = [location('loc_a', 1), location('loc_b', 1), location('loc_whole', 7)];
    const s: StockSnapshot = { sellable: { A: { loc_a: 1, loc_whole: 1 }, B: { loc_b: 1, loc_whole: 1 } } };
    const o = order([
      ['A', 1],
      ['B', 1],
    ]);
    const net = { locations, services: [ground] };
    expect(shippedFrom(plan(o, net, s, presetPolicy('fewest_shipments'), NOW))).toEqual(['loc_whole']);
    expect(shippedFrom(plan(o, net, s, presetPolicy('fastest'), NOW))).toEqual(['loc_a', 'loc_b']);
  });

  it('falls back to the greedy plan when the search budget runs out', () => {
    const locations = Array.from({ length: 8 }, (_, i) => location(`loc_${i}`, 3));
    const sellable = { A: Object.fromEntries(locations.map((l) => [l.location_id, 1])) };
    const p = plan(
      order([['A', 3]]),
      { locations, services: [ground] },
      { sellable },
      presetPolicy('balanced', { search_budget: 2 }),
      NOW,
    );
    expect(p.explanation.budget_exhausted).toBe(true);
    expect(p.shipments).toHaveLength(3);
    expect(p.backorders).toEqual([]);
  });

  it('breaks ties by location id', () => {
    const twins = [location('loc_b', 3), location('loc_a', 3)];
    const p = plan(
      order([['A', 1]]),
      { locations: twins, services: [ground] },
      { sellable: { A: { loc_a: 1, loc_b: 1 } } },
      presetPolicy('balanced'),
      NOW,
    );
    expect(shippedFrom(p)).toEqual(['loc_a']);
    expect(p.explanation.why).toBe('loc_a ties with loc_b and wins on location id.');
  });

  it('ships nothing no rate table takes, and says so', () => {
    const p = plan(
      { ...order([['A', 1]]), lines: [{ sku: 'A', quantity: 1, weight_lb: 200 }] },
      network,
      stock,
      presetPolicy('balanced'),
      NOW,
    );
    expect(p.shipments).toEqual([]);
    expect(p.backorders).toEqual([{ sku: 'A', quantity: 1 }]);
    expect(p.promise).toBeNull();
    expect(p.explanation.candidates.map((c) => c.status === 'candidate' && c.score)).toEqual([null, null]);
  });

  it('keeps to the channel pool', () => {
    const p = plan(
      order([['A', 4]]),
      network,
      { ...stock, channel_caps: { A: 3 } },
      presetPolicy('fastest'),
      NOW,
    );
    expect(p.shipments.flatMap((s) => s.lines)).toEqual([{ sku: 'A', quantity: 3 }]);
    expect(p.backorders).toEqual([{ sku: 'A', quantity: 1 }]);
  });
});

// ── generated networks ────────────────────────────────────────────────────────────────────────

const SKUS = ['A', 'B', 'C', 'D'];

type Case = {
  locations: SnapshotLocation[];
  stock: StockSnapshot;
  order: PlanOrder;
  preset: (typeof PRESETS)[number];
  search_budget: number;
  max_shipments: number;
  allow_split: boolean;
  load: Record<string, number>;
};

const caseArb = (ownedOnly: boolean) =>
  fc
    .record({
      locs: fc.array(
        fc.record({
          zone: fc.integer({ min: 1, max: 8 }),
          dropship: ownedOnly ? fc.constant(false) : fc.boolean(),
          // Mostly active, so most cases have something to plan.
          active: ownedOnly ? fc.constant(true) : fc.integer({ min: 0, max: 4 }).map((n) => n > 0),
          capacity: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }),
          load: fc.integer({ min: 0, max: 3 }),
          per_order: fc.integer({ min: 0, max: 5 }),
          stock: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: SKUS.length, maxLength: SKUS.length }),
        }),
        { minLength: 1, maxLength: 6 },
      ),
      lines: fc.uniqueArray(
        fc.record({ sku: fc.constantFrom(...SKUS), quantity: fc.integer({ min: 1, max: 6 }) }),
        { minLength: 1, maxLength: 4, selector: (l) => l.sku },
      ),
      preset: fc.constantFrom(...PRESETS),
      search_budget: fc.constantFrom(1, 3, 20_000),
      max_shipments: fc.integer({ min: 1, max: 3 }),
      allow_split: fc.boolean(),
    })
    .map((g): Case => {
      const locations = g.locs.map((l, i) =>
        location(`loc_${i}`, l.zone as Zone, {
          active: l.active,
          daily_order_capacity: ownedOnly ? null : l.capacity,
          inventory_type: l.dropship ? 'dropship' : 'owned',
          fulfillment_cost: { per_order: l.per_order, per_unit: 0.5, currency: 'USD' },
        }),
      );
      const sellable: Record<string, Record<string, number>> = {};
      SKUS.forEach((sku, k) => {
        sellable[sku] = Object.fromEntries(g.locs.map((l, i) => [`loc_${i}`, l.stock[k]!]));
      });
      return {
        locations,
        stock: { sellable },
        order: order(g.lines.map((l) => [l.sku, l.quantity])),
        preset: g.preset,
        search_budget: ownedOnly ? 20_000 : g.search_budget,
        max_shipments: g.max_shipments,
        allow_split: g.allow_split,
        load: Object.fromEntries(g.locs.map((l, i) => [`loc_${i}`, l.load])),
      };
    });

const run = (
  c: Case,
  overrides: { preset?: Case['preset']; locations?: SnapshotLocation[]; airFirst?: boolean } = {},
) =>
  plan(
    c.order,
    {
      locations: overrides.locations ?? c.locations,
      services: overrides.airFirst ? [air('svc_air'), ground] : [ground, air('svc_air')],
      load: c.load,
    },
    c.stock,
    presetPolicy(overrides.preset ?? c.preset, {
      max_shipments: c.max_shipments,
      allow_split: c.allow_split,
      search_budget: c.search_budget,
    }),
    NOW,
  );

describe('planner properties', () => {
  it('never assigns more than stock, never exceeds max shipments, accounts for every unit once', () => {
    fc.assert(
      fc.property(caseArb(false), (c) => {
        const p = run(c);
        const limit = c.allow_split ? c.max_shipments : 1;
        expect(p.shipments.length).toBeLessThanOrEqual(limit);
        for (const s of p.shipments) {
          for (const l of s.lines) {
            expect(l.quantity).toBeGreaterThan(0);
            expect(l.quantity).toBeLessThanOrEqual(c.stock.sellable[l.sku]?.[s.location_id] ?? 0);
          }
        }
        expect(new Set(p.shipments.map((s) => s.location_id)).size).toBe(p.shipments.length);
        for (const line of c.order.lines) {
          const planned = p.lines.find((l) => l.sku === line.sku)!;
          expect(planned.sources.reduce((s, x) => s + x.quantity, 0)).toBe(line.quantity);
          const shipped = p.shipments.flatMap((s) => s.lines).filter((l) => l.sku === line.sku);
          const fromSources = planned.sources.filter((x) => x.kind === 'shipment');
          expect(shipped.reduce((s, l) => s + l.quantity, 0)).toBe(
            fromSources.reduce((s, x) => s + x.quantity, 0),
          );
        }
        // Never ships from an excluded location.
        const excluded = new Set(
          p.explanation.candidates.filter((x) => x.status === 'excluded').map((x) => x.location_id),
        );
        for (const s of p.shipments) expect(excluded.has(s.location_id)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('finds the fewest shipments when they fit within max shipments', () => {
    fc.assert(
      fc.property(caseArb(true), (c) => {
        const p = run(c, { preset: 'fewest_shipments' });
        const limit = c.allow_split ? c.max_shipments : 1;
        // Brute force: the smallest set of locations whose stock covers every line.
        const ids = c.locations.map((l) => l.location_id);
        let fewest = Number.POSITIVE_INFINITY;
        for (let mask = 1; mask < 1 << ids.length; mask++) {
          const set = ids.filter((_, i) => mask & (1 << i));
          const covers = c.order.lines.every(
            (l) => set.reduce((s, id) => s + (c.stock.sellable[l.sku]?.[id] ?? 0), 0) >= l.quantity,
          );
          if (covers) fewest = Math.min(fewest, set.length);
        }
        if (fewest <= limit) {
          expect(p.backorders).toEqual([]);
          expect(p.shipments).toHaveLength(fewest);
        }
        if (fewest === 1) expect(p.shipments).toHaveLength(1);
      }),
      { numRuns: 300 },
    );
  });

  it('prunes nothing that would have won: the pruned plan equals the exhaustive one', () => {
    fc.assert(
      fc.property(caseArb(false), (c) => {
        const policy = presetPolicy(c.preset, {
          max_shipments: c.max_shipments,
          allow_split: c.allow_split,
          search_budget: 1_000_000,
        });
        const network = { locations: c.locations, services: [ground, air('svc_air')], load: c.load };
        const pruned = plan(c.order, network, c.stock, policy, NOW);
        const exhaustive = plan(c.order, network, c.stock, policy, NOW, { prune: false });
        expect(pruned.shipments).toEqual(exhaustive.shipments);
        expect(pruned.lines).toEqual(exhaustive.lines);
        expect(pruned.score).toBe(exhaustive.score);
        expect(pruned.explanation.winner).toEqual(exhaustive.explanation.winner);
        expect(pruned.explanation.runner_up).toEqual(exhaustive.explanation.runner_up);
        expect(pruned.explanation.evaluated).toBeLessThanOrEqual(exhaustive.explanation.evaluated);
      }),
      { numRuns: 300 },
    );
  });

  it('finds the exhaustive winner on larger networks too', () => {
    // Up to 40 locations (more than one 32-bit word of the search's coverage bitsets), with
    // drop-ship suppliers, loads and integer stock, so every pruning path is taken.
    const big = fc.record({
      locs: fc.array(
        fc.record({
          zone: fc.integer({ min: 1, max: 8 }),
          dropship: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
          per_order: fc.integer({ min: 0, max: 5 }),
          stock: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: SKUS.length, maxLength: SKUS.length }),
        }),
        { minLength: 1, maxLength: 40 },
      ),
      lines: fc.uniqueArray(
        fc.record({ sku: fc.constantFrom(...SKUS), quantity: fc.integer({ min: 1, max: 6 }) }),
        { minLength: 1, maxLength: 4, selector: (l) => l.sku },
      ),
      preset: fc.constantFrom(...PRESETS),
      max_shipments: fc.integer({ min: 1, max: 3 }),
    });
    fc.assert(
      fc.property(big, (g) => {
        const locations = g.locs.map((l, i) =>
          location(`loc_${String(i).padStart(2, '0')}`, l.zone as Zone, {
            inventory_type: l.dropship ? 'dropship' : 'owned',
            fulfillment_cost: { per_order: l.per_order, per_unit: 0.5, currency: 'USD' },
          }),
        );
        const sellable: Record<string, Record<string, number>> = {};
        SKUS.forEach((sku, k) => {
          sellable[sku] = Object.fromEntries(locations.map((l, i) => [l.location_id, g.locs[i]!.stock[k]!]));
        });
        const policy = presetPolicy(g.preset, { max_shipments: g.max_shipments, search_budget: 1_000_000 });
        const network = { locations, services: [ground, air('svc_air')] };
        const o = order(g.lines.map((l) => [l.sku, l.quantity]));
        const pruned = plan(o, network, { sellable }, policy, NOW);
        const exhaustive = plan(o, network, { sellable }, policy, NOW, { prune: false });
        expect(pruned.shipments).toEqual(exhaustive.shipments);
        expect(pruned.score).toBe(exhaustive.score);
        expect(pruned.explanation.winner).toEqual(exhaustive.explanation.winner);
        expect(pruned.explanation.runner_up).toEqual(exhaustive.explanation.runner_up);
        expect(pruned.explanation.budget_exhausted).toBe(false);
      }),
      { numRuns: 40 },
    );
  });

  it('gives the same plan for the same input, however the arrays are ordered', () => {
    fc.assert(
      fc.property(caseArb(false), fc.integer(), (c, seed) => {
        const shuffled = [...c.locations]
          .map((l, i) => ({ l, k: Math.sin(seed + i) }))
          .sort((a, b) => a.k - b.k)
          .map((x) => x.l);
        const first = run(c);
        expect(run(c)).toEqual(first);
        expect(run(c, { locations: shuffled, airFirst: true })).toEqual(first);
      }),
      { numRuns: 200 },
    );
  });
});

describe('planner time (rough, in-test measurement)', () => {
  it('plans an order of 5 lines over 50 locations', () => {
    const locations = Array.from({ length: 50 }, (_, i) =>
      location(`loc_${String(i).padStart(2, '0')}`, ((i % 8) + 1) as Zone, {
        fulfillment_cost: { per_order: i % 5, per_unit: 0.2, currency: 'USD' },
      }),
    );
    const skus = ['A', 'B', 'C', 'D', 'E'];
    // Each SKU in about a third of the locations, so most orders need a split.
    const sellable = Object.fromEntries(
      skus.map((sku, k) => [
        sku,
        Object.fromEntries(locations.map((l, i) => [l.location_id, (i * 7 + k * 3) % 3 === 0 ? 4 : 0])),
      ]),
    );
    const o = order(skus.map((s) => [s, 2]));
    const results: Record<string, { p50: number; p99: number; evaluated: number }> = {};
    for (const preset of PRESETS) {
      const times: number[] = [];
      let evaluated = 0;
      for (let i = 0; i < 200; i++) {
        const t = performance.now();
        const p = plan(
          o,
          { locations, services: [ground, air('svc_air')] },
          { sellable },
          presetPolicy(preset),
          NOW,
        );
        times.push(performance.now() - t);
        evaluated = p.explanation.evaluated;
      }
      times.sort((a, b) => a - b);
      results[preset] = {
        p50: Math.round(times[100]! * 1000) / 1000,
        p99: Math.round(times[197]! * 1000) / 1000,
        evaluated,
      };
    }
    // Every SKU in its own ten locations and max 3 shipments: no plan covers the whole order.
    // Unpruned, the search spends its whole budget: the bounded worst case.
    const apart = Object.fromEntries(
      skus.map((sku, k) => [
        sku,
        Object.fromEntries(locations.map((l, i) => [l.location_id, i % 5 === k ? 4 : 0])),
      ]),
    );
    for (const prune of [true, false]) {
      const times: number[] = [];
      let evaluated = 0;
      for (let i = 0; i < 20; i++) {
        const t = performance.now();
        const p = plan(
          o,
          { locations, services: [ground] },
          { sellable: apart },
          presetPolicy('balanced'),
          NOW,
          { prune },
        );
        times.push(performance.now() - t);
        evaluated = p.explanation.evaluated;
        expect(p.explanation.budget_exhausted).toBe(!prune);
      }
      times.sort((a, b) => a - b);
      results[prune ? 'uncoverable' : 'uncoverable_unpruned'] = {
        p50: Math.round(times[10]! * 1000) / 1000,
        p99: Math.round(times[19]! * 1000) / 1000,
        evaluated,
      };
    }
    console.log('planner ms per order, 50 locations x 5 lines:', JSON.stringify(results));
    for (const r of Object.values(results)) expect(r.p50).toBeLessThan(500);
  });
});
