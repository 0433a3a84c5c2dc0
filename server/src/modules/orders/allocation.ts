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

const sumOf = (l: LineRecord, sku: string, k: 'quantity' | 'shipped' | 'delivered') =>
  l.allocations.reduce((s, a) => (a.sku === sku ? s + a[k] : s), 0);

/** Component units of `sku` still reserved for the line. */
export const allocatedOf = (l: LineRecord, sku: string) => sumOf(l, sku, 'quantity');

/**
 * The line's counters after its allocations changed. A unit has shipped (or been delivered) when
 * every component of it has; a unit is allocated when every component not yet sent is reserved.
 * The rest of the open units wait.
 */
export function recount(l: LineRecord, bom: Bom): LineRecord {
  const whole = (k: 'shipped' | 'delivered') =>
    Math.min(...bom.map((c) => Math.floor(sumOf(l, c.sku, k) / c.per)));
  const shipped = Math.min(l.quantity - l.cancelled, whole('shipped'));
  const delivered = Math.min(shipped, whole('delivered'));
  // Components sent ahead of their unit's other components still count towards allocating it.
  const sentAhead = (c: Bom[number]) => sumOf(l, c.sku, 'shipped') - shipped * c.per;
  const open = l.quantity - l.cancelled - shipped;
  const held = Math.min(...bom.map((c) => Math.floor((allocatedOf(l, c.sku) + sentAhead(c)) / c.per)));
  const allocated = Math.min(open, held);
  return { ...l, shipped, delivered, allocated, backordered: open - allocated };
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
          shipped: 0,
          delivered: 0,
          fulfillment_order_id: null,
          picked: false,
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
 * component, newest routing first (the oldest promise is the one kept). Picked units are never
 * given back: when they are what is left over, the result falls short (see `stillOver`).
 */
export function excess(l: LineRecord, bom: Bom, keepUnits: number): Release[] {
  const out: Release[] = [];
  for (const c of bom) {
    let over = allocatedOf(l, c.sku) - keepUnits * c.per;
    const mine = l.allocations
      .filter((a) => a.sku === c.sku && a.quantity > 0 && !a.picked)
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

/** Component units the line would still hold beyond `keepUnits` units after `releases`. */
export function stillOver(l: LineRecord, bom: Bom, keepUnits: number, releases: readonly Release[]) {
  return bom.reduce((over, c) => {
    const released = releases.filter((r) => r.line_no === l.line_no && r.sku === c.sku);
    const left = allocatedOf(l, c.sku) - released.reduce((s, r) => s + r.quantity, 0);
    return over + Math.max(0, left - keepUnits * c.per);
  }, 0);
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
    .filter((a) => a.quantity > 0 || a.shipped > 0);
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
