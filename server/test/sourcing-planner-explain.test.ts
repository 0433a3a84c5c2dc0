import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  rng,
  syntheticLocations,
  syntheticOrders,
  syntheticServices,
} from '../../bench/lib/sourcing-network.ts';
import type { Zone } from '../src/modules/network/geo.ts';
import { plan } from '../src/modules/sourcing/planner.ts';
import { PRESETS, presetPolicy } from '../src/modules/sourcing/policy.ts';
import type { Plan, PlanWithoutExplanation, StockSnapshot } from '../src/modules/sourcing/types.ts';
import { air, location, NYC, service } from './sourcing-fixtures.ts';

/** `plan(…, { explain: false })` is the same plan as with the explanation, minus the explanation. */

const SKUS = ['A', 'B', 'C', 'D'];
const withoutExplanation = ({ explanation: _, ...rest }: Plan): PlanWithoutExplanation => rest;

const policyArb = fc.record({
  preset: fc.constantFrom(...PRESETS),
  // Small budgets too: where the search runs out, both modes must stop at the same set.
  search_budget: fc.constantFrom(1, 3, 30, 20_000),
  max_shipments: fc.integer({ min: 1, max: 4 }),
  allow_split: fc.boolean(),
  cost_ceiling: fc.option(fc.integer({ min: 10, max: 40 }), { nil: null }),
});

describe('plan without explanation', () => {
  it('equals the explained plan minus its explanation, on small generated networks', () => {
    const caseArb = fc.record({
      locs: fc.array(
        fc.record({
          zone: fc.integer({ min: 1, max: 8 }),
          dropship: fc.boolean(),
          active: fc.integer({ min: 0, max: 4 }).map((n) => n > 0),
          capacity: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }),
          load: fc.integer({ min: 0, max: 3 }),
          per_order: fc.integer({ min: 0, max: 5 }),
          stock: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: SKUS.length, maxLength: SKUS.length }),
        }),
        { minLength: 1, maxLength: 9 },
      ),
      lines: fc.array(
        fc.record({
          sku: fc.constantFrom(...SKUS),
          quantity: fc.integer({ min: 0, max: 6 }),
          weight_lb: fc.constantFrom(0.5, 1, 2, 4, 30),
        }),
        { minLength: 1, maxLength: 5 },
      ),
      caps: fc.option(
        fc.array(fc.integer({ min: 0, max: 6 }), { minLength: SKUS.length, maxLength: SKUS.length }),
        {
          nil: undefined,
        },
      ),
      level: fc.constantFrom('ground', 'ground', 'ground', 'two_day', 'overnight'),
      policy: policyArb,
      hour: fc.integer({ min: 0, max: 24 * 14 - 1 }),
    });
    let withShipments = 0;
    fc.assert(
      fc.property(caseArb, (c) => {
        const locations = c.locs.map((l, i) =>
          location(`loc_${i}`, l.zone as Zone, {
            active: l.active,
            daily_order_capacity: l.capacity,
            inventory_type: l.dropship ? 'dropship' : 'owned',
            fulfillment_cost: { per_order: l.per_order, per_unit: 0.5, currency: 'USD' },
          }),
        );
        const stock: StockSnapshot = {
          sellable: Object.fromEntries(
            SKUS.map((sku, k) => [sku, Object.fromEntries(c.locs.map((l, i) => [`loc_${i}`, l.stock[k]!]))]),
          ),
          channel_caps: c.caps && Object.fromEntries(SKUS.map((sku, k) => [sku, c.caps![k]!])),
        };
        const network = {
          locations,
          services: [service('svc_ground'), air('svc_air')],
          load: Object.fromEntries(c.locs.map((l, i) => [`loc_${i}`, l.load])),
        };
        const order = { lines: c.lines, destination: NYC, service_level: c.level, channel: 'web' };
        const policy = presetPolicy(c.policy.preset, c.policy);
        const now = new Date(Date.parse('2026-11-16T05:00:00Z') + c.hour * 3_600_000);
        const explained = plan(order, network, stock, policy, now);
        const bare = plan(order, network, stock, policy, now, { explain: false });
        expect(bare).not.toHaveProperty('explanation');
        expect(bare).toEqual(withoutExplanation(explained));
        if (explained.shipments.length > 0) withShipments++;
      }),
      { numRuns: 400 },
    );
    // About half the cases ship something (the rest are cases with no stock, capacity or
    // service), so the plans compared are not only empty ones.
    expect(withShipments).toBeGreaterThan(100);
  });

  it('equals the explained plan minus its explanation, on the benchmark network', () => {
    const locations = syntheticLocations(50, rng(50));
    const network = { locations, services: syntheticServices() };
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 8 }),
        policyArb,
        fc.integer({ min: 0, max: 365 * 24 - 1 }),
        (seed, lineCount, p, hour) => {
          const [{ order, stock }] = syntheticOrders(locations, lineCount, 1, rng(seed)) as [
            ReturnType<typeof syntheticOrders>[number],
          ];
          const policy = presetPolicy(p.preset, p);
          const now = new Date(Date.parse('2026-01-01T00:00:00Z') + hour * 3_600_000);
          const explained = plan(order, network, stock, policy, now);
          expect(plan(order, network, stock, policy, now, { explain: false })).toEqual(
            withoutExplanation(explained),
          );
        },
      ),
      { numRuns: 150 },
    );
  });
});
