import { haversineMiles, type Point, type Zone, zoneForDistance } from '../network/geo.ts';

/**
 * The rebalance planner: pure, so the route, the simulator and the property tests share it.
 *
 * For each SKU a location's demand is its sales velocity times the SKU's seasonal factor; its
 * target stock is `ceil(demand × target_days)`. Stock above the target is surplus, stock below is
 * a deficit. Deficits are filled, most urgent first (fewest days of cover), from the cheapest
 * source with surplus. A transfer never takes more than the source's surplus (so no source falls
 * below its target because of it), never fills a destination beyond its storage capacity, and is
 * dropped when its freight costs more than `max_cost_share` of the goods' value.
 */

export type RebalanceLocation = {
  location_id: string;
  /** Where freight distances are measured from (the location's zone origin). */
  point: Point;
  /** Total units of all SKUs the location can hold; no limit when absent. */
  storage_capacity_units?: number | undefined;
  /** Units of SKUs not in `stock` that also take room at the location. */
  other_units?: number | undefined;
};

export type RebalanceStock = {
  sku: string;
  location_id: string;
  /** Sellable units on hand now. */
  on_hand: number;
  /** Units sold per day from this location over the window. */
  velocity_per_day: number;
};

export type RebalanceInput = {
  locations: readonly RebalanceLocation[];
  stock: readonly RebalanceStock[];
  /** Value of one unit (unit cost), per SKU; a SKU without one is worth 0 and never moved. */
  unit_values: Readonly<Record<string, number>>;
  /** Expected demand ÷ recent velocity, per SKU; 1 when absent. */
  seasonal_factors?: Readonly<Record<string, number>> | undefined;
  /** Freight per unit by zone between the two locations; DEFAULT_TRANSFER_RATES when absent. */
  transfer_rates?: Readonly<Record<Zone, number>> | undefined;
};

export type RebalanceOptions = {
  target_days: number;
  max_cost_share: number;
  min_transfer_units: number;
};

export const DEFAULT_REBALANCE_OPTIONS: RebalanceOptions = {
  target_days: 14,
  max_cost_share: 0.25,
  min_transfer_units: 1,
};

/**
 * Freight per unit moved between two of our locations, by the zone of the distance between them:
 * a rough consolidated (LTL) rate, far cheaper per unit than a parcel to a customer.
 */
export const DEFAULT_TRANSFER_RATES: Readonly<Record<Zone, number>> = {
  1: 0.3,
  2: 0.45,
  3: 0.6,
  4: 0.8,
  5: 1.0,
  6: 1.2,
  7: 1.4,
  8: 1.7,
};

export type ProposedTransfer = {
  sku: string;
  from_location_id: string;
  to_location_id: string;
  quantity: number;
  zone: Zone;
  cost_per_unit: number;
  cost: number;
  goods_value: number;
  reason: string;
};

export type SkippedTransfer = {
  sku: string;
  from_location_id: string;
  to_location_id: string;
  quantity: number;
  code: 'cost_exceeds_share' | 'below_min_transfer' | 'no_capacity';
  reason: string;
};

export type LocationEffect = {
  location_id: string;
  demand_per_day: number;
  target_units: number;
  on_hand_before: number;
  on_hand_after: number;
  /** on hand ÷ demand per day; null when the location has no demand (any stock lasts forever). */
  days_of_cover_before: number | null;
  days_of_cover_after: number | null;
};

export type SkuEffect = {
  sku: string;
  demand_per_day: number;
  /** Share of the SKU's demand at locations holding at least target_days of cover; 1 when no demand. */
  coverage_before: number;
  coverage_after: number;
  locations: LocationEffect[];
};

export type RebalancePlan = {
  transfers: ProposedTransfer[];
  skipped: SkippedTransfer[];
  effect: {
    /** Demand-weighted coverage over all SKUs (the same definition as each SKU's). */
    coverage_before: number;
    coverage_after: number;
    units_moved: number;
    total_cost: number;
    skus: SkuEffect[];
  };
};

const round2 = (n: number) => Math.round(n * 100) / 100;
const round4 = (n: number) => Math.round(n * 10_000) / 10_000;
const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
// Demand is a product of floats; a hair over an integer must not add a whole unit of target.
const EPSILON = 1e-9;

export function targetUnits(demandPerDay: number, targetDays: number): number {
  return Math.max(0, Math.ceil(demandPerDay * targetDays - EPSILON));
}

export function transferZone(from: Point, to: Point): Zone {
  return zoneForDistance(haversineMiles(from, to));
}

type Cell = { location_id: string; on_hand: number; demand: number; target: number; after: number };

