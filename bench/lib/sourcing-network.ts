import zipcodes from 'zipcodes';
import { DEFAULT_CARRIER_HOLIDAYS } from '../../server/src/modules/network/calendar.ts';
import { computeZones, geocodePostal, type Zone, zoneOrigin } from '../../server/src/modules/network/geo.ts';
import type { SnapshotLocation, SnapshotService } from '../../server/src/modules/network/snapshot.ts';
import type { PlanOrder, StockSnapshot } from '../../server/src/modules/sourcing/types.ts';

/**
 * Deterministic synthetic networks and orders for the planner benchmark: locations at real US
 * ZIPs with zone tables from the network module's own `computeZones`, their time zones from
 * `geocodePostal`, a few holiday calendars and cut-offs, three services (ground, two-day,
 * overnight), and orders to real ZIPs with random stock per SKU and location.
 */

/** mulberry32: a small seeded PRNG, so every run plans the same orders. */
export function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
export type Rand = ReturnType<typeof rng>;
const pick = <T>(r: Rand, xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;

type Place = { zip: string; region: string; time_zone: string };

let places: Place[] | undefined;
/** Every US ZIP the geo module can place, with its state and time zone, in ZIP order. */
export function usPlaces(): Place[] {
  if (places) return places;
  const out: Place[] = [];
  const zips = (Object.keys(zipcodes.codes) as string[]).filter((z) => /^\d{5}$/.test(z)).sort();
  // Every 7th ZIP is plenty (≈ 6,000 places) and keeps start-up short.
  for (let i = 0; i < zips.length; i += 7) {
    const g = geocodePostal(zips[i]!, 'US');
    if (g?.time_zone) out.push({ zip: zips[i]!, region: g.region, time_zone: g.time_zone });
  }
  places = out;
  return out;
}

const STAMP = '2026-01-01T00:00:00.000Z';
const CUTOFF_TIMES = ['13:00', '14:00', '15:00', '16:00'];
// null: works every weekday with a cut-off; the others close on their state's public holidays.
const CALENDARS = [null, 'state', 'state-ignore'] as const;

export function syntheticLocations(count: number, r: Rand): SnapshotLocation[] {
  const all = usPlaces();
  return Array.from({ length: count }, (_, i) => {
    const p = pick(r, all);
    const g = geocodePostal(p.zip, 'US')!;
    const origin = zoneOrigin(p.zip, 'US', g);
    const zones = Object.fromEntries(computeZones(origin));
    const time = pick(r, CUTOFF_TIMES);
    const saturday = r() < 0.2;
    const cal = pick(r, CALENDARS);
    const dropship = r() < 0.15;
    const id = `loc_${String(i).padStart(4, '0')}`;
    return {
      location_id: id,
      name: id,
      type: dropship ? 'dropship_supplier' : 'warehouse',
      address: { line1: '1 Dock Rd', city: g.city, region: g.region, postal_code: p.zip, country: 'US' },
      latitude: g.latitude,
      longitude: g.longitude,
      time_zone: p.time_zone,
      cutoffs: { mon: time, tue: time, wed: time, thu: time, fri: time, ...(saturday && { sat: '11:00' }) },
      processing_days: r() < 0.2 ? 1 : 0,
      holiday_calendar:
        cal === null
          ? null
          : {
              country: 'US',
              region: g.region,
              ...(cal === 'state-ignore' && { ignore_holidays: ['Columbus Day'] }),
            },
      daily_order_capacity: null,
      active: true,
      service_regions: { countries: ['US'] },
      fulfillment_cost: { per_order: 1 + Math.round(r() * 300) / 100, per_unit: 0.1, currency: 'USD' },
      picking_method: 'single',
      inventory_type: dropship ? 'dropship' : 'owned',
      accepts_returns: true,
      external_ref: null,
      created_at: STAMP,
      updated_at: STAMP,
      zones,
    } as SnapshotLocation;
  });
}

const byZone = (f: (zone: number) => number) =>
  Object.fromEntries([1, 2, 3, 4, 5, 6, 7, 8].map((z) => [`${z}`, f(z)])) as Record<`${Zone}`, number>;

function service(id: string, overrides: Partial<SnapshotService>): SnapshotService {
  return {
    service_id: id,
    carrier_id: 'car_1',
    name: id,
    code: id,
    service_level: 'ground',
    transit_days_by_zone: byZone((z) => Math.min(5, Math.max(1, z - 1))),
    delivery_weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'],
    dim_divisor: 139,
    rate_table: [
      { max_weight_lb: 1, rates_by_zone: byZone((z) => 6 + 0.5 * z) },
      { max_weight_lb: 5, rates_by_zone: byZone((z) => 8 + z) },
      { max_weight_lb: 20, rates_by_zone: byZone((z) => 12 + 1.5 * z) },
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

/** Ground, two-day and overnight, the shapes the test fixtures and the demo carrier use. */
export function syntheticServices(): SnapshotService[] {
  return [
    service('svc_ground', {}),
    service('svc_two_day', {
      service_level: 'two_day',
      transit_days_by_zone: byZone(() => 2),
      delivery_weekdays: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
      rate_table: [
        { max_weight_lb: 5, rates_by_zone: byZone((z) => 15 + 2 * z) },
        { max_weight_lb: 150, rates_by_zone: byZone((z) => 30 + 3 * z) },
      ],
    }),
    service('svc_overnight', {
      service_level: 'overnight',
      transit_days_by_zone: byZone(() => 1),
      rate_table: [
        { max_weight_lb: 5, rates_by_zone: byZone((z) => 30 + 4 * z) },
        { max_weight_lb: 150, rates_by_zone: byZone((z) => 60 + 6 * z) },
      ],
    }),
  ];
}

const LEVELS = ['ground', 'ground', 'ground', 'two_day', 'overnight'] as const;

/**
 * `count` orders of `lines` distinct SKUs each (from a catalog of 500), to real ZIPs, and the
 * stock they see: each SKU is stocked at about 40 % of locations, 1-40 units each.
 */
export function syntheticOrders(
  locations: readonly SnapshotLocation[],
  lines: number,
  count: number,
  r: Rand,
): { order: PlanOrder; stock: StockSnapshot }[] {
  const all = usPlaces();
  const catalog = Array.from({ length: 500 }, (_, i) => ({
    sku: `SKU-${String(i).padStart(4, '0')}`,
    weight_lb: 0.2 + Math.round(r() * 60) / 10,
  }));
  const sellable: Record<string, Record<string, number>> = {};
  for (const { sku } of catalog) {
    const at: Record<string, number> = {};
    for (const l of locations) if (r() < 0.4) at[l.location_id] = 1 + Math.floor(r() * 40);
    sellable[sku] = at;
  }
  const stock: StockSnapshot = { sellable };
  return Array.from({ length: count }, () => {
    const skus = new Set<(typeof catalog)[number]>();
    while (skus.size < lines) skus.add(pick(r, catalog));
    const dest = pick(r, all);
    return {
      order: {
        lines: [...skus].map((s) => ({
          sku: s.sku,
          quantity: 1 + Math.floor(r() * 3),
          weight_lb: s.weight_lb,
        })),
        destination: { country: 'US', region: dest.region, postal_code: dest.zip },
        service_level: pick(r, LEVELS),
        channel: 'default',
      },
      stock,
    };
  });
}
