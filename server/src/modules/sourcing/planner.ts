import { localDateTime } from '../network/calendar.ts';
import { ZONES, type Zone, type ZoneEntry, zip3Of } from '../network/geo.ts';
import { billableWeightLb, DEFAULT_DIM_DIVISOR, transitDaysFor } from '../network/rates.ts';
import { type SnapshotLocation, type SnapshotService, servesDestination } from '../network/snapshot.ts';
import {
  assemble,
  byId,
  type Candidate,
  type Line,
  type Option,
  type ServiceOption,
  ZERO_TERMS,
} from './plan-result.ts';
import { LEVEL_TRANSIT_DAYS_MAX, normalizePolicy, type SourcingPolicy, weightedScore } from './policy.ts';
import { daysBetween, deliveryDateMemo, type ShipSlot, shipInstantMemo } from './promise.ts';
import type {
  CandidateReport,
  ExclusionReason,
  Plan,
  PlanLine,
  PlanNetwork,
  PlanOrder,
  Shipment,
  StockSnapshot,
} from './types.ts';

/**
 * The sourcing planner: pure and deterministic. Options are compared lexicographically — fewest
 * units backordered, then fewest units from drop-ship suppliers (own locations first), then the
 * policy's weighted score, then the location ids — so ties never depend on input order.
 */

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

// Scores within this are equal, so float rounding in a sum never outranks the id tie-break.
const SCORE_EPSILON = 1e-9;
// A branch is cut on a score bound only beyond this margin too: the bound is summed in another
// order than each set's own, and the best so far may drift up by SCORE_EPSILON on an id tie-break.
const BOUND_SLACK = 1e-7;
// Lines needing more units than this are searched without the coverage bitsets (see `covering`).
const COVER_BITS_NEED_MAX = 64;
const billable = billableWeightLb; // read once; the search calls it for every parcel it prices

/** Inserts x into a list kept sorted (order 1: ascending, -1: descending) and at most k long. */
function insertSorted(list: number[], x: number, k: number, order: 1 | -1) {
  let i = list.length;
  while (i > 0 && (list[i - 1]! - x) * order > 0) i--;
  if (i >= k) return;
  list.splice(i, 0, x);
  if (list.length > k) list.length = k;
}

// The local day per time zone. The UTC offset is read at both ends of a 6-hour window; equal
// offsets mean no change in between (zones change their offset twice a year at most), so the
// local day of any instant in the window is arithmetic, without asking Intl.
const OFFSET_WINDOW_MS = 6 * 3_600_000;
const offsetWindows = new Map<string, { start: number; offset_ms: number | null }>();
function offsetAtMs(t: number, timeZone: string): number {
  const l = localDateTime(new Date(t), timeZone);
  return Date.parse(`${l.date}T${l.time}:${String(l.seconds).padStart(2, '0')}Z`) - t;
}
function localDay(now: Date, timeZone: string): string {
  const t = now.getTime();
  const start = Math.floor(t / OFFSET_WINDOW_MS) * OFFSET_WINDOW_MS;
  let window = offsetWindows.get(timeZone);
  if (window?.start !== start) {
    const offset = offsetAtMs(start, timeZone);
    window = { start, offset_ms: offset === offsetAtMs(start + OFFSET_WINDOW_MS, timeZone) ? offset : null };
    if (offsetWindows.size >= 1000) offsetWindows.clear();
    offsetWindows.set(timeZone, window);
  }
  if (window.offset_ms === null) return localDateTime(now, timeZone).date;
  return new Date(t + window.offset_ms).toISOString().slice(0, 10);
}

