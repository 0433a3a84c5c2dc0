import type { Shipment } from '../sourcing/types.ts';
import type { AllocationRecord, LineRecord, OrderRecord } from './store.ts';

/**
 * Pure bookkeeping between order lines and the stock reserved for them. A line's units are whole
 * products, or whole bundles whose components are reserved separately: a bundle unit counts as
 * allocated only when every component of it is.
 */

/** What one unit of a line is made of: itself, or a bundle's components. */
export type Bom = { sku: string; per: number }[];

export const openUnits = (l: Pick<LineRecord, 'quantity' | 'cancelled' | 'shipped'>) =>
  l.quantity - l.cancelled - l.shipped;

export const allocatedOf = (l: LineRecord, sku: string) =>
  l.allocations.reduce((s, a) => (a.sku === sku ? s + a.quantity : s), 0);

/** The line's counters after its allocations changed: whole units allocated, the rest waiting. */
export function recount(l: LineRecord, bom: Bom): LineRecord {
  const open = openUnits(l);
  const whole = Math.min(...bom.map((c) => Math.floor(allocatedOf(l, c.sku) / c.per)));
  const allocated = Math.min(open, whole);
  return { ...l, allocated, backordered: open - allocated };
}

/** Component units each line still needs reserved, in line order. */
export function needs(lines: readonly LineRecord[], boms: ReadonlyMap<number, Bom>) {
  return lines.flatMap((l) =>
    boms
      .get(l.line_no)!
      .map((c) => ({
        line_no: l.line_no,
        sku: c.sku,
        quantity: Math.max(0, openUnits(l) * c.per - allocatedOf(l, c.sku)),
      }))
      .filter((n) => n.quantity > 0),
  );
}

/** Needs summed per SKU: what the planner is asked for. */
export function needsBySku(list: readonly { sku: string; quantity: number }[]) {
  const total = new Map<string, number>();
  for (const n of list) total.set(n.sku, (total.get(n.sku) ?? 0) + n.quantity);
  return [...total].map(([sku, quantity]) => ({ sku, quantity }));
}

/**
 * Hands a plan's shipped units to the lines that need them, oldest line first, each allocation
 * carrying its shipment's service and dates (the promise for those units).
 */
export function distribute(
  list: readonly { line_no: number; sku: string; quantity: number }[],
  shipments: readonly Shipment[],
  reservationId: string,
  routingNo: number,
): (AllocationRecord & { line_no: number })[] {
  const supply = new Map<string, { shipment: Shipment; left: number }[]>();
  for (const s of shipments) {
    for (const l of s.lines) {
      const queue = supply.get(l.sku) ?? [];
      queue.push({ shipment: s, left: l.quantity });
      supply.set(l.sku, queue);
    }
  }
  const out: (AllocationRecord & { line_no: number })[] = [];
  for (const n of list) {
    let want = n.quantity;
    for (const src of supply.get(n.sku) ?? []) {
      if (want === 0) break;
      const take = Math.min(want, src.left);
      if (take === 0) continue;
      src.left -= take;
      want -= take;
      const s = src.shipment;
      const prev = out.find(
        (a) => a.line_no === n.line_no && a.sku === n.sku && a.location_id === s.location_id,
      );
      if (prev) prev.quantity += take;
      else {
        out.push({
          line_no: n.line_no,
          sku: n.sku,
          location_id: s.location_id,
          quantity: take,
          reservation_id: reservationId,
          routing_no: routingNo,
          service_id: s.service_id,
          service_level: s.service_level,
          ship_date: s.ship_date,
          delivery_date: s.delivery_date,
        });
      }
    }
  }
  return out;
}

export type Release = {
  line_no: number;
  sku: string;
  location_id: string;
  reservation_id: string;
  quantity: number;
};

/**
 * The allocations to give back so a line holds no more than `keepUnits` units' worth of each
 * component, newest routing first (the oldest promise is the one kept).
 */
export function excess(l: LineRecord, bom: Bom, keepUnits: number): Release[] {
  const out: Release[] = [];
  for (const c of bom) {
    let over = allocatedOf(l, c.sku) - keepUnits * c.per;
    const mine = l.allocations
      .filter((a) => a.sku === c.sku && a.quantity > 0)
      .sort((a, b) => b.routing_no - a.routing_no);
    for (const a of mine) {
      if (over <= 0) break;
      const take = Math.min(over, a.quantity);
      out.push({
        line_no: l.line_no,
        sku: a.sku,
        location_id: a.location_id,
        reservation_id: a.reservation_id,
        quantity: take,
      });
      over -= take;
    }
  }
  return out;
}

/** The line with `releases` taken off its allocations (rows that reach zero are dropped). */
export function withoutReleases(l: LineRecord, releases: readonly Release[]): LineRecord {
  const allocations = l.allocations
    .map((a) => {
      const off = releases
        .filter(
          (r) =>
            r.line_no === l.line_no &&
            r.sku === a.sku &&
            r.location_id === a.location_id &&
            r.reservation_id === a.reservation_id,
        )
        .reduce((s, r) => s + r.quantity, 0);
      return { ...a, quantity: a.quantity - off };
    })
    .filter((a) => a.quantity > 0);
  return { ...l, allocations };
}

/** Fields that follow from the allocations: where the order is, and the date it is promised for. */
export function derived(o: OrderRecord): Pick<OrderRecord, 'location_ids' | 'promised_delivery_date'> {
  const live = o.lines.flatMap((l) => l.allocations).filter((a) => a.quantity > 0);
  const shippedSomething = o.lines.some((l) => l.shipped > 0);
  const locations = new Set([...(shippedSomething ? o.location_ids : []), ...live.map((a) => a.location_id)]);
  const dates = live.map((a) => a.delivery_date).sort();
  return { location_ids: [...locations].sort(), promised_delivery_date: dates.at(-1) ?? null };
}
