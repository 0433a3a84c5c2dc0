import { describe, expect, it } from 'vitest';
import type { Zone } from '../src/modules/network/geo.ts';
import { plan } from '../src/modules/sourcing/planner.ts';
import { presetPolicy } from '../src/modules/sourcing/policy.ts';
import type { PlanOrder } from '../src/modules/sourcing/types.ts';
import { location, NYC, service } from './sourcing-fixtures.ts';

/**
 * The planner keeps what it derives from a network's arrays and locations between plans (the
 * simulator plans every order on the same arrays); a caller that changes them in place between
 * plans must get the plan a fresh copy gives.
 */

const NOW = new Date('2026-11-17T15:00:00Z');
const order: PlanOrder = {
  lines: [{ sku: 'A', quantity: 2, weight_lb: 1 }],
  destination: NYC,
  service_level: 'ground',
  channel: 'web',
};
const policy = presetPolicy('cheapest');
const stock = { sellable: { A: { loc_a: 5, loc_b: 5, loc_c: 5 } } };
const fresh = (locations: ReturnType<typeof location>[], services: ReturnType<typeof service>[]) =>
  plan(
    order,
    { locations: locations.map((l) => ({ ...l })), services: services.map((s) => ({ ...s })) },
    stock,
    policy,
    NOW,
  );

describe('planner caches', () => {
  it('sees a location replaced, renamed or changed in the same array', () => {
    const locations = [location('loc_a', 5 as Zone), location('loc_b', 3 as Zone)];
    const services = [service('svc_ground')];
    const network = { locations, services };
    expect(plan(order, network, stock, policy, NOW).shipments[0]!.location_id).toBe('loc_b');

    // Replaced by a closer one.
    locations[0] = location('loc_c', 1 as Zone);
    expect(plan(order, network, stock, policy, NOW)).toEqual(fresh(locations, services));
    expect(plan(order, network, stock, policy, NOW).shipments[0]!.location_id).toBe('loc_c');

    // Renamed in place: the ids order the candidates and name the shipment.
    locations[1]!.location_id = 'loc_a';
    locations[1]!.zones = { '100': { zone: 1, distance_miles: 150 } };
    expect(plan(order, network, stock, policy, NOW)).toEqual(fresh(locations, services));
    expect(plan(order, network, stock, policy, NOW).shipments[0]!.location_id).toBe('loc_a');

    // A cut-off changed in place: the ship slot follows it.
    const before = plan(order, network, stock, policy, NOW).shipments[0]!.cutoff_at;
    for (const l of locations) l.cutoffs = { ...l.cutoffs, tue: '16:00' };
    const after = plan(order, network, stock, policy, NOW);
    expect(after).toEqual(fresh(locations, services));
    expect(after.shipments[0]!.cutoff_at).not.toBe(before);
  });

  it('sees a service added to the same array', () => {
    const locations = [location('loc_a', 5 as Zone)];
    const services = [service('svc_b', { rate_table: [{ max_weight_lb: 150, rates_by_zone: rates(30) }] })];
    const network = { locations, services };
    expect(plan(order, network, stock, policy, NOW).shipments[0]!.service_id).toBe('svc_b');
    services.push(service('svc_a', { rate_table: [{ max_weight_lb: 150, rates_by_zone: rates(5) }] }));
    const p = plan(order, network, stock, policy, NOW);
    expect(p).toEqual(fresh(locations, services));
    expect(p.shipments[0]!.service_id).toBe('svc_a');
  });
});

function rates(x: number) {
  return { '1': x, '2': x, '3': x, '4': x, '5': x, '6': x, '7': x, '8': x };
}
