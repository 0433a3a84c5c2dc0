import type { Zone } from '../network/geo.ts';
import { billableWeightLb, DEFAULT_DIM_DIVISOR } from '../network/rates.ts';
import type { SnapshotService } from '../network/snapshot.ts';
import type { Candidate, Line, Option, ServiceOption } from './plan-result.ts';
import { type SourcingPolicy, type Weights, weightedScore } from './policy.ts';
import type { ScoreTerms, Shipment } from './types.ts';

/**
 * Pricing what a candidate location sends: the best service for a parcel, a whole option (a set
 * of locations filled line by line in set order) and each location alone.
 */

const billable = billableWeightLb; // read once; the search calls it for every parcel it prices

// Zero terms but the shipments, as a literal (a spread of a constant is slower); the key order
// is the order of the terms in the JSON.
const newTerms = (shipments: number): ScoreTerms => ({
  delivery_days: 0,
  shipping_cost: 0,
  shipments,
  location_cost: 0,
  load: 0,
  external: 0,
});

/** One member's shipment in the terms: the slowest delivery, and its share of every sum. */
function addMember(terms: ScoreTerms, c: Candidate, units: number, delivery_days: number, cost: number) {
  terms.delivery_days = Math.max(terms.delivery_days, delivery_days);
  terms.shipping_cost += cost;
  terms.location_cost += c.location.fulfillment_cost.per_order + units * c.location.fulfillment_cost.per_unit;
  terms.load += c.load;
  terms.external += c.external;
}

type RateTable = { max_lb: number[]; rates: (number | undefined)[] };
type RateTables = Map<SnapshotService, RateTable[]>;

/** A service's weight brackets and their rates to `zone`, kept in `tables` by service and zone. */
function rateTable(tables: RateTables, service: SnapshotService, zone: number): RateTable {
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
}

/** A candidate's service priced for its zone, as plain numbers. */
export type PricedService = {
  option: ServiceOption;
  divisor: number;
  max_lb: number[];
  rates: (number | undefined)[];
};

/** A location alone, as `evaluate([c])` would score it, without building the option. */
export type Alone = Pick<Option, 'units_backordered' | 'units_dropship' | 'terms' | 'score'> & {
  units: number;
};

export class Pricer {
  /** Per candidate index: its services priced for its zone. */
  readonly priced: PricedService[][];
  /** The billable weight and cost of the service `pickService` last chose. */
  pickedBillable = 0;
  pickedCost = 0;
  private readonly w: Weights;
  private readonly costCeiling: number | null;

  constructor(
    candidates: readonly Candidate[],
    private readonly lines: readonly Line[],
    private readonly needs: readonly number[],
    policy: SourcingPolicy,
    /** Pricing kept between plans by options array (a NetworkCache's); none: per plan. */
    shared?: WeakMap<readonly ServiceOption[], PricedService[]>,
  ) {
    this.w = policy.weights;
    this.costCeiling = policy.cost_ceiling;
    // Each candidate's services priced for its zone once: the search prices a parcel for every
    // option it scores, thousands of times for one order.
    const tables: RateTables = new Map();
    // Candidates with the same options (same ship date and zone) share them, and their pricing.
    const byOptions = shared ?? new Map<readonly ServiceOption[], PricedService[]>();
    this.priced = candidates.map((c) => {
      let priced = byOptions.get(c.services);
      if (!priced) {
        priced = c.services.map((o): PricedService => {
          const table = rateTable(tables, o.service, c.zone);
          return {
            option: o,
            divisor: o.service.dim_divisor || DEFAULT_DIM_DIVISOR,
            max_lb: table.max_lb,
            rates: table.rates,
          };
        });
        byOptions.set(c.services, priced);
      }
      return priced;
    });
  }

  /** Index into `priced[c.index]` of the best service for a parcel, or -1 if none takes it. */
  pickService(c: Candidate, actual_lb: number, volume_in3: number): number {
    const options = this.priced[c.index]!;
    const w = this.w;
    let best = -1;
    let bestKey = Number.POSITIVE_INFINITY;
    // The billable weight depends on the service's divisor only, which services mostly share.
    let divisor = Number.NaN;
    let lb = 0;
    for (let k = 0; k < options.length; k++) {
      const p = options[k]!;
      if (p.divisor !== divisor) {
        divisor = p.divisor;
        lb = billable(Math.max(actual_lb, volume_in3 / divisor));
      }
      // As rateFor: the first bracket the weight fits, undefined beyond the last.
      let cost: number | undefined;
      for (let b = 0; b < p.max_lb.length; b++) {
        if (lb <= p.max_lb[b]!) {
          cost = p.rates[b];
          break;
        }
      }
      if (cost === undefined) continue;
      if (this.costCeiling !== null && cost > this.costCeiling) continue;
      const key = w.delivery_days * p.option.delivery_days + w.shipping_cost * cost;
      // Services are sorted by id, so strict < keeps the first of equals.
      if (key < bestKey) {
        bestKey = key;
        best = k;
        this.pickedBillable = lb;
        this.pickedCost = cost;
      }
    }
    return best;
  }

  /**
   * The whole option of a set (shipments, what each member takes), each line filled from the
   * members in set order; null if a member would send nothing or no service takes a parcel.
   * The search only builds the options it keeps, and scores the rest with plain arithmetic.
   */
  evaluate(set: Candidate[]): Option | null {
    const lines = this.lines;
    const taken = set.map(() => new Map<string, number>());
    let backordered = 0;
    let dropship = 0;
    for (let l = 0; l < lines.length; l++) {
      const line = lines[l]!;
      let need = this.needs[l]!;
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
    const terms = newTerms(set.length);
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
      const k = this.pickService(c, actual, volume);
      if (k < 0) return null;
      const o = this.priced[c.index]![k]!.option;
      // One literal, in the order of the plan's JSON (a spread of a second object costs more).
      const s: Shipment = {
        location_id: c.location.location_id,
        inventory_type: c.location.inventory_type,
        lines: shipLines,
        service_id: o.service.service_id,
        carrier_code: o.service.carrier_code,
        service_level: o.service.service_level,
        zone: c.zone,
        billable_weight_lb: this.pickedBillable,
        cost: this.pickedCost,
        currency: o.service.currency,
        ship_date: c.slot.ship_date,
        cutoff_at: c.slot.cutoff_at,
        delivery_date: o.delivery_date,
        delivery_days: o.delivery_days,
      };
      shipments.push(s);
      addMember(terms, c, units, s.delivery_days, s.cost);
    }
    return {
      set,
      shipments,
      taken,
      units_backordered: backordered,
      units_dropship: dropship,
      terms,
      score: weightedScore(terms, this.w),
    };
  }

  /** A location shipping alone, as `evaluate([c])` would score it; null where that gives null. */
  alone(c: Candidate): Alone | null {
    const lines = this.lines;
    let backordered = 0;
    let dropship = 0;
    let actual = 0;
    let volume = 0;
    let units = 0;
    let sends = false;
    for (let l = 0; l < lines.length; l++) {
      const line = lines[l]!;
      let need = this.needs[l]!;
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
    const k = this.pickService(c, actual, volume);
    if (k < 0) return null;
    const terms = newTerms(1);
    addMember(terms, c, units, this.priced[c.index]![k]!.option.delivery_days, this.pickedCost);
    return {
      units_backordered: backordered,
      units_dropship: dropship,
      terms,
      score: weightedScore(terms, this.w),
      units,
    };
  }
}
