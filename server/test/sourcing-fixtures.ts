import { DEFAULT_CARRIER_HOLIDAYS } from '../src/modules/network/calendar.ts';
import type { Zone } from '../src/modules/network/geo.ts';
import type { SnapshotLocation, SnapshotService } from '../src/modules/network/snapshot.ts';

/** Builders for planner tests: a snapshot location that reaches ZIP3 100 in a given zone. */

export const NYC = { country: 'US', region: 'NY', postal_code: '10001' };
const STAMP = '2026-01-01T00:00:00.000Z';
const weekdays = { mon: '14:00', tue: '14:00', wed: '14:00', thu: '14:00', fri: '14:00' };

export function location(
  id: string,
  zone: Zone,
  overrides: Partial<SnapshotLocation> = {},
): SnapshotLocation {
  return {
    location_id: id,
    name: id,
    type: 'warehouse',
    address: { line1: '1 Main St', city: 'Somewhere', region: 'NJ', postal_code: '07001', country: 'US' },
    latitude: 40,
    longitude: -74,
    time_zone: 'America/New_York',
    cutoffs: weekdays,
    processing_days: 0,
    holiday_calendar: null,
    daily_order_capacity: null,
    active: true,
    service_regions: { countries: ['US'] },
    fulfillment_cost: { per_order: 1, per_unit: 0.1, currency: 'USD' },
    picking_method: 'single',
    inventory_type: 'owned',
    accepts_returns: true,
    external_ref: null,
    created_at: STAMP,
    updated_at: STAMP,
    zones: { '100': { zone, distance_miles: zone * 150 } },
    ...overrides,
  };
}

const byZone = (f: (zone: number) => number) =>
  Object.fromEntries([1, 2, 3, 4, 5, 6, 7, 8].map((z) => [`${z}`, f(z)])) as Record<`${Zone}`, number>;

export function service(id: string, overrides: Partial<SnapshotService> = {}): SnapshotService {
  return {
    service_id: id,
    carrier_id: 'car_1',
    name: id,
    code: id,
    service_level: 'ground',
    // Ground: 1 day in zones 1-2, then a day more per zone up to 5.
    transit_days_by_zone: byZone((z) => Math.min(5, Math.max(1, z - 1))),
    delivery_weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'],
    dim_divisor: 139,
    rate_table: [
      { max_weight_lb: 5, rates_by_zone: byZone((z) => 8 + z) },
      { max_weight_lb: 150, rates_by_zone: byZone((z) => 20 + 2 * z) },
    ],
    currency: 'USD',
    active: true,
    created_at: STAMP,
    updated_at: STAMP,
    carrier_code: 'ups',
    carrier_name: 'UPS',
    holidays: DEFAULT_CARRIER_HOLIDAYS,
    ...overrides,
  };
}

export const air = (id: string) =>
  service(id, {
    service_level: 'two_day',
    transit_days_by_zone: byZone(() => 2),
    rate_table: [{ max_weight_lb: 150, rates_by_zone: byZone((z) => 20 + 3 * z) }],
  });
