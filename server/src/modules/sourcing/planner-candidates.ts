import { localDay } from '../network/calendar.ts';
import { ZONES, type Zone, type ZoneEntry, zip3Of } from '../network/geo.ts';
import { transitDaysFor } from '../network/rates.ts';
import { type SnapshotLocation, type SnapshotService, servesDestination } from '../network/snapshot.ts';
import { byId, type Candidate, type Line, type ServiceOption } from './plan-result.ts';
import { type NetworkCache, optionsPolicyKey } from './planner-network.ts';
import { LEVEL_TRANSIT_DAYS_MAX, type SourcingPolicy, type Weights } from './policy.ts';
import { daysBetween, deliveryDateMemo, type ShipSlot, shipInstantMemo } from './promise.ts';
import type {
  CandidateReport,
  ExclusionReason,
  PlanLine,
  PlanNetwork,
  PlanOrder,
  StockSnapshot,
} from './types.ts';

/**
 * The planner's first step: the order's lines merged by SKU, and every location that could ship
 * some of it, with its zone, ship slot, services and their delivery dates; the others are
 * excluded with the constraint that ruled them out.
 */

export type Candidates = {
  lines: Line[];
  /** Per line: the most units its SKU's channel pool allows (infinite without a cap). */
  caps: number[];
  /** Per line: what the order may take, its quantity within the channel pool. */
  needs: number[];
  services: readonly SnapshotService[];
  candidates: Candidate[];
  /** The locations ruled out, in location-id order; only collected when `explain`. */
  excluded: CandidateReport[];
  /**
   * Per candidate: the least it adds to the delivery-days and shipping terms beyond its lowest
   * rate, whichever service it ships by (for pruning), and that lowest rate.
   */
  slowest: number[];
  lowest: number[];
};

/** The services a candidate can ship by, and the least delivery and rate terms among them. */
export type OptionSet = {
  options: ServiceOption[];
  min_rate: number;
  min_days: number;
  min_time_and_rate: number;
};

/** Lines with the same SKU are one demand; a unit weighs the heaviest any of them said. */
function mergeLines(lines: readonly PlanLine[]): Line[] {
  const bySku = new Map<string, Line>();
  for (const l of lines) {
    const volume = l.dims_in ? l.dims_in.length_in * l.dims_in.width_in * l.dims_in.height_in : 0;
    const seen = bySku.get(l.sku);
    if (seen) {
      seen.quantity += l.quantity;
      seen.weight_lb = Math.max(seen.weight_lb, l.weight_lb);
      seen.volume_in3 = Math.max(seen.volume_in3, volume);
    } else bySku.set(l.sku, { sku: l.sku, quantity: l.quantity, weight_lb: l.weight_lb, volume_in3: volume });
  }
  return [...bySku.values()].filter((l) => l.quantity > 0);
}

// What a location's ship slot depends on (time zone, cut-offs, processing days, holiday
// calendar), as a key: JSON of those values, kept per location object with the values, which
// are compared on every use (a caller may change a location between plans) without building
// them again (this runs for every location of every order).
const slotKeys = new WeakMap<SnapshotLocation, { key: string; values: unknown[] }>();
function slotValues(l: SnapshotLocation): unknown[] {
  const c = l.cutoffs;
  const h = l.holiday_calendar;
  const ignore = h?.ignore_holidays ?? [];
  const extra = h?.extra_closed_dates ?? [];
  return [
    ...[l.time_zone, c.mon, c.tue, c.wed, c.thu, c.fri, c.sat, c.sun, l.processing_days],
    ...(h ? [h.country, h.region, ignore.length, ...ignore, extra.length, ...extra] : [null]),
  ];
}
/** Whether `slotValues(l)` would equal `v`. */
function sameSlotValues(l: SnapshotLocation, v: readonly unknown[]): boolean {
  const c = l.cutoffs;
  if (
    v[0] !== l.time_zone ||
    v[1] !== c.mon ||
    v[2] !== c.tue ||
    v[3] !== c.wed ||
    v[4] !== c.thu ||
    v[5] !== c.fri ||
    v[6] !== c.sat ||
    v[7] !== c.sun ||
    v[8] !== l.processing_days
  )
    return false;
  const h = l.holiday_calendar;
  if (!h) return v.length === 10 && v[9] === null;
  const ignore = h.ignore_holidays ?? [];
  const extra = h.extra_closed_dates ?? [];
  if (v.length !== 13 + ignore.length + extra.length) return false;
  if (v[9] !== h.country || v[10] !== h.region || v[11] !== ignore.length) return false;
  for (let i = 0; i < ignore.length; i++) if (v[12 + i] !== ignore[i]) return false;
  const e = 12 + ignore.length;
  if (v[e] !== extra.length) return false;
  for (let i = 0; i < extra.length; i++) if (v[e + 1 + i] !== extra[i]) return false;
  return true;
}
export function slotKeyOf(l: SnapshotLocation): string {
  const known = slotKeys.get(l);
  if (known && sameSlotValues(l, known.values)) return known.key;
  const values = slotValues(l);
  const key = JSON.stringify(values);
  slotKeys.set(l, { key, values });
  return key;
}

