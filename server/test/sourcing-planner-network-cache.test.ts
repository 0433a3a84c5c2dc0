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
import { NetworkCache } from '../src/modules/sourcing/planner-network.ts';
import { PRESETS, presetPolicy } from '../src/modules/sourcing/policy.ts';
import { Simulation } from '../src/modules/sourcing/simulate.ts';
import { NetworkFileSchema, networkFromFile } from '../src/modules/sourcing/simulate-files.ts';
import {
  generateOrders,
  SAMPLE_REFILL_DAYS,
  sampleNetwork,
  skuName,
  skuWeights,
  zipfProbabilities,
} from '../src/modules/sourcing/simulate-generate.ts';
import type { PlanOrder, StockSnapshot } from '../src/modules/sourcing/types.ts';
import { air, location, NYC, service } from './sourcing-fixtures.ts';

/**
 * A NetworkCache keeps what the planner derives from a network between plans (the simulator's).
 * With one cache shared by every plan below, across destinations, days, instants in any order,
 * service levels and policies, each plan must equal the plan made without it.
 */

const policyArb = fc.record({
  preset: fc.constantFrom(...PRESETS),
  search_budget: fc.constantFrom(1, 30, 20_000),
  max_shipments: fc.integer({ min: 1, max: 4 }),
  allow_split: fc.boolean(),
  cost_ceiling: fc.option(fc.integer({ min: 10, max: 40 }), { nil: null }),
});

describe('planner NetworkCache', () => {
  it('gives the plan made without it, on the benchmark network over generated orders', () => {
    const locations = syntheticLocations(50, rng(50));
    const services = syntheticServices();
    const network = { locations, services };
    const cache = new NetworkCache(locations, services);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 6 }),
        policyArb,
        // Instants in any order, some within the same hours (the ship slots kept between plans).
        fc.integer({ min: 0, max: 60 * 24 * 60 - 1 }),
        fc.boolean(),
        (seed, lineCount, p, minute, explain) => {
          const [{ order, stock }] = syntheticOrders(locations, lineCount, 1, rng(seed)) as [
            ReturnType<typeof syntheticOrders>[number],
          ];
          const policy = presetPolicy(p.preset, p);
          const now = new Date(Date.parse('2026-11-20T00:00:00Z') + minute * 60_000);
          if (explain)
            expect(plan(order, network, stock, policy, now, { cache })).toEqual(
              plan(order, network, stock, policy, now),
            );
          else
            expect(plan(order, network, stock, policy, now, { explain: false, cache })).toEqual(
              plan(order, network, stock, policy, now, { explain: false }),
            );
        },
      ),
      { numRuns: 150 },
    );
  });

  it('gives the plan made without it, on small networks with regions, prefixes and closed locations', () => {
    const SKUS = ['A', 'B', 'C'];
    const destinations = [
      NYC,
      { country: 'US', region: 'NJ', postal_code: '10002' },
      { country: 'US', region: undefined, postal_code: '10003' },
      { country: 'US', region: 'NY', postal_code: '90210' },
      { country: 'CA', region: 'ON', postal_code: 'M5V 2T6' },
    ];
    const caseArb = fc.record({
      locs: fc.array(
        fc.record({
          zone: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
          active: fc.integer({ min: 0, max: 4 }).map((n) => n > 0),
          regions: fc.constantFrom(undefined, ['NY'], ['NJ', 'PA']),
          prefixes: fc.constantFrom(undefined, ['100'], ['902', '1000']),
          time_zone: fc.constantFrom('America/New_York', 'America/Los_Angeles', 'America/Chicago'),
          cutoff: fc.constantFrom('09:00', '14:00', '17:30'),
          saturday: fc.boolean(),
          processing_days: fc.integer({ min: 0, max: 2 }),
          capacity: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }),
          stock: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: SKUS.length, maxLength: SKUS.length }),
        }),
        { minLength: 1, maxLength: 7 },
      ),
      orders: fc.array(
        fc.record({
          destination: fc.constantFrom(...destinations),
          lines: fc.array(
            fc.record({
              sku: fc.constantFrom(...SKUS),
              quantity: fc.integer({ min: 1, max: 6 }),
              weight_lb: fc.constantFrom(0.5, 2, 30),
            }),
            { minLength: 1, maxLength: 3 },
          ),
          level: fc.constantFrom('ground', 'two_day', 'overnight'),
          policy: policyArb,
          minute: fc.integer({ min: 0, max: 14 * 24 * 60 - 1 }),
        }),
        { minLength: 1, maxLength: 12 },
      ),
    });
    let withShipments = 0;
    fc.assert(
      fc.property(caseArb, (c) => {
        const locations = c.locs.map((l, i) =>
          location(`loc_${i}`, 1 as Zone, {
            active: l.active,
            time_zone: l.time_zone,
            cutoffs: {
              mon: l.cutoff,
              tue: l.cutoff,
              wed: l.cutoff,
              thu: l.cutoff,
              fri: l.cutoff,
              ...(l.saturday && { sat: '11:00' }),
            },
            processing_days: l.processing_days,
            daily_order_capacity: l.capacity,
            service_regions: {
              countries: ['US'],
              ...(l.regions && { regions: [...l.regions] }),
              ...(l.prefixes && { postal_prefixes: [...l.prefixes] }),
            },
            zones:
              l.zone === undefined
                ? {}
                : {
                    '100': { zone: l.zone as Zone, distance_miles: l.zone * 150 },
                    '902': { zone: 8, distance_miles: 2400 },
                  },
          }),
        );
        const services = [service('svc_ground'), air('svc_air')];
        const load = Object.fromEntries(c.locs.map((_, i) => [`loc_${i}`, i % 3]));
        const network = { locations, services, load };
        const stock: StockSnapshot = {
          sellable: Object.fromEntries(
            SKUS.map((sku, k) => [sku, Object.fromEntries(c.locs.map((l, i) => [`loc_${i}`, l.stock[k]!]))]),
          ),
        };
        const cache = new NetworkCache(locations, services);
        for (const o of c.orders) {
          const order: PlanOrder = {
            lines: o.lines,
            destination: o.destination,
            service_level: o.level,
            channel: 'web',
          };
          const policy = presetPolicy(o.policy.preset, o.policy);
          const now = new Date(Date.parse('2026-11-16T05:00:00Z') + o.minute * 60_000);
          const cached = plan(order, network, stock, policy, now, { cache });
          expect(cached).toEqual(plan(order, network, stock, policy, now));
          if (cached.shipments.length > 0) withShipments++;
        }
      }),
      { numRuns: 300 },
    );
    expect(withShipments).toBeGreaterThan(100);
  });

  it('is used with the arrays it was made from only', () => {
    const locations = [location('loc_a', 2 as Zone)];
    const services = [service('svc_ground')];
    const cache = new NetworkCache(locations, services);
    const order: PlanOrder = {
      lines: [{ sku: 'A', quantity: 1, weight_lb: 1 }],
      destination: NYC,
      service_level: 'ground',
      channel: 'web',
    };
    const stock = { sellable: { A: { loc_a: 1 } } };
    const now = new Date('2026-11-17T15:00:00Z');
    expect(() =>
      plan(order, { locations: [...locations], services }, stock, presetPolicy('balanced'), now, { cache }),
    ).toThrow(/NetworkCache/);
  });
});