export function rebalancePlan(input: RebalanceInput, options: RebalanceOptions): RebalancePlan {
  const rates = input.transfer_rates ?? DEFAULT_TRANSFER_RATES;
  const locations = [...input.locations].sort((a, b) => byString(a.location_id, b.location_id));
  const known = new Map(locations.map((l) => [l.location_id, l]));

  // Capacity is shared by every SKU; units leaving a location do not free room, because the
  // transfers may arrive before the ones leaving have gone.
  const room = new Map<string, number>();
  for (const l of locations) {
    if (l.storage_capacity_units === undefined) continue;
    const held = input.stock
      .filter((s) => s.location_id === l.location_id)
      .reduce((sum, s) => sum + s.on_hand, l.other_units ?? 0);
    room.set(l.location_id, Math.max(0, l.storage_capacity_units - held));
  }

  const bySku = new Map<string, Map<string, RebalanceStock>>();
  for (const s of input.stock) {
    if (!known.has(s.location_id)) continue;
    const cells = bySku.get(s.sku) ?? new Map<string, RebalanceStock>();
    const prior = cells.get(s.location_id);
    cells.set(
      s.location_id,
      prior
        ? {
            ...s,
            on_hand: prior.on_hand + s.on_hand,
            velocity_per_day: prior.velocity_per_day + s.velocity_per_day,
          }
        : s,
    );
    bySku.set(s.sku, cells);
  }

  const transfers: ProposedTransfer[] = [];
  const skipped: SkippedTransfer[] = [];
  const skus: SkuEffect[] = [];

  for (const sku of [...bySku.keys()].sort(byString)) {
    const rows = bySku.get(sku)!;
    const factor = input.seasonal_factors?.[sku] ?? 1;
    const value = input.unit_values[sku] ?? 0;
    const cells: Cell[] = locations.map((l) => {
      const row = rows.get(l.location_id);
      const demand = Math.max(0, (row?.velocity_per_day ?? 0) * factor);
      const onHand = Math.max(0, Math.floor(row?.on_hand ?? 0));
      return {
        location_id: l.location_id,
        on_hand: onHand,
        demand,
        target: targetUnits(demand, options.target_days),
        after: onHand,
      };
    });
    const surplus = (c: Cell) => Math.max(0, c.after - c.target);
    const deficit = (c: Cell) => Math.max(0, c.target - c.after);
    const cover = (c: Cell, units: number) => (c.demand > 0 ? units / c.demand : Number.POSITIVE_INFINITY);

    // Most urgent first: the fewest days of cover, then the larger deficit, then the id.
    const needing = cells
      .filter((c) => deficit(c) > 0)
      .sort(
        (a, b) =>
          cover(a, a.on_hand) - cover(b, b.on_hand) ||
          deficit(b) - deficit(a) ||
          byString(a.location_id, b.location_id),
      );
    for (const dest of needing) {
      const destPoint = known.get(dest.location_id)!.point;
      const sources = cells
        .filter((c) => c !== dest && surplus(c) > 0)
        .map((c) => {
          const zone = transferZone(known.get(c.location_id)!.point, destPoint);
          return { cell: c, zone, rate: rates[zone] };
        })
        // Cheapest freight first, then the larger surplus, then the id.
        .sort(
          (a, b) =>
            a.rate - b.rate ||
            surplus(b.cell) - surplus(a.cell) ||
            byString(a.cell.location_id, b.cell.location_id),
        );
      for (const { cell: src, zone, rate } of sources) {
        const want = Math.min(surplus(src), deficit(dest));
        if (want <= 0) break;
        const base = {
          sku,
          from_location_id: src.location_id,
          to_location_id: dest.location_id,
        };
        if (rate > options.max_cost_share * value) {
          skipped.push({
            ...base,
            quantity: want,
            code: 'cost_exceeds_share',
            reason:
              `Freight of ${rate.toFixed(2)} a unit (zone ${zone}) is more than ` +
              `${Math.round(options.max_cost_share * 100)}% of the unit value ${value.toFixed(2)}.`,
          });
          continue;
        }
        const free = room.get(dest.location_id) ?? Number.POSITIVE_INFINITY;
        const quantity = Math.min(want, free);
        if (quantity <= 0) {
          skipped.push({
            ...base,
            quantity: want,
            code: 'no_capacity',
            reason: `${dest.location_id} has no storage room left.`,
          });
          break;
        }
        if (quantity < options.min_transfer_units) {
          skipped.push({
            ...base,
            quantity,
            code: 'below_min_transfer',
            reason: `${quantity} units is below the minimum transfer of ${options.min_transfer_units}.`,
          });
          continue;
        }
        const surplusBefore = surplus(src);
        const destCover = cover(dest, dest.after);
        src.after -= quantity;
        dest.after += quantity;
        if (room.has(dest.location_id)) room.set(dest.location_id, free - quantity);
        transfers.push({
          ...base,
          quantity,
          zone,
          cost_per_unit: rate,
          cost: round2(rate * quantity),
          goods_value: round2(value * quantity),
          reason:
            `${src.location_id} holds ${surplusBefore} units above ${options.target_days} days of cover; ` +
            `${dest.location_id} has ${destCover.toFixed(1)} days of cover and needs ${quantity + deficit(dest)}.`,
        });
      }
    }

    const demand = cells.reduce((s, c) => s + c.demand, 0);
    const coverage = (units: (c: Cell) => number) =>
      demand > 0
        ? round4(
            cells.filter((c) => c.demand > 0 && units(c) >= c.target).reduce((s, c) => s + c.demand, 0) /
              demand,
          )
        : 1;
    const days = (c: Cell, units: number) => (c.demand > 0 ? round2(units / c.demand) : null);
    skus.push({
      sku,
      demand_per_day: round4(demand),
      coverage_before: coverage((c) => c.on_hand),
      coverage_after: coverage((c) => c.after),
      locations: cells.map((c) => ({
        location_id: c.location_id,
        demand_per_day: round4(c.demand),
        target_units: c.target,
        on_hand_before: c.on_hand,
        on_hand_after: c.after,
        days_of_cover_before: days(c, c.on_hand),
        days_of_cover_after: days(c, c.after),
      })),
    });
  }

  const totalDemand = skus.reduce((s, k) => s + k.demand_per_day, 0);
  const weighted = (pick: (k: SkuEffect) => number) =>
    totalDemand > 0 ? round4(skus.reduce((s, k) => s + pick(k) * k.demand_per_day, 0) / totalDemand) : 1;
  return {
    transfers,
    skipped,
    effect: {
      coverage_before: weighted((k) => k.coverage_before),
      coverage_after: weighted((k) => k.coverage_after),
      units_moved: transfers.reduce((s, t) => s + t.quantity, 0),
      total_cost: round2(transfers.reduce((s, t) => s + t.cost, 0)),
      skus,
    },
  };
}