// What a service's delivery dates depend on, as a key: JSON of the fields, kept per service
// object with a copy of the values it was made from, which is compared on every use (a caller
// may change a service between plans).
type DeliveryKey = { key: string; values: unknown[] };
const deliveryKeys = new WeakMap<SnapshotService, DeliveryKey>();
const deliveryValues = (s: SnapshotService): unknown[] => [
  ...ZONES.map((z) => s.transit_days_by_zone[`${z}`]),
  '|',
  ...s.delivery_weekdays,
  '|',
  ...s.holidays,
];
export function deliveryKeyOf(s: SnapshotService): string {
  const known = deliveryKeys.get(s);
  if (known) {
    const v = known.values;
    let same = v.length === 10 + s.delivery_weekdays.length + s.holidays.length;
    for (let i = 0; same && i < 8; i++) same = v[i] === s.transit_days_by_zone[`${ZONES[i]!}`];
    for (let i = 0; same && i < s.delivery_weekdays.length; i++) same = v[9 + i] === s.delivery_weekdays[i];
    const h = 10 + s.delivery_weekdays.length;
    for (let i = 0; same && i < s.holidays.length; i++) same = v[h + i] === s.holidays[i];
    if (same) return known.key;
  }
  const key = JSON.stringify([s.transit_days_by_zone, s.delivery_weekdays, s.holidays]);
  deliveryKeys.set(s, { key, values: deliveryValues(s) });
  return key;
}

/** zoneInSnapshot for a destination whose ZIP3 is already known. */
export function zoneIn(zones: SnapshotLocation['zones'], zip3: string): ZoneEntry | undefined {
  const table = zones as ReadonlyMap<string, ZoneEntry> | Readonly<Record<string, ZoneEntry>>;
  return table instanceof Map ? table.get(zip3) : (table as Readonly<Record<string, ZoneEntry>>)[zip3];
}

// The network's locations and services sorted by id, kept per array: a simulation passes the
// same arrays for every order. Checked on every use (the same elements with the same ids, in the
// same places), since a caller may change an array or an id between plans.
type Sorted = { items: readonly object[]; ids: string[]; sorted: readonly object[] };
const sortedLists = new WeakMap<readonly object[], Sorted>();
export function sortedById<T extends object>(list: readonly T[], id: (t: T) => string): readonly T[] {
  const known = sortedLists.get(list);
  if (known && known.items.length === list.length) {
    let same = true;
    for (let i = 0; same && i < list.length; i++)
      same = known.items[i] === list[i] && known.ids[i] === id(list[i]!);
    if (same) return known.sorted as readonly T[];
  }
  const sorted = [...list].sort(byId(id));
  sortedLists.set(list, { items: [...list], ids: list.map(id), sorted });
  return sorted;
}

type LineStock = readonly (Readonly<Record<string, number>> | undefined)[];

/**
 * Per line: the units a location holds (below zero counts as none); null when it holds none of
 * a line the order may take.
 */
function unitsAt(lineStock: LineStock, caps: readonly number[], locationId: string): number[] | null {
  // Read into a shared array, copied only for a location that holds some (about half of them).
  const read = unitsRead;
  let stocked = false;
  for (let l = 0; l < lineStock.length; l++) {
    const u = Math.max(0, lineStock[l]?.[locationId] ?? 0);
    read[l] = u;
    if (u > 0 && caps[l]! > 0) stocked = true;
  }
  return stocked ? read.slice(0, lineStock.length) : null;
}
const unitsRead: number[] = [];

/** The most units the channel pool allows of a SKU (infinite without a cap). */
const channelCap = (stock: StockSnapshot, sku: string) =>
  Math.max(0, stock.channel_caps?.[sku] ?? Number.POSITIVE_INFINITY);

/** A location ruled out, as the explanation reports it. */
const exclusion = (location: SnapshotLocation, reason: ExclusionReason): CandidateReport => ({
  location_id: location.location_id,
  status: 'excluded',
  reason,
});

// What `serviceOptions` reads, made once per order. (Module functions here, not closures made per
// order: tsx names every closure it creates, which costs more than the closure.)
type OptionsInputs = {
  /** In id order, with their delivery keys, transit days and lowest rates by zone (index 1-8). */
  services: readonly SnapshotService[];
  serviceKeys: readonly string[];
  transit: readonly number[][];
  lowestRates: readonly (number | undefined)[][];
  /** The most transit days the order's service level allows. */
  maxTransitDays: number;
  weights: Weights;
  /** Local day → delivery date → calendar days between them. */
  dayCounts: Map<string, Map<string, number>>;
};