// What a location's ship slot depends on (time zone, cut-offs, processing days, holiday
// calendar), as a key: JSON of those values, kept per location object with the values, which
// are compared on every use (a caller may change a location between plans).
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
function slotKeyOf(l: SnapshotLocation): string {
  const values = slotValues(l);
  const known = slotKeys.get(l);
  if (known && known.values.length === values.length && known.values.every((v, i) => v === values[i]))
    return known.key;
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
function deliveryKeyOf(s: SnapshotService): string {
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
function zoneIn(zones: SnapshotLocation['zones'], zip3: string): ZoneEntry | undefined {
  const table = zones as ReadonlyMap<string, ZoneEntry> | Readonly<Record<string, ZoneEntry>>;
  return table instanceof Map ? table.get(zip3) : (table as Readonly<Record<string, ZoneEntry>>)[zip3];
}

export function plan(
  order: PlanOrder,
  network: PlanNetwork,
  stock: StockSnapshot,
  policyIn: SourcingPolicy,
  now: Date,
  /** For tests: `prune: false` searches every set within the budget, to check pruning changes nothing. */
  tuning: { prune?: boolean } = {},
): Plan {
  const policy = normalizePolicy(policyIn);
  const w = policy.weights;
  const lines = mergeLines(order.lines);
  const locations = [...network.locations].sort(byId((l) => l.location_id));
  const services = [...network.services].sort(byId((s) => s.service_id));
  const capOf = (sku: string) => Math.max(0, stock.channel_caps?.[sku] ?? Number.POSITIVE_INFINITY);

  // ── candidates ──────────────────────────────────────────────────────────────────────────────
  const reports: CandidateReport[] = [];
  const candidates: Candidate[] = [];
  // Many locations share a calendar and time zone, and every location shares the services:
  // each ship slot, local day, delivery date and lowest rate is worked out once per order (and
  // the slots and delivery dates once per day, by the promise module).
  const slots = new Map<string, ShipSlot | undefined>();
  const todays = new Map<string, string>();
  const serviceKeys = services.map(deliveryKeyOf);
  /** Per service: ship date → delivery date by zone (index 1-8; null: none). */
  const deliveries = services.map(() => new Map<string, (string | null)[]>());
  /** Local day → delivery date → calendar days between them. */
  const dayCounts = new Map<string, Map<string, number>>();
  /** Per service: its lowest rate by zone over all weight brackets. */
  const lowestRates = services.map(() => new Map<number, number>());
  const destinationZip3 = zip3Of(order.destination.postal_code);
  const caps = lines.map((l) => capOf(l.sku));
  /** Per line: its SKU's sellable units by location (below zero counts as none). */
  const lineStock = lines.map((l) => stock.sellable[l.sku]);
  /** Per service: transit days by zone (index 1-8). */
  const transit = services.map((s) => [0, ...ZONES.map((z) => transitDaysFor(s, z))]);
  const slowest: number[] = [];
  const lowest: number[] = [];
  const exclude = (location: SnapshotLocation, reason: ExclusionReason) =>
    reports.push({ location_id: location.location_id, status: 'excluded', reason });
  for (const location of locations) {
    if (!location.active) {
      exclude(location, 'inactive');
      continue;
    }
    if (!servesDestination(location, order.destination)) {
      exclude(location, 'not_serving_region');
      continue;
    }
    // zoneInSnapshot, with the destination's ZIP3 read once.
    const zone = destinationZip3 === undefined ? undefined : zoneIn(location.zones, destinationZip3)?.zone;
    if (zone === undefined) {
      exclude(location, 'no_zone');
      continue;
    }
    let today = todays.get(location.time_zone);
    if (today === undefined) {
      today = localDay(now, location.time_zone);
      todays.set(location.time_zone, today);
    }
    const slotKey = slotKeyOf(location);
    if (!slots.has(slotKey)) slots.set(slotKey, shipInstantMemo(slotKey, location, now, today));
    const slot = slots.get(slotKey);
    if (!slot) {
      exclude(location, 'no_working_day');
      continue;
    }
    const load = network.load?.[location.location_id] ?? 0;
    const capacity = location.daily_order_capacity;
    if (capacity !== null && load >= capacity) {
      exclude(location, 'at_capacity');
      continue;
    }
    const units = lineStock.map((at) => Math.max(0, at?.[location.location_id] ?? 0));
    if (!units.some((u, l) => u > 0 && caps[l]! > 0)) {
      exclude(location, 'no_stock');
      continue;
    }
    const options: ServiceOption[] = [];
    let minRate = Number.POSITIVE_INFINITY;
    let minDays = Number.POSITIVE_INFINITY;
    let minTimeAndRate = Number.POSITIVE_INFINITY;
    for (const [k, service] of services.entries()) {
      if (!service.active || transit[k]![zone]! > LEVEL_TRANSIT_DAYS_MAX[order.service_level]) continue;
      let byZone = deliveries[k]!.get(slot.ship_date);
      if (!byZone) {
        byZone = [];
        deliveries[k]!.set(slot.ship_date, byZone);
      }
      let delivery = byZone[zone];
      if (delivery === undefined) {
        delivery = deliveryDateMemo(serviceKeys[k]!, service, slot.ship_date, zone) ?? null;
        byZone[zone] = delivery;
      }
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
      let low = lowestRates[k]!.get(zone);
      if (low === undefined) {
        low = Math.min(...service.rate_table.map((b) => b.rates_by_zone[`${zone}`]));
        lowestRates[k]!.set(zone, low);
      }
      minRate = Math.min(minRate, low);
      minDays = Math.min(minDays, delivery_days);
      minTimeAndRate = Math.min(minTimeAndRate, w.delivery_days * delivery_days + w.shipping_cost * low);
    }
    if (options.length === 0) {
      exclude(location, 'no_service_for_level');
      continue;
    }
    // The least this location adds to the delivery-days and shipping terms beyond its lowest
    // rate, whichever service it ships by (for pruning; see `dismissed`).
    slowest.push(minTimeAndRate - w.shipping_cost * minRate);
    lowest.push(minRate);
    candidates.push({
      index: candidates.length,
      location,
      tier: location.inventory_type === 'dropship' ? 1 : 0,
      zone,
      slot,
      services: options,
      stock: units,
      min_days: minDays,
      bound_cost: w.shipping_cost * minRate + w.location_cost * location.fulfillment_cost.per_order,
      load: capacity === null ? 0 : load / capacity,
      external: network.external_scores?.[location.location_id] ?? 0,
    });
  }

  // What the order may take of each line: its quantity within the channel pool.
  const needs = lines.map((l) => Math.min(l.quantity, capOf(l.sku)));

  // ── one shipment: the best service for what a location sends ───────────────────────────────
  // Each candidate's services priced for its zone once, as plain numbers: the search prices a
  // parcel for every option it scores, thousands of times for one order.
  const tables = new Map<SnapshotService, { max_lb: number[]; rates: (number | undefined)[] }[]>();
  const tableOf = (service: SnapshotService, zone: number) => {
    let byZone = tables.get(service);
    if (!byZone) {
      byZone = [];
      tables.set(service, byZone);
    }
    let table = byZone[zone];
    if (!table) {
      table = {
        max_lb: service.rate_table.map((b) => b.max_weight_lb),
        rates: service.rate_table.map((b): number | undefined => b.rates_by_zone[`${zone as Zone}`]),
      };
      byZone[zone] = table;
    }
    return table;
  };
  const priced = candidates.map((c) =>
    c.services.map((o) => ({
      option: o,
      divisor: o.service.dim_divisor || DEFAULT_DIM_DIVISOR,
      ...tableOf(o.service, c.zone),
    })),
  );
  // The billable weight and cost of the service `pickService` last chose.
  let pickedBillable = 0;
  let pickedCost = 0;
  /** Index into `priced[c.index]` of the best service for a parcel, or -1 if none takes it. */
  const pickService = (c: Candidate, actual_lb: number, volume_in3: number): number => {
    const options = priced[c.index]!;
    let best = -1;
    let bestKey = Number.POSITIVE_INFINITY;
    for (let k = 0; k < options.length; k++) {
      const p = options[k]!;
      const lb = billable(Math.max(actual_lb, volume_in3 / p.divisor));
      // As rateFor: the first bracket the weight fits, undefined beyond the last.
      let cost: number | undefined;
      for (let b = 0; b < p.max_lb.length; b++) {
        if (lb <= p.max_lb[b]!) {
          cost = p.rates[b];
          break;
        }
      }
      if (cost === undefined) continue;
      if (policy.cost_ceiling !== null && cost > policy.cost_ceiling) continue;
      const key = w.delivery_days * p.option.delivery_days + w.shipping_cost * cost;
      // Services are sorted by id, so strict < keeps the first of equals.
      if (key < bestKey) {
        bestKey = key;
        best = k;
        pickedBillable = lb;
        pickedCost = cost;
      }
    }
    return best;
  };
  const shipmentFor = (c: Candidate, actual_lb: number, volume_in3: number) => {
    const k = pickService(c, actual_lb, volume_in3);
    if (k < 0) return null;
    const o = priced[c.index]![k]!.option;
    return {
      service_id: o.service.service_id,
      carrier_code: o.service.carrier_code,
      service_level: o.service.service_level,
      zone: c.zone,
      billable_weight_lb: pickedBillable,
      cost: pickedCost,
      currency: o.service.currency,
      ship_date: c.slot.ship_date,
      cutoff_at: c.slot.cutoff_at,
      delivery_date: o.delivery_date,
      delivery_days: o.delivery_days,
    };
  };

  // ── one option: fill each line from the set's locations in rank order ───────────────────────
  // Builds the whole option (shipments, what each member takes); the search only builds the
  // options it keeps (`consider`) and scores the rest with `quickEvaluate`.
  const evaluate = (set: Candidate[]): Option | null => {
    const taken = set.map(() => new Map<string, number>());
    let backordered = 0;
    let dropship = 0;
    for (const [l, line] of lines.entries()) {
      let need = needs[l]!;
      backordered += line.quantity - need;
      for (let i = 0; i < set.length && need > 0; i++) {
        const c = set[i]!;
        const take = Math.min(need, c.stock[l]!);
        if (take <= 0) continue;
        taken[i]!.set(line.sku, take);
        need -= take;
        if (c.tier === 1) dropship += take;
      }
      backordered += need;
    }
    // A member that sends nothing makes this the same plan as the set without it.
    if (taken.some((t) => t.size === 0)) return null;
    const shipments: Shipment[] = [];
    const terms = { ...ZERO_TERMS, shipments: set.length };
    for (let i = 0; i < set.length; i++) {
      const c = set[i]!;
      let actual = 0;
      let volume = 0;
      let units = 0;
      const shipLines: { sku: string; quantity: number }[] = [];
      for (const line of lines) {
        const q = taken[i]!.get(line.sku);
        if (!q) continue;
        actual += q * line.weight_lb;
        volume += q * line.volume_in3;
        units += q;
        shipLines.push({ sku: line.sku, quantity: q });
      }
      const s = shipmentFor(c, actual, volume);
      if (!s) return null;
      shipments.push({
        location_id: c.location.location_id,
        inventory_type: c.location.inventory_type,
        lines: shipLines,
        ...s,
      });
      terms.delivery_days = Math.max(terms.delivery_days, s.delivery_days);
      terms.shipping_cost += s.cost;
      terms.location_cost +=
        c.location.fulfillment_cost.per_order + units * c.location.fulfillment_cost.per_unit;
      terms.load += c.load;
      terms.external += c.external;
    }
    return {
      set,
      shipments,
      taken,
      units_backordered: backordered,
      units_dropship: dropship,
      terms,
      score: weightedScore(terms, w),
    };
  };

  // ── rank: own before drop-ship, then the score of shipping alone, then id ───────────────────
  // Each location alone, as `evaluate([c])` would score it, without building the option.
  type Alone = Pick<Option, 'units_backordered' | 'units_dropship' | 'terms' | 'score'> & { units: number };
  const aloneOf = (c: Candidate): Alone | null => {
    let backordered = 0;
    let dropship = 0;
    let actual = 0;
    let volume = 0;
    let units = 0;
    let sends = false;
    for (const [l, line] of lines.entries()) {
      let need = needs[l]!;
      backordered += line.quantity - need;
      if (need > 0) {
        const take = Math.min(need, c.stock[l]!);
        if (!(take <= 0)) {
          sends = true;
          need -= take;
          if (c.tier === 1) dropship += take;
          if (take) {
            actual += take * line.weight_lb;
            volume += take * line.volume_in3;
            units += take;
          }
        }
      }
      backordered += need;
    }
    if (!sends) return null;
    const k = pickService(c, actual, volume);
    if (k < 0) return null;
    const terms = { ...ZERO_TERMS, shipments: 1 };
    terms.delivery_days = Math.max(terms.delivery_days, priced[c.index]![k]!.option.delivery_days);
    terms.shipping_cost += pickedCost;
    terms.location_cost +=
      c.location.fulfillment_cost.per_order + units * c.location.fulfillment_cost.per_unit;
    terms.load += c.load;
    terms.external += c.external;
    return {
      units_backordered: backordered,
      units_dropship: dropship,
      terms,
      score: weightedScore(terms, w),
      units,
    };
  };
  const alone = new Map<Candidate, Alone | null>();
  for (const c of candidates) alone.set(c, aloneOf(c));
  const rank = [...candidates].sort(
    (a, b) =>
      a.tier - b.tier ||
      (alone.get(a)?.score ?? Number.POSITIVE_INFINITY) - (alone.get(b)?.score ?? Number.POSITIVE_INFINITY) ||
      (a.location.location_id < b.location.location_id ? -1 : 1),
  );
  for (const c of candidates) {
    const o = alone.get(c);
    reports.push({
      location_id: c.location.location_id,
      status: 'candidate',
      tier: c.tier === 0 ? 'owned' : 'dropship',
      coverable_units: o ? o.units : 0,
      terms: o?.terms ?? null,
      score: o?.score ?? null,
    });
  }
  reports.sort((a, b) => (a.location_id < b.location_id ? -1 : a.location_id > b.location_id ? 1 : 0));

  // ── the search's view: candidates by rank position, in typed arrays ─────────────────────────
  // The search scores thousands of sets for one order, so it works on numbers: a set is a list
  // of rank positions, and `quickEvaluate` does `evaluate`'s arithmetic in the same order (so
  // the same floating-point sums) without building anything. Only the options it keeps are built.
  const n = rank.length;
  const L = lines.length;
  const K = policy.max_shipments;
  const stockAt = new Float64Array(n * L);
  rank.forEach((c, p) => {
    for (let l = 0; l < L; l++) stockAt[p * L + l] = c.stock[l]!;
  });
  const quantity = Float64Array.from(lines, (l) => l.quantity);
  const weight = Float64Array.from(lines, (l) => l.weight_lb);
  const volume = Float64Array.from(lines, (l) => l.volume_in3);
  const need = Float64Array.from(needs);
  const takes = new Float64Array((K + 1) * L);
  const sent = new Uint8Array(K + 1);
  // Candidates are numbered in location-id order, so comparing a set's sorted numbers is
  // comparing its sorted ids (equal ids share a number).
  const idRank = Int32Array.from(candidates, (_, i) => i);
  for (let i = 1; i < candidates.length; i++)
    if (candidates[i]!.location.location_id === candidates[i - 1]!.location.location_id)
      idRank[i] = idRank[i - 1]!;
  const quick = { backordered: 0, dropship: 0, score: 0 };
  /** Prices member `i`'s takes: the service `pickService` picks, with its units left in `pickedUnits`. */
  let pickedUnits = 0;
  const priceMember = (c: Candidate, i: number) => {
    let actual = 0;
    let vol = 0;
    let units = 0;
    for (let l = 0; l < L; l++) {
      const q = takes[i * L + l]!;
      if (!q) continue;
      actual += q * weight[l]!;
      vol += q * volume[l]!;
      units += q;
    }
    pickedUnits = units;
    return pickService(c, actual, vol);
  };
  /** The option of the set `members[0..m)` (rank positions, in fill order): keys in `quick`; false where `evaluate` gives null. */
  const quickEvaluate = (members: ArrayLike<number>, m: number): boolean => {
    takes.fill(0, 0, m * L);
    sent.fill(0, 0, m);
    let backordered = 0;
    let dropship = 0;
    for (let l = 0; l < L; l++) {
      let left = need[l]!;
      backordered += quantity[l]! - left;
      for (let i = 0; i < m && left > 0; i++) {
        const p = members[i]!;
        const take = Math.min(left, stockAt[p * L + l]!);
        if (take <= 0) continue;
        takes[i * L + l] = take;
        sent[i] = 1;
        left -= take;
        if (rank[p]!.tier === 1) dropship += take;
      }
      backordered += left;
    }
    for (let i = 0; i < m; i++) if (sent[i] === 0) return false;
    let days = 0;
    let shipping = 0;
    let locationCost = 0;
    let load = 0;
    let external = 0;
    for (let i = 0; i < m; i++) {
      const c = rank[members[i]!]!;
      const k = priceMember(c, i);
      if (k < 0) return false;
      days = Math.max(days, priced[c.index]![k]!.option.delivery_days);
      shipping += pickedCost;
      locationCost +=
        c.location.fulfillment_cost.per_order + pickedUnits * c.location.fulfillment_cost.per_unit;
      load += c.load;
      external += c.external;
    }
    quick.backordered = backordered;
    quick.dropship = dropship;
    // weightedScore's sum, term by term in its order.
    quick.score =
      days * w.delivery_days +
      shipping * w.shipping_cost +
      m * w.shipments +
      locationCost * w.location_cost +
      load * w.load +
      external * w.external;
    return true;
  };

  // ── comparing and keeping options ───────────────────────────────────────────────────────────
  const idsOf = (members: ArrayLike<number>, m: number) => {
    const ids: number[] = [];
    for (let i = 0; i < m; i++) ids.push(idRank[rank[members[i]!]!.index]!);
    return ids.sort((a, b) => a - b);
  };
  /**
   * Whether the option in `quick` (of `members`) comes before `o`: fewer units backordered, then
   * fewer from drop-ship suppliers, then a lower score (beyond SCORE_EPSILON), then the sorted
   * location ids.
   */
  const quickBeats = (members: ArrayLike<number>, m: number, o: Option, oIds: readonly number[]) => {
    const d =
      quick.backordered - o.units_backordered ||
      quick.dropship - o.units_dropship ||
      (Math.abs(quick.score - o.score) > SCORE_EPSILON ? quick.score - o.score : 0);
    if (d) return d < 0;
    const ids = idsOf(members, m);
    for (let i = 0; i < ids.length && i < oIds.length; i++) if (ids[i] !== oIds[i]) return ids[i]! < oIds[i]!;
    return ids.length < oIds.length;
  };

  let evaluated = 0;
  let exhausted = false;
  const empty = evaluate([]) as Option;
  let best: Option = empty;
  let bestIds: number[] = [];
  let second: Option | null = null;
  let secondIds: number[] = [];
  /**
   * Counts and compares one set, given as rank positions in rank order; `known` is its option's
   * keys when already scored. Each set is considered once: the callers skip the sets met before
   * (the greedy ones, and the single locations offered to the explanation) instead of keeping keys.
   */
  const consider = (members: ArrayLike<number>, m: number, known?: Alone | null) => {
    evaluated++;
    if (known === null) return;
    if (known) {
      quick.backordered = known.units_backordered;
      quick.dropship = known.units_dropship;
      quick.score = known.score;
    } else if (!quickEvaluate(members, m)) return;
    keep(members, m);
  };
  /** Keeps the option in `quick` as the best or the runner-up if it beats them, building it. */
  const keep = (members: ArrayLike<number>, m: number) => {
    const winsBest = quickBeats(members, m, best, bestIds);
    if (!winsBest && second && !quickBeats(members, m, second, secondIds)) return;
    const set: Candidate[] = [];
    for (let i = 0; i < m; i++) set.push(rank[members[i]!]!);
    const o = evaluate(set) as Option;
    if (winsBest) {
      second = best;
      secondIds = bestIds;
      best = o;
      bestIds = idsOf(members, m);
    } else {
      second = o;
      secondIds = idsOf(members, m);
    }
    refreshLimits();
  };

  // ── search ──────────────────────────────────────────────────────────────────────────────────
  // The least any option can backorder or take from drop-ship suppliers: reaching both lets
  // the search prune on score alone.
  // (Sums in candidate order; a candidate's `stock` is its sellable units per line.)
  const floorBackorder = lines.reduce(
    (s, l, k) =>
      s +
      l.quantity -
      Math.min(
        l.quantity,
        capOf(l.sku),
        candidates.reduce((t, c) => t + c.stock[k]!, 0),
      ),
    0,
  );
  const ownCover = lines.reduce(
    (s, l, k) =>
      s +
      Math.min(
        l.quantity,
        capOf(l.sku),
        candidates.reduce((t, c) => (c.tier === 0 ? t + c.stock[k]! : t), 0),
      ),
    0,
  );
  const totalUnits = lines.reduce((s, l) => s + l.quantity, 0);
  const floorDropship = totalUnits - floorBackorder - ownCover;
  // The bounds assume every score term only grows as locations are added (no negative load,
  // external score or per-unit cost); otherwise everything within the budget is scored.
  const canPrune =
    tuning.prune !== false &&
    Object.values(w).every((x) => x >= 0) &&
    candidates.every(
      (c) => c.external >= 0 && c.bound_cost >= 0 && c.load >= 0 && c.location.fulfillment_cost.per_unit >= 0,
    );
  const settled = () => best.units_backordered === floorBackorder && best.units_dropship === floorDropship;

  // What the pruning tests compare with, refreshed whenever the best or the runner-up changes.
  // Score alone decides between options that backorder as many units as x when x takes nothing
  // from drop-ship suppliers, or as little as any option can (see quickBeats).
  const decides = (x: Option) =>
    canPrune &&
    (x.units_dropship === 0 ||
      (x.units_backordered === floorBackorder && x.units_dropship === floorDropship));
  const limit = {
    best_backordered: 0,
    best_decides: false,
    best_score: 0,
    runner_up: false,
    second_backordered: 0,
    second_decides: false,
    second_score: 0,
  };
  const refreshLimits = () => {
    limit.best_backordered = best.units_backordered;
    limit.best_decides = decides(best);
    limit.best_score = best.score + SCORE_EPSILON + BOUND_SLACK;
    limit.runner_up = second !== null && tuning.prune !== false;
    if (second) {
      limit.second_backordered = second.units_backordered;
      limit.second_decides = decides(second);
      limit.second_score = second.score + SCORE_EPSILON + BOUND_SLACK;
    }
  };
  refreshLimits();
  /**
   * Whether sets that backorder at least `floor` and score at least `low` can beat neither the
   * best nor the runner-up, so cannot change the answer or its explanation.
   */
  const dismissed = (floor: number, low: number) =>
    limit.runner_up &&
    (floor > limit.best_backordered ||
      (floor === limit.best_backordered && limit.best_decides && low > limit.best_score)) &&
    (floor > limit.second_backordered ||
      (floor === limit.second_backordered && limit.second_decides && low > limit.second_score));

  // Greedy first, so a plan exists however small the budget: add the location covering most of
  // what is still missing, best-ranked first on a tie.
  const greedy: number[] = [];
  /** The greedy sets considered, by size - 1, as rank positions in rank order. */
  const greedySets: number[][] = [];
  const trial: number[] = [];
  while (greedy.length < K) {
    let pick = -1;
    let pickGain = 0;
    const before = quickEvaluate(greedy, greedy.length) ? quick.backordered : empty.units_backordered;
    for (let p = 0; p < n; p++) {
      if (greedy.includes(p)) continue;
      trial.length = 0;
      trial.push(...greedy, p);
      const gain = quickEvaluate(trial, trial.length) ? before - quick.backordered : 0;
      if (gain > pickGain) {
        pick = p;
        pickGain = gain;
      }
    }
    if (pick < 0) break;
    greedy.push(pick);
    const ordered = [...greedy].sort((a, b) => a - b);
    greedySets.push(ordered);
    consider(ordered, ordered.length, ordered.length === 1 ? (alone.get(rank[pick]!) ?? null) : undefined);
  }

  // Every location alone is already evaluated (for the ranking); offering them all gives the
  // explanation a runner-up even when pruning skips the rest. The first greedy pick was one.
  const one = [0];
  for (let p = 0; p < n; p++) {
    if (p === greedy[0]) continue;
    one[0] = p;
    consider(one, 1, alone.get(rank[p]!) ?? null);
  }

  // For pruning on coverage: the most units r more locations from rank[i..] could add. Two
  // bounds, both of which overstate and the tighter of which is used: the sum of the r largest
  // single contributions there (overlaps ignored), and line by line the r largest stocks there.
  const contribution = rank.map((c) => needs.reduce((s, x, l) => s + Math.min(x, c.stock[l]!), 0));
  // topSums[i][r]: the sum of the r largest contributions in rank[i..], largest first.
  const topSums: number[][] = [[0]];
  {
    const largest: number[] = [];
    for (let i = n - 1; i >= 0; i--) {
      insertSorted(largest, contribution[i]!, K, -1);
      const sums = [0];
      for (const x of largest) sums.push(sums.at(-1)! + x);
      topSums[i] = sums;
    }
  }
  const topSum = (i: number, r: number) => topSums[i]![Math.min(r, topSums[i]!.length - 1)]!;
  // lineTop[(i * L + l) * (K + 1) + r]: the r largest stocks of line l in rank[i..], summed.
  const lineTop = new Float64Array((n + 1) * L * (K + 1));
  {
    const largest: number[][] = lines.map(() => []);
    for (let i = n - 1; i >= 0; i--) {
      for (let l = 0; l < L; l++) {
        const top = largest[l]!;
        insertSorted(top, stockAt[i * L + l]!, K, -1);
        let s = 0;
        const at = (i * L + l) * (K + 1);
        for (let r = 1; r <= K; r++) {
          s += top[r - 1] ?? 0;
          lineTop[at + r] = s;
        }
      }
    }
  }
  // For pruning on score: the r smallest fixed score parts (see `dfs`) and the least `min_days`
  // among rank[i..].
  const fixedLow = new Float64Array((n + 1) * (K + 1)).fill(Number.POSITIVE_INFINITY);
  const daysLow = new Float64Array(n + 1).fill(Number.POSITIVE_INFINITY);
  {
    const smallest: number[] = [];
    for (let i = n - 1; i >= 0; i--) {
      const c = rank[i]!;
      insertSorted(smallest, c.bound_cost + w.load * c.load + w.external * c.external, K, 1);
      let s = 0;
      for (let r = 1; r <= K; r++) {
        s += smallest[r - 1] ?? Number.POSITIVE_INFINITY;
        fixedLow[i * (K + 1) + r] = s;
      }
      daysLow[i] = Math.min(daysLow[i + 1]!, c.min_days);
    }
  }
  const have = new Float64Array(L);
  // A set's delivery-days and shipping terms are at least its lowest rates plus, for its
  // slowest member, that member's `slowest` part; timeLeast is that part per rank position and
  // timeLow its least among rank[i..].
  const timeLeast = Float64Array.from(rank, (c) => Math.max(w.delivery_days * c.min_days, slowest[c.index]!));
  const timeLow = new Float64Array(n + 1).fill(Number.POSITIVE_INFINITY);
  for (let i = n - 1; i >= 0; i--) timeLow[i] = Math.min(timeLow[i + 1]!, timeLeast[i]!);
  const isGreedySet = (members: ArrayLike<number>, m: number) => {
    const g = greedySets[m - 1];
    if (g === undefined) return false;
    for (let i = 0; i < m; i++) if (g[i] !== members[i]) return false;
    return true;
  };

  // Exact search, smallest sets first, so the fewest-shipment option is met before the budget
  // runs out. A set is scored (and counted in `evaluated`) unless it provably backorders more
  // than the best so far, or ties it and provably scores worse (`hopeless`). Before trying the
  // locations that could follow, the same two tests run on bounds for everything below
  // (`beyond`): they cut a branch only where every set in it would fail its own test.
  //
  // On top of those, a set or branch is skipped, uncounted, when a tighter score bound (the
  // slowest member's least time-and-rate, see `timeLeast`) shows it can beat neither the best
  // nor the runner-up (`dismissed`): such a set could not have changed the answer or its
  // explanation, so a search that finishes within its budget returns the same plan, winner and
  // runner-up as one that scores them, and `evaluated` counts fewer sets (about 40 % fewer on
  // the benchmark's 50-location orders). Where the budget runs out, the search has got further.
  const chosen = new Int32Array(K);
  let depth = 0;
  // covering[(lineBits[l] + t - 1) * words ..]: the rank positions holding ≥ t units of line l,
  // as bits, for t up to the line's need; built when every count is a whole number (so the
  // sums the tests compare are exact) and needs are small.
  const leastBackorder = totalUnits - needs.reduce((s, x) => s + x, 0);
  const words = (n + 31) >>> 5;
  const lineBits: number[] = [];
  let covering: Uint32Array | null = null;
  let whole = false;
  if (
    needs.every((x) => Number.isInteger(x) && x <= COVER_BITS_NEED_MAX) &&
    lines.every((l) => Number.isInteger(l.quantity)) &&
    stockAt.every(Number.isInteger)
  ) {
    whole = true;
    let rows = 0;
    for (const x of needs) {
      lineBits.push(rows);
      rows += x;
    }
    covering = new Uint32Array(rows * words);
    for (let p = 0; p < n; p++)
      for (let l = 0; l < L; l++)
        for (let t = 1; t <= Math.min(need[l]!, stockAt[p * L + l]!); t++)
          covering[(lineBits[l]! + t - 1) * words + (p >>> 5)]! |= 1 << (p & 31);
  }
  const mask = new Uint32Array(words);
  /** The first position ≥ from whose bit is set in `mask`, or n. */
  const nextBit = (from: number) => {
    for (let x = from >>> 5; x < words; x++) {
      const bitsLeft = x === from >>> 5 ? mask[x]! & (~0 << (from & 31)) : mask[x]!;
      if (bitsLeft !== 0) return Math.min(n, (x << 5) + (31 - Math.clz32(bitsLeft & -bitsLeft)));
    }
    return n;
  };
  // The last location of a set comes last in rank order, so it fills last: what the others
  // take, and their shipments, are the same for every location that may complete the set.
  const prefixLeft = new Float64Array(L);
  const prefix = { valid: true, dropship: 0, days: 0, shipping: 0, location_cost: 0, load: 0, external: 0 };
  const tierAt = Uint8Array.from(rank, (c) => c.tier);
  const fillPrefix = (m: number) => {
    takes.fill(0, 0, (m + 1) * L);
    sent.fill(0, 0, m + 1);
    prefix.dropship = 0;
    for (let l = 0; l < L; l++) {
      let left = need[l]!;
      for (let i = 0; i < m && left > 0; i++) {
        const take = Math.min(left, stockAt[chosen[i]! * L + l]!);
        if (take <= 0) continue;
        takes[i * L + l] = take;
        sent[i] = 1;
        left -= take;
        if (tierAt[chosen[i]!] === 1) prefix.dropship += take;
      }
      prefixLeft[l] = left;
    }
    prefix.valid = true;
    prefix.days = 0;
    prefix.shipping = 0;
    prefix.location_cost = 0;
    prefix.load = 0;
    prefix.external = 0;
    for (let i = 0; i < m && prefix.valid; i++) {
      const c = rank[chosen[i]!]!;
      const k = sent[i] === 0 ? -1 : priceMember(c, i);
      if (k < 0) {
        prefix.valid = false;
        break;
      }
      prefix.days = Math.max(prefix.days, priced[c.index]![k]!.option.delivery_days);
      prefix.shipping += pickedCost;
      prefix.location_cost +=
        c.location.fulfillment_cost.per_order + pickedUnits * c.location.fulfillment_cost.per_unit;
      prefix.load += c.load;
      prefix.external += c.external;
    }
  };
  /** `quickEvaluate` of chosen[0..m) + position p, from the prefix's fill. */
  const quickEvaluateLast = (m: number, p: number): boolean => {
    const c = rank[p]!;
    let backordered = 0;
    let dropship = 0;
    let sends = false;
    for (let l = 0; l < L; l++) {
      let left = prefixLeft[l]!;
      backordered += quantity[l]! - need[l]!;
      takes[m * L + l] = 0;
      if (left > 0) {
        const take = Math.min(left, stockAt[p * L + l]!);
        if (!(take <= 0)) {
          takes[m * L + l] = take;
          sends = true;
          left -= take;
          if (whole && tierAt[p] === 1) dropship += take;
        }
      }
      backordered += left;
      // Summed line by line and member by member, as quickEvaluate does (whole numbers add up
      // the same in any order).
      if (!whole)
        for (let i = 0; i <= m; i++) {
          const take = takes[i * L + l]!;
          if (!(take <= 0) && take !== 0 && tierAt[i < m ? chosen[i]! : p] === 1) dropship += take;
        }
    }
    if (whole) dropship += prefix.dropship;
    if (!sends || !prefix.valid) return false;
    const k = priceMember(c, m);
    if (k < 0) return false;
    quick.backordered = backordered;
    quick.dropship = dropship;
    quick.score =
      Math.max(prefix.days, priced[c.index]![k]!.option.delivery_days) * w.delivery_days +
      (prefix.shipping + pickedCost) * w.shipping_cost +
      (m + 1) * w.shipments +
      (prefix.location_cost +
        (c.location.fulfillment_cost.per_order + pickedUnits * c.location.fulfillment_cost.per_unit)) *
        w.location_cost +
      (prefix.load + c.load) * w.load +
      (prefix.external + c.external) * w.external;
    return true;
  };
  /**
   * The least score of the set chosen[0..size-1) + c, from the others' actual terms (`prefix`)
   * and, for c, its lowest rate, fixed costs and least time-and-rate (`slowest`); `days` is at
   * most the set's delivery days.
   */
  const lastLow = (c: Candidate, days: number, size: number) => {
    const rate = lowest[c.index]!;
    return (
      Math.max(
        w.delivery_days * Math.max(prefix.days, days) + w.shipping_cost * rate,
        slowest[c.index]! + w.shipping_cost * rate,
      ) +
      w.shipping_cost * prefix.shipping +
      w.shipments * size +
      w.location_cost * (prefix.location_cost + c.location.fulfillment_cost.per_order) +
      w.load * (prefix.load + c.load) +
      w.external * (prefix.external + c.external)
    );
  };
  /**
   * The last location of a set, as `dfs` would try it, without recursing: the stock of the
   * others is in `have`, and a set is scored from their shared fill (`quickEvaluateLast`).
   */
  const lastMember = (start: number, size: number, bound: number, maxDays: number, timeMax: number) => {
    const m = size - 1;
    let filled = false;
    // Where the best covers all it may, only locations that cover what the others leave can
    // complete a set: read them from the bitsets instead of testing every one.
    const masked = covering !== null && tuning.prune !== false && best.units_backordered === leastBackorder;
    if (masked) {
      mask.fill(0xffffffff);
      for (let x = 0; x < start >>> 5; x++) mask[x] = 0;
      if (start & 31) mask[start >>> 5]! &= ~0 << (start & 31);
      for (let l = 0; l < L; l++) {
        const short = need[l]! - have[l]!;
        if (short <= 0) continue;
        const at = (lineBits[l]! + short - 1) * words;
        for (let x = 0; x < words; x++) mask[x]! &= covering![at + x]!;
      }
    }
    for (let i = masked ? nextBit(start) : start; i < n; i = masked ? nextBit(i + 1) : i + 1) {
      const c = rank[i]!;
      const days = Math.max(maxDays, c.min_days);
      const nextBound = bound + c.bound_cost + w.load * c.load + w.external * c.external;
      // Masked: every line is covered in full (whole numbers, so exactly).
      let covered = 0;
      if (!masked) for (let l = 0; l < L; l++) covered += Math.min(need[l]!, have[l]! + stockAt[i * L + l]!);
      const backorderFloor = masked ? leastBackorder : totalUnits - covered;
      const hopeless =
        (tuning.prune !== false && backorderFloor > best.units_backordered) ||
        (backorderFloor === best.units_backordered &&
          limit.best_decides &&
          nextBound + w.delivery_days * days > best.score + SCORE_EPSILON);
      if (hopeless) continue;
      if (dismissed(backorderFloor, nextBound + Math.max(timeMax, timeLeast[i]!))) continue;
      if (evaluated >= policy.search_budget) {
        exhausted = true;
        return;
      }
      // Sets of one and the greedy sets were considered above.
      chosen[m] = i;
      if (size === 1 || isGreedySet(chosen, size)) continue;
      if (!filled) {
        fillPrefix(m);
        filled = true;
      }
      // The others' shipments are known now: bound the set's score with their actual terms.
      // (A set whose others cannot all ship changes nothing either.)
      if (tuning.prune !== false && (!prefix.valid || dismissed(backorderFloor, lastLow(c, days, size))))
        continue;
      evaluated++;
      if (quickEvaluateLast(m, i)) keep(chosen, size);
    }
  };
  const dfs = (start: number, size: number, bound: number, maxDays: number, timeMax: number): void => {
    if (exhausted) return;
    if (depth === size) {
      if (evaluated >= policy.search_budget) {
        exhausted = true;
        return;
      }
      // Sets of one and the greedy sets were considered above.
      if (size > 1 && !isGreedySet(chosen, size)) consider(chosen, size);
      return;
    }
    const after = size - depth - 1; // locations still to add after this one
    if (after === 0) {
      lastMember(start, size, bound, maxDays, timeMax);
      return;
    }
    for (let i = start; i <= n - (size - depth); i++) {
      const c = rank[i]!;
      const days = Math.max(maxDays, c.min_days);
      const nextBound = bound + c.bound_cost + w.load * c.load + w.external * c.external;
      const at = i * L;
      for (let l = 0; l < L; l++) have[l]! += stockAt[at + l]!;
      let covered = 0;
      let reachable = 0;
      for (let l = 0; l < L; l++) {
        covered += Math.min(need[l]!, have[l]!);
        if (after > 0)
          reachable += Math.min(need[l]!, have[l]! + lineTop[((i + 1) * L + l) * (K + 1) + after]!);
      }
      const backorderFloor = totalUnits - covered - topSum(i + 1, after);
      const hopeless =
        (tuning.prune !== false && backorderFloor > best.units_backordered) ||
        (backorderFloor === best.units_backordered &&
          limit.best_decides &&
          nextBound + w.delivery_days * days > best.score + SCORE_EPSILON);
      const times = Math.max(timeMax, timeLeast[i]!);
      let beyond = false;
      if (!hopeless && after > 0 && tuning.prune !== false) {
        // Every completion backorders at least this, and scores at least `floorScore`.
        const floor = Math.max(backorderFloor, totalUnits - reachable);
        const floorScore =
          nextBound +
          fixedLow[(i + 1) * (K + 1) + after]! +
          w.delivery_days * Math.max(days, daysLow[i + 1]!);
        beyond =
          floor > best.units_backordered ||
          (floor === best.units_backordered &&
            limit.best_decides &&
            floorScore > best.score + SCORE_EPSILON + BOUND_SLACK);
        beyond ||= dismissed(
          floor,
          nextBound + fixedLow[(i + 1) * (K + 1) + after]! + Math.max(times, timeLow[i + 1]!),
        );
      }
      if (!hopeless && !beyond) {
        chosen[depth++] = i;
        dfs(i + 1, size, nextBound, days, times);
        depth--;
      }
      for (let l = 0; l < L; l++) have[l]! -= stockAt[at + l]!;
      if (exhausted) return;
    }
  };
  for (let size = 1; size <= Math.min(K, n) && !exhausted; size++) {
    if (canPrune && settled() && w.shipments * size > best.score + SCORE_EPSILON) break;
    dfs(0, size, w.shipments * size, 0, 0);
  }

  return assemble(lines, stock, policy, reports, best, second, evaluated, exhausted);
}
