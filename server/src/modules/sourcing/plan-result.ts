import type { Zone } from '../network/geo.ts';
import type { SnapshotLocation, SnapshotService } from '../network/snapshot.ts';
import { promiseText, type ShipSlot } from './promise.ts';
import type {
  LineSource,
  Plan,
  PlanWithoutExplanation,
  ScoreTerms,
  Shipment,
  StockSnapshot,
} from './types.ts';

/** The planner's working shapes, and how its winning option becomes a plan. */

export type Line = { sku: string; quantity: number; weight_lb: number; volume_in3: number };

export type ServiceOption = {
  service: SnapshotService;
  delivery_date: string;
  delivery_days: number;
};

export type Candidate = {
  index: number;
  location: SnapshotLocation;
  tier: 0 | 1;
  zone: Zone;
  slot: ShipSlot;
  /** Shared by the candidates with the same local day, ship date and zone: read only. */
  services: readonly ServiceOption[];
  /** Sellable units per order line (same order as the lines), read once. */
  stock: number[];
  /** Lower bounds of this location's contribution to a score, for pruning. */
  min_days: number;
  bound_cost: number;
  load: number;
  external: number;
};

export type Option = {
  set: Candidate[];
  shipments: Shipment[];
  taken: Map<string, number>[]; // per set member: sku → units
  units_backordered: number;
  units_dropship: number;
  terms: ScoreTerms;
  score: number;
};

export const byId =
  <T>(key: (t: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

/**
 * What the customer is told: the last shipment's delivery date, held only if the order is
 * placed before the earliest cut-off among the shipping locations.
 */
function promiseOf(best: Option): Plan['promise'] {
  if (best.shipments.length === 0) return null;
  const delivery = best.shipments
    .map((s) => s.delivery_date)
    .sort()
    .at(-1)!;
  const first = [...best.set].sort((a, b) => a.slot.countdown_ms - b.slot.countdown_ms)[0]!.slot;
  return {
    delivery_date: delivery,
    cutoff_at: first.cutoff_at,
    countdown_ms: first.countdown_ms,
    text: promiseText(first, delivery),
  };
}

/** The plan of the winning option: where each line's units come from, its shipments and promise. */
export function assemble(lines: Line[], stock: StockSnapshot, best: Option): PlanWithoutExplanation {
  const incomingLeft = new Map<string, { location_id: string; quantity: number; expected_date: string }[]>();
  const planLines: Plan['lines'] = [];
  const backorders: Plan['backorders'] = [];
  const preOrders: Plan['pre_orders'] = [];
  for (const line of lines) {
    const sources: LineSource[] = [];
    let left = line.quantity;
    best.set.forEach((c, i) => {
      const q = best.taken[i]!.get(line.sku);
      if (!q) return;
      sources.push({ kind: 'shipment', location_id: c.location.location_id, quantity: q });
      left -= q;
    });
    if (left > 0) {
      let incoming = incomingLeft.get(line.sku);
      if (!incoming) {
        incoming = [...(stock.incoming?.[line.sku] ?? [])]
          .map((x) => ({ ...x }))
          .sort((a, b) =>
            a.expected_date < b.expected_date
              ? -1
              : a.expected_date > b.expected_date
                ? 1
                : a.location_id < b.location_id
                  ? -1
                  : 1,
          );
        incomingLeft.set(line.sku, incoming);
      }
      for (const inc of incoming) {
        if (left === 0) break;
        const q = Math.min(left, Math.max(0, inc.quantity));
        if (q === 0) continue;
        inc.quantity -= q;
        left -= q;
        sources.push({
          kind: 'pre_order',
          location_id: inc.location_id,
          quantity: q,
          expected_date: inc.expected_date,
        });
        preOrders.push({
          sku: line.sku,
          location_id: inc.location_id,
          quantity: q,
          expected_date: inc.expected_date,
        });
      }
    }
    if (left > 0) {
      sources.push({ kind: 'backorder', quantity: left });
      backorders.push({ sku: line.sku, quantity: left });
    }
    planLines.push({ sku: line.sku, quantity: line.quantity, sources });
  }
  return {
    lines: planLines,
    shipments: [...best.shipments].sort(byId((s) => s.location_id)),
    backorders,
    pre_orders: preOrders,
    promise: promiseOf(best),
    terms: best.terms,
    score: best.score,
  };
}