/**
 * The services that can ship from a location whose local day is `today`, handing over on
 * `shipDate`, to a destination in `zone`, with their delivery dates and least terms; null when
 * none can. Shared by every candidate with the same three (the planner never changes them).
 */
function serviceOptions(
  inputs: OptionsInputs,
  today: string,
  shipDate: string,
  zone: Zone,
): OptionSet | null {
  const { services, serviceKeys, transit, lowestRates, dayCounts, weights: w } = inputs;
  const options: ServiceOption[] = [];
  let minRate = Number.POSITIVE_INFINITY;
  let minDays = Number.POSITIVE_INFINITY;
  let minTimeAndRate = Number.POSITIVE_INFINITY;
  for (let k = 0; k < services.length; k++) {
    const service = services[k]!;
    if (!service.active || transit[k]![zone]! > inputs.maxTransitDays) continue;
    const delivery = deliveryDateMemo(serviceKeys[k]!, service, shipDate, zone);
    if (!delivery) continue;
    let counts = dayCounts.get(today);
    if (!counts) {
      counts = new Map();
      dayCounts.set(today, counts);
    }
    let delivery_days = counts.get(delivery);
    if (delivery_days === undefined) {
      delivery_days = daysBetween(today, delivery);
      counts.set(delivery, delivery_days);
    }
    options.push({ service, delivery_date: delivery, delivery_days });
    let low = lowestRates[k]![zone];
    if (low === undefined) {
      low = Math.min(...service.rate_table.map((b) => b.rates_by_zone[`${zone}`]));
      lowestRates[k]![zone] = low;
    }
    minRate = Math.min(minRate, low);
    minDays = Math.min(minDays, delivery_days);
    minTimeAndRate = Math.min(minTimeAndRate, w.delivery_days * delivery_days + w.shipping_cost * low);
  }
  return options.length === 0
    ? null
    : { options, min_rate: minRate, min_days: minDays, min_time_and_rate: minTimeAndRate };
}