describe('Simulation with its NetworkCache', () => {
  /** Each order planned again without a cache on the simulation's stock and load before it. */
  function replay(network: ReturnType<typeof networkFromFile>, count: number) {
    const policy = presetPolicy('balanced');
    const sim = new Simulation({ ...network, policy });
    const orders = generateOrders({ orders: count, skus: 60, days: 3, seed: 7 });
    let load: Record<string, number> = {};
    let day = -1;
    let shipped = 0;
    for (const o of orders) {
      const t = Date.parse(o.at);
      if (Math.floor(t / 86_400_000) !== day) {
        day = Math.floor(t / 86_400_000);
        load = {};
      }
      const stock = sim.stockNow();
      const lines = o.lines.map((l) => ({
        sku: l.sku,
        quantity: l.quantity,
        weight_lb: network.skus[l.sku]?.weight_lb ?? 1,
        dims_in: network.skus[l.sku]?.dims_in,
      }));
      const uncached = plan(
        {
          lines,
          destination: { country: o.country ?? 'US', region: o.region, postal_code: o.postal_code },
          service_level: o.service_level ?? 'ground',
          channel: 'default',
        },
        { locations: [...network.locations], services: [...network.services], load },
        { sellable: stock },
        policy,
        new Date(t),
        { explain: false },
      );
      expect(sim.add(o)).toEqual(uncached);
      for (const s of uncached.shipments) load[s.location_id] = (load[s.location_id] ?? 0) + 1;
      shipped += uncached.shipments.length;
    }
    expect(shipped).toBeGreaterThan(count / 2);
  }

  it('plans each order as plan() without a cache does, on the demo network', () => {
    const network = networkFromFile(
      NetworkFileSchema.parse(sampleNetwork({ orders: 600, skus: 60, days: 3, seed: 7 })),
    );
    replay(network, 600);
  });

  it('plans each order as plan() without a cache does, on 20 synthetic locations with capacities', () => {
    const r = rng(20);
    const locations = syntheticLocations(20, r).map((l, i) => ({
      ...l,
      daily_order_capacity: i % 4 === 0 ? 30 : null,
    }));
    const p = zipfProbabilities(60);
    const stock: Record<string, Record<string, number>> = {};
    p.forEach((pr, i) => {
      const at = locations.filter(() => r() < 0.4).map((l) => l.location_id);
      stock[skuName(i)] = Object.fromEntries(at.map((id) => [id, Math.max(1, Math.ceil(pr * 400))]));
    });
    replay(
      {
        locations,
        services: syntheticServices(),
        skus: skuWeights(60),
        stock,
        replenishment: { every_days: SAMPLE_REFILL_DAYS },
      },
      600,
    );
  });
});
