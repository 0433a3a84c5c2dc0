import { localDateTime } from '../network/calendar.ts';
import { billableWeightLb, DEFAULT_DIM_DIVISOR, rateFor, transitDaysFor } from '../network/rates.ts';
import { type SnapshotLocation, servesDestination, zoneInSnapshot } from '../network/snapshot.ts';
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
import { daysBetween, deliveryDate, type ShipSlot, shipInstant } from './promise.ts';
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

function compareOptions(a: Option, b: Option): number {
  const score = Math.abs(a.score - b.score) > SCORE_EPSILON ? a.score - b.score : 0;
  return (
    a.units_backordered - b.units_backordered ||
    a.units_dropship - b.units_dropship ||
    score ||
    compareIds(
      a.set.map((c) => c.location.location_id),
      b.set.map((c) => c.location.location_id),
    )
  );
}

function compareIds(a: string[], b: string[]): number {
  const x = [...a].sort().join('\u0000');
  const y = [...b].sort().join('\u0000');
  return x < y ? -1 : x > y ? 1 : 0;
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
  const sellable = (sku: string, locationId: string) => Math.max(0, stock.sellable[sku]?.[locationId] ?? 0);
  const capOf = (sku: string) => Math.max(0, stock.channel_caps?.[sku] ?? Number.POSITIVE_INFINITY);

  // ── candidates ──────────────────────────────────────────────────────────────────────────────
  const reports: CandidateReport[] = [];
  const candidates: Candidate[] = [];
  // Many locations share a calendar and time zone, and every location shares the services.
  const slots = new Map<string, ShipSlot | undefined>();
  const todays = new Map<string, string>();
  const deliveries = new Map<string, string | undefined>();
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
    const zone = zoneInSnapshot(location, order.destination.postal_code)?.zone;
    if (zone === undefined) {
      exclude(location, 'no_zone');
      continue;
    }
    const slotKey = JSON.stringify([
      location.time_zone,
      location.cutoffs,
      location.processing_days,
      location.holiday_calendar,
    ]);
    if (!slots.has(slotKey)) slots.set(slotKey, shipInstant(location, now));
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
    if (!lines.some((l) => sellable(l.sku, location.location_id) > 0 && capOf(l.sku) > 0)) {
      exclude(location, 'no_stock');
      continue;
    }
    let today = todays.get(location.time_zone);
    if (today === undefined) {
      today = localDateTime(now, location.time_zone).date;
      todays.set(location.time_zone, today);
    }
    const options: ServiceOption[] = [];
    for (const service of services) {
      if (!service.active || transitDaysFor(service, zone) > LEVEL_TRANSIT_DAYS_MAX[order.service_level])
        continue;
      const deliveryKey = `${service.service_id}|${slot.ship_date}|${zone}`;
      if (!deliveries.has(deliveryKey))
        deliveries.set(deliveryKey, deliveryDate(service, slot.ship_date, zone));
      const delivery = deliveries.get(deliveryKey);
      if (!delivery) continue;
      options.push({ service, delivery_date: delivery, delivery_days: daysBetween(today, delivery) });
    }
    if (options.length === 0) {
      exclude(location, 'no_service_for_level');
      continue;
    }
    const minRate = Math.min(
      ...options.flatMap((o) => o.service.rate_table.map((b) => b.rates_by_zone[`${zone}`])),
    );
    candidates.push({
      index: candidates.length,
      location,
      tier: location.inventory_type === 'dropship' ? 1 : 0,
      zone,
      slot,
      services: options,
      stock: lines.map((l) => sellable(l.sku, location.location_id)),
      min_days: Math.min(...options.map((o) => o.delivery_days)),
      bound_cost: w.shipping_cost * minRate + w.location_cost * location.fulfillment_cost.per_order,
      load: capacity === null ? 0 : load / capacity,
      external: network.external_scores?.[location.location_id] ?? 0,
    });
  }

  // What the order may take of each line: its quantity within the channel pool.
  const needs = lines.map((l) => Math.min(l.quantity, capOf(l.sku)));

  // ── one shipment: the best service for what a location sends ───────────────────────────────
  const shipmentCache = new Map<string, Omit<Shipment, 'lines' | 'location_id' | 'inventory_type'> | null>();
  const shipmentFor = (c: Candidate, actual_lb: number, volume_in3: number) => {
    const key = `${c.index}|${actual_lb}|${volume_in3}`;
    const hit = shipmentCache.get(key);
    if (hit !== undefined) return hit;
    let best: Omit<Shipment, 'lines' | 'location_id' | 'inventory_type'> | null = null;
    let bestKey = Number.POSITIVE_INFINITY;
    for (const o of c.services) {
      const divisor = o.service.dim_divisor || DEFAULT_DIM_DIVISOR;
      const billable = billableWeightLb(Math.max(actual_lb, volume_in3 / divisor));
      const cost = rateFor(o.service, c.zone, billable);
      if (cost === undefined) continue;
      if (policy.cost_ceiling !== null && cost > policy.cost_ceiling) continue;
      const k = w.delivery_days * o.delivery_days + w.shipping_cost * cost;
      // Services are sorted by id, so strict < keeps the first of equals.
      if (k < bestKey) {
        bestKey = k;
        best = {
          service_id: o.service.service_id,
          carrier_code: o.service.carrier_code,
          service_level: o.service.service_level,
          zone: c.zone,
          billable_weight_lb: billable,
          cost,
          currency: o.service.currency,
          ship_date: c.slot.ship_date,
          cutoff_at: c.slot.cutoff_at,
          delivery_date: o.delivery_date,
          delivery_days: o.delivery_days,
        };
      }
    }
    shipmentCache.set(key, best);
    return best;
  };

  // ── one option: fill each line from the set's locations in rank order ───────────────────────
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
  const alone = new Map<Candidate, Option | null>();
  for (const c of candidates) alone.set(c, evaluate([c]));
  const rank = [...candidates].sort(
    (a, b) =>
      a.tier - b.tier ||
      (alone.get(a)?.score ?? Number.POSITIVE_INFINITY) - (alone.get(b)?.score ?? Number.POSITIVE_INFINITY) ||
      (a.location.location_id < b.location.location_id ? -1 : 1),
  );
  const position = new Map(rank.map((c, i) => [c, i]));
  for (const c of candidates) {
    const o = alone.get(c);
    reports.push({
      location_id: c.location.location_id,
      status: 'candidate',
      tier: c.tier === 0 ? 'owned' : 'dropship',
      coverable_units: o ? lines.reduce((s, l) => s + (o.taken[0]!.get(l.sku) ?? 0), 0) : 0,
      terms: o?.terms ?? null,
      score: o?.score ?? null,
    });
  }
  reports.sort(byId((r) => r.location_id));

  // ── search ──────────────────────────────────────────────────────────────────────────────────
  let evaluated = 0;
  let exhausted = false;
  const empty = evaluate([]) as Option;
  let best: Option = empty;
  let second: Option | null = null;
  const seen = new Set<string>();
  const consider = (set: Candidate[]) => {
    const ordered = [...set].sort((a, b) => position.get(a)! - position.get(b)!);
    const key = ordered.map((c) => c.index).join(',');
    if (seen.has(key)) return;
    seen.add(key);
    evaluated++;
    const o = ordered.length === 1 ? (alone.get(ordered[0]!) ?? null) : evaluate(ordered);
    if (!o) return;
    if (compareOptions(o, best) < 0) {
      second = best;
      best = o;
    } else if (!second || compareOptions(o, second) < 0) second = o;
  };

  // The least any option can backorder or take from drop-ship suppliers: reaching both lets
  // the search prune on score alone.
  const floorBackorder = lines.reduce(
    (s, l) =>
      s +
      l.quantity -
      Math.min(
        l.quantity,
        capOf(l.sku),
        candidates.reduce((t, c) => t + sellable(l.sku, c.location.location_id), 0),
      ),
    0,
  );
  const ownCover = lines.reduce(
    (s, l) =>
      s +
      Math.min(
        l.quantity,
        capOf(l.sku),
        candidates
          .filter((c) => c.tier === 0)
          .reduce((t, c) => t + sellable(l.sku, c.location.location_id), 0),
      ),
    0,
  );
  const totalUnits = lines.reduce((s, l) => s + l.quantity, 0);
  const floorDropship = totalUnits - floorBackorder - ownCover;
  const canPrune =
    tuning.prune !== false &&
    Object.values(w).every((x) => x >= 0) &&
    candidates.every((c) => c.external >= 0 && c.bound_cost >= 0);
  const settled = () => best.units_backordered === floorBackorder && best.units_dropship === floorDropship;

  // Greedy first, so a plan exists however small the budget: add the location covering most of
  // what is still missing, best-ranked first on a tie.
  const greedy: Candidate[] = [];
  while (greedy.length < policy.max_shipments) {
    let pick: Candidate | undefined;
    let pickGain = 0;
    const before = evaluate(greedy) ?? empty;
    for (const c of rank) {
      if (greedy.includes(c)) continue;
      const after = evaluate([...greedy, c]);
      const gain = after ? before.units_backordered - after.units_backordered : 0;
      if (gain > pickGain) {
        pick = c;
        pickGain = gain;
      }
    }
    if (!pick) break;
    greedy.push(pick);
    consider(greedy);
  }

  // Every location alone is already evaluated (for the ranking); offering them all gives the
  // explanation a runner-up even when pruning skips the rest.
  for (const c of rank) consider([c]);

  // For pruning on coverage: the most units r more locations from rank[i..] could add is the sum
  // of the r largest single contributions there (overlaps ignored, so it never understates).
  const K = policy.max_shipments;
  const contribution = rank.map((c) => needs.reduce((s, n, l) => s + Math.min(n, c.stock[l]!), 0));
  const topFrom: number[][] = Array.from({ length: rank.length + 1 }, () => []);
  for (let i = rank.length - 1; i >= 0; i--) {
    const top = [contribution[i]!, ...topFrom[i + 1]!].sort((a, b) => b - a).slice(0, K);
    topFrom[i] = top;
  }
  const topSum = (i: number, r: number) => topFrom[i]!.slice(0, r).reduce((s, x) => s + x, 0);
  const have = lines.map(() => 0);
  const coveredNow = () => needs.reduce((s, n, l) => s + Math.min(n, have[l]!), 0);
  // Score alone decides between options that backorder as few units as the best (see compareOptions).
  const scoreDecides = () => canPrune && (best.units_dropship === 0 || settled());

  // Exact search, smallest sets first, so the fewest-shipment option is met before the budget runs out.
  const chosen: Candidate[] = [];
  const dfs = (start: number, size: number, bound: number, maxDays: number): void => {
    if (exhausted) return;
    if (chosen.length === size) {
      if (evaluated >= policy.search_budget) {
        exhausted = true;
        return;
      }
      consider(chosen);
      return;
    }
    for (let i = start; i <= rank.length - (size - chosen.length); i++) {
      const c = rank[i]!;
      const days = Math.max(maxDays, c.min_days);
      const nextBound = bound + c.bound_cost + w.load * c.load + w.external * c.external;
      for (let l = 0; l < lines.length; l++) have[l]! += c.stock[l]!;
      const backorderFloor = totalUnits - coveredNow() - topSum(i + 1, size - chosen.length - 1);
      const hopeless =
        (tuning.prune !== false && backorderFloor > best.units_backordered) ||
        (backorderFloor === best.units_backordered &&
          scoreDecides() &&
          nextBound + w.delivery_days * days > best.score + SCORE_EPSILON);
      if (!hopeless) {
        chosen.push(c);
        dfs(i + 1, size, nextBound, days);
        chosen.pop();
      }
      for (let l = 0; l < lines.length; l++) have[l]! -= c.stock[l]!;
      if (exhausted) return;
    }
  };
  for (let size = 1; size <= Math.min(policy.max_shipments, rank.length) && !exhausted; size++) {
    if (canPrune && settled() && w.shipments * size > best.score + SCORE_EPSILON) break;
    dfs(0, size, w.shipments * size, 0);
  }

  return assemble(lines, stock, policy, reports, best, second, evaluated, exhausted);
}