export function findCandidates(
  order: PlanOrder,
  network: PlanNetwork,
  stock: StockSnapshot,
  policy: SourcingPolicy,
  now: Date,
  explain: boolean,
  /** What is kept between plans on this network (see planner-network.ts); none: worked out here. */
  cache?: NetworkCache,
): Candidates {
  const w = policy.weights;
  const lines = mergeLines(order.lines);
  if (cache && !cache.isFor(network.locations, network.services))
    throw new Error('A planner NetworkCache is used with the locations and services it was made from only.');
  const locations = cache ? cache.locations : sortedById(network.locations, (l) => l.location_id);
  const services = cache ? cache.services : sortedById(network.services, (s) => s.service_id);

  const excluded: CandidateReport[] = [];
  const candidates: Candidate[] = [];
  // Many locations share a calendar and time zone, and every location shares the services:
  // each ship slot, local day and set of service options is worked out once per order (and the
  // slots and delivery dates once per day, by the promise module).
  const slots = new Map<string, ShipSlot | undefined>();
  const todays = new Map<string, string>();
  const serviceKeys = cache ? cache.serviceKeys : services.map(deliveryKeyOf);
  const destinationZip3 = zip3Of(order.destination.postal_code);
  const caps = lines.map((l) => channelCap(stock, l.sku));
  /** Per line: its SKU's sellable units by location (below zero counts as none). */
  const lineStock: LineStock = lines.map((l) => stock.sellable[l.sku]);
  /** Per service: its lowest rate by zone (index 1-8) over all weight brackets. */
  const lowestRates: readonly (number | undefined)[][] = cache
    ? cache.lowestRates
    : services.map((): (number | undefined)[] => []);
  /** Per service: transit days by zone (index 1-8). */
  const transit = cache ? cache.transit : services.map((s) => [0, ...ZONES.map((z) => transitDaysFor(s, z))]);
  const optionsInputs: OptionsInputs = {
    services,
    serviceKeys,
    transit,
    lowestRates,
    maxTransitDays: LEVEL_TRANSIT_DAYS_MAX[order.service_level],
    weights: w,
    dayCounts: new Map(),
  };
  /** Local day → ship date → option set by zone (index 1-8). */
  const optionSets = new Map<string, Map<string, (OptionSet | null)[]>>();
  const slowest: number[] = [];
  const lowest: number[] = [];
  // With a cache: each location's zone or exclusion for the destination, and per order the
  // local day of each time-zone group and the ship slot of each slot group.
  const destination = cache?.destination(order.destination, destinationZip3);
  const groupDays: string[] = [];
  const groupSlots: (ShipSlot | null)[] = [];
  const policyKey = cache ? optionsPolicyKey(order.service_level, w.delivery_days, w.shipping_cost) : '';
  // The option sets of the last local day and ship date met: most locations share both.
  let lastDay = '';
  let lastShipDate = '';
  let lastByZone: (OptionSet | null)[] = [];
  for (let i = 0; i < locations.length; i++) {
    const location = locations[i]!;
    let zone: Zone | undefined;
    if (destination) {
      zone = destination.zones[i];
      if (zone === undefined) {
        if (explain) excluded.push(exclusion(location, destination.reasons[i]!));
        continue;
      }
    } else {
      if (!location.active) {
        if (explain) excluded.push(exclusion(location, 'inactive'));
        continue;
      }
      if (!servesDestination(location, order.destination)) {
        if (explain) excluded.push(exclusion(location, 'not_serving_region'));
        continue;
      }
      // zoneInSnapshot, with the destination's ZIP3 read once.
      zone = destinationZip3 === undefined ? undefined : zoneIn(location.zones, destinationZip3)?.zone;
      if (zone === undefined) {
        if (explain) excluded.push(exclusion(location, 'no_zone'));
        continue;
      }
    }
    // Without an explanation, which check rules a location out does not matter: stock first,
    // the cheapest (more than half the locations hold none of a small order's SKUs).
    let units = explain ? null : unitsAt(lineStock, caps, location.location_id);
    if (!explain && units === null) continue;
    let today: string | undefined;
    let slot: ShipSlot | undefined;
    if (cache) {
      const z = cache.zoneGroup[i]!;
      today = groupDays[z];
      if (today === undefined) {
        today = localDay(now, location.time_zone);
        groupDays[z] = today;
      }
      const group = cache.slotGroup[i]!;
      let known = groupSlots[group];
      if (known === undefined) {
        known = cache.slot(group, location, now, today) ?? null;
        groupSlots[group] = known;
      }
      slot = known ?? undefined;
    } else {
      today = todays.get(location.time_zone);
      if (today === undefined) {
        today = localDay(now, location.time_zone);
        todays.set(location.time_zone, today);
      }
      const slotKey = slotKeyOf(location);
      if (!slots.has(slotKey)) slots.set(slotKey, shipInstantMemo(slotKey, location, now, today));
      slot = slots.get(slotKey);
    }
    if (!slot) {
      if (explain) excluded.push(exclusion(location, 'no_working_day'));
      continue;
    }
    const capacity = location.daily_order_capacity;
    // The day's load only counts against a capacity: no lookup without one.
    const load = capacity === null ? 0 : (network.load?.[location.location_id] ?? 0);
    if (capacity !== null && load >= capacity) {
      if (explain) excluded.push(exclusion(location, 'at_capacity'));
      continue;
    }
    if (units === null) {
      units = unitsAt(lineStock, caps, location.location_id);
      if (units === null) {
        if (explain) excluded.push(exclusion(location, 'no_stock'));
        continue;
      }
    }
    // The option sets by zone for the location's local day and ship date.
    let byZone = lastByZone;
    if (today !== lastDay || slot.ship_date !== lastShipDate) {
      let byShipDate = optionSets.get(today);
      if (!byShipDate) {
        byShipDate = new Map();
        optionSets.set(today, byShipDate);
      }
      let known = byShipDate.get(slot.ship_date);
      if (!known) {
        // With a cache, the option sets are kept between plans (they depend on nothing else).
        known = cache ? cache.optionSetsFor(policyKey, today, slot.ship_date) : [];
        byShipDate.set(slot.ship_date, known);
      }
      byZone = known;
      lastDay = today;
      lastShipDate = slot.ship_date;
      lastByZone = known;
    }
    let set = byZone[zone];
    if (set === undefined) {
      set = serviceOptions(optionsInputs, today, slot.ship_date, zone);
      byZone[zone] = set;
    }
    if (set === null) {
      if (explain) excluded.push(exclusion(location, 'no_service_for_level'));
      continue;
    }
    slowest.push(set.min_time_and_rate - w.shipping_cost * set.min_rate);
    lowest.push(set.min_rate);
    candidates.push({
      index: candidates.length,
      location,
      tier: location.inventory_type === 'dropship' ? 1 : 0,
      zone,
      slot,
      services: set.options,
      stock: units,
      min_days: set.min_days,
      bound_cost: w.shipping_cost * set.min_rate + w.location_cost * location.fulfillment_cost.per_order,
      load: capacity === null ? 0 : load / capacity,
      external: network.external_scores?.[location.location_id] ?? 0,
    });
  }
  const needs = lines.map((l) => Math.min(l.quantity, channelCap(stock, l.sku)));
  return { lines, caps, needs, services, candidates, excluded, slowest, lowest };
}
