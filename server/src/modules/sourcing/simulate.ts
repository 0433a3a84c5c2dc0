import { addDays, weekdayOf } from '../network/calendar.ts';
import type { Dimensions } from '../network/rates.ts';
import type { SnapshotLocation, SnapshotService } from '../network/snapshot.ts';
import { plan } from './planner.ts';
import { NetworkCache } from './planner-network.ts';
import type { SourcingPolicy } from './policy.ts';
import type { PlanWithoutExplanation, ServiceLevel } from './types.ts';

/**
 * The network simulator: replays orders, oldest first, through the real planner (`plan()`, with
 * each order's timestamp as `now`) against a simulated stock that each plan depletes and a
 * replenishment rule refills, and accumulates a report. Pure: no I/O and no clock except the
 * elapsed time it reports. Orders are fed one at a time (`Simulation.add`), so a caller can stream
 * a file of any length through it; `simulate()` runs an iterable to the end.
 *
 * What is simulated: stock (sellable units per SKU and location), each location's orders per day
 * against its `daily_order_capacity` (a day is the UTC calendar day of the order's timestamp), and
 * replenishment. What is not: transit variance (carriers deliver on the planned date), holds,
 * channel pools, returns, and pre-orders (no incoming stock is known, so units no location holds
 * are backordered and never shipped later).
 */

export type SimulatedOrder = {
  /** ISO 8601 instant the order is placed; orders must come oldest first. */
  at: string;
  postal_code: string;
  /** Default US. */
  country?: string | undefined;
  /** State or province; only needed when a location's service regions list regions. */
  region?: string | undefined;
  /** Default ground. */
  service_level?: ServiceLevel | undefined;
  lines: readonly { sku: string; quantity: number }[];
};

export type SkuInfo = { weight_lb: number; dims_in?: Dimensions | null | undefined };

export type Replenishment = {
  /**
   * Every this many days from the first order's UTC midnight, each (SKU, location) with less than
   * its starting stock is refilled to it. Absent: no periodic refill.
   */
  every_days?: number | undefined;
  /** Units arriving at a location at a moment, applied before the first order placed at or after it. */
  schedule?: readonly { at: string; location_id: string; sku: string; quantity: number }[] | undefined;
};

export type SimulationInput = {
  locations: readonly SnapshotLocation[];
  services: readonly SnapshotService[];
  /** Unit weight and dimensions per SKU; a SKU not listed weighs DEFAULT_WEIGHT_LB. */
  skus: Readonly<Record<string, SkuInfo>>;
  /** sku → location_id → sellable units at the start. */
  stock: Readonly<Record<string, Readonly<Record<string, number>>>>;
  replenishment?: Replenishment | undefined;
  policy: SourcingPolicy;
};

export const DEFAULT_WEIGHT_LB = 1;
/** The delivery target the report measures against. */
export const TARGET_BUSINESS_DAYS = 2;

export type LocationLoad = { location_id: string; orders: number; units: number; share_of_orders: number };

export type SimulationReport = {
  policy: string;
  orders: number;
  units: number;
  /** Share of orders whose promise (the shipped part's last delivery date) is ≤ 2 business days away. */
  promised_within_2_business_days: number;
  /** Share of orders delivered whole (nothing backordered) within 2 business days. */
  delivered_within_2_business_days: number;
  /** Mean zone over all shipments; null when nothing shipped. */
  average_zone: number | null;
  /** Total shipping cost ÷ orders (every order counts, shipped or not), in the services' currency. */
  shipping_cost_per_order: number;
  /** Share of orders with more than one shipment. */
  split_rate: number;
  /** Share of orders with at least one backordered unit. */
  backorder_rate: number;
  units_backordered: number;
  /** Orders with no shipment at all. */
  orders_unshipped: number;
  shipments: number;
  /** Periodic refills and scheduled arrivals applied. */
  replenishments: number;
  locations: LocationLoad[];
  elapsed_ms: number;
  orders_per_second: number;
};

/** Business days (Monday to Friday, holidays not excluded) after `from` up to and including `to`. */
export function businessDaysBetween(from: string, to: string): number {
  let n = 0;
  for (let d = from; d < to; ) {
    d = addDays(d, 1);
    const w = weekdayOf(d);
    if (w !== 'sat' && w !== 'sun') n++;
  }
  return n;
}

/** Business days from the order's local day (at the shipping location) to the shipment's delivery. */
function shipmentBusinessDays(s: PlanWithoutExplanation['shipments'][number]): number {
  return businessDaysBetween(addDays(s.delivery_date, -s.delivery_days), s.delivery_date);
}

// Shipments repeat the same few (delivery date, days) pairs all day; the date walk is done once
// for each. Bounded: cleared when full.
const BUSINESS_DAYS_MEMO_MAX = 10_000;
const businessDaysMemo = new Map<string, number>();
function shipmentBusinessDaysMemo(s: PlanWithoutExplanation['shipments'][number]): number {
  const key = `${s.delivery_date}|${s.delivery_days}`;
  let days = businessDaysMemo.get(key);
  if (days === undefined) {
    days = shipmentBusinessDays(s);
    if (businessDaysMemo.size >= BUSINESS_DAYS_MEMO_MAX) businessDaysMemo.clear();
    businessDaysMemo.set(key, days);
  }
  return days;
}

export class SimulationError extends Error {
  constructor(
    /** 0-based position of the order fed, for the caller to name the line or field. */
    readonly index: number,
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const DAY_MS = 86_400_000;

export class Simulation {
  private readonly stock: Record<string, Record<string, number>>;
  private readonly network: {
    locations: SnapshotLocation[];
    services: SnapshotService[];
    load: Record<string, number>;
  };
  /** What the planner keeps between orders; valid because `network` is a private copy never changed. */
  private readonly cache: NetworkCache;
  private readonly schedule: { t: number; location_id: string; sku: string; quantity: number }[];
  private nextArrival = 0;
  private lastT = Number.NEGATIVE_INFINITY;
  private loadDay = -1;
  private period = -1;
  private startDay = Number.NaN;
  private elapsed = 0;
  private readonly perLocation = new Map<string, { orders: number; units: number }>();
  private readonly t = {
    orders: 0,
    units: 0,
    promised: 0,
    delivered: 0,
    zoneSum: 0,
    shipments: 0,
    cost: 0,
    split: 0,
    backordered: 0,
    unitsBackordered: 0,
    unshipped: 0,
    replenishments: 0,
  };

  constructor(private readonly input: SimulationInput) {
    // Stock cells without a prototype are hash tables to V8: the planner reads every location of
    // every SKU by name, which is faster there than on objects of as many shapes as SKUs.
    this.stock = Object.fromEntries(
      Object.entries(input.stock).map(([sku, at]) => [sku, Object.assign(Object.create(null), at)]),
    );
    // A deep copy of the input's network, so the planner may keep what it derives from it
    // between orders (a caller may change its own objects while the simulation runs).
    this.network = {
      locations: structuredClone([...input.locations]),
      services: structuredClone([...input.services]),
      load: {},
    };
    this.cache = new NetworkCache(this.network.locations, this.network.services);
    this.schedule = (input.replenishment?.schedule ?? [])
      .map((s) => ({ ...s, t: Date.parse(s.at) }))
      .sort((a, b) => a.t - b.t);
    for (const l of input.locations) this.perLocation.set(l.location_id, { orders: 0, units: 0 });
  }

  /** Plans one order on the current stock, takes what it ships, and counts it. */
  add(order: SimulatedOrder): PlanWithoutExplanation {
    const started = performance.now();
    const index = this.t.orders;
    const t = Date.parse(order.at);
    if (Number.isNaN(t)) throw new SimulationError(index, 'at', `Not an ISO 8601 date-time: ${order.at}.`);
    if (t < this.lastT)
      throw new SimulationError(
        index,
        'at',
        `Orders must be sorted by time; ${order.at} is earlier than the one before.`,
      );
    this.lastT = t;
    this.advanceTo(t);

    const lines = order.lines.map((l) => {
      const info = this.input.skus[l.sku];
      return {
        sku: l.sku,
        quantity: l.quantity,
        weight_lb: info?.weight_lb ?? DEFAULT_WEIGHT_LB,
        dims_in: info?.dims_in,
      };
    });
    const p = plan(
      {
        lines,
        destination: { country: order.country ?? 'US', region: order.region, postal_code: order.postal_code },
        service_level: order.service_level ?? 'ground',
        channel: 'default',
      },
      this.network,
      { sellable: this.stock },
      this.input.policy,
      new Date(t),
      { explain: false, cache: this.cache },
    );
    this.count(p, lines);
    this.elapsed += performance.now() - started;
    return p;
  }

  private advanceTo(t: number) {
    const day = Math.floor(t / DAY_MS);
    if (Number.isNaN(this.startDay)) this.startDay = day;
    if (day !== this.loadDay) {
      this.loadDay = day;
      this.network.load = Object.create(null) as Record<string, number>; // as the stock cells
    }
    const every = this.input.replenishment?.every_days;
    if (every && every > 0) {
      const period = Math.floor((day - this.startDay) / every);
      if (period > this.period) {
        if (this.period >= 0) this.refill();
        this.period = period;
      }
    }
    while (this.nextArrival < this.schedule.length && this.schedule[this.nextArrival]!.t <= t) {
      const s = this.schedule[this.nextArrival++]!;
      const at = this.cellOf(s.sku);
      at[s.location_id] = (at[s.location_id] ?? 0) + s.quantity;
      this.t.replenishments++;
    }
  }

  private cellOf(sku: string): Record<string, number> {
    let cell = this.stock[sku];
    if (!cell) {
      cell = Object.create(null) as Record<string, number>; // as in the constructor
      this.stock[sku] = cell;
    }
    return cell;
  }

  /** Every (SKU, location) below its starting stock goes back up to it. */
  private refill() {
    for (const [sku, start] of Object.entries(this.input.stock)) {
      const now = this.cellOf(sku);
      for (const [loc, units] of Object.entries(start)) if ((now[loc] ?? 0) < units) now[loc] = units;
    }
    this.t.replenishments++;
  }

  private count(p: PlanWithoutExplanation, lines: readonly { quantity: number }[]) {
    const t = this.t;
    t.orders++;
    t.units += lines.reduce((s, l) => s + l.quantity, 0);
    let worst = -1;
    for (const s of p.shipments) {
      let units = 0;
      for (const l of s.lines) {
        const cell = this.cellOf(l.sku);
        cell[s.location_id] = (cell[s.location_id] ?? 0) - l.quantity;
        units += l.quantity;
      }
      this.network.load[s.location_id] = (this.network.load[s.location_id] ?? 0) + 1;
      const load = this.perLocation.get(s.location_id);
      if (load) {
        load.orders++;
        load.units += units;
      }
      t.zoneSum += s.zone;
      t.cost += s.cost;
      worst = Math.max(worst, shipmentBusinessDaysMemo(s));
    }
    t.shipments += p.shipments.length;
    const backordered = p.backorders.reduce((s, b) => s + b.quantity, 0);
    const preordered = p.pre_orders.reduce((s, b) => s + b.quantity, 0);
    t.unitsBackordered += backordered;
    if (backordered > 0) t.backordered++;
    if (p.shipments.length > 1) t.split++;
    if (p.shipments.length === 0) t.unshipped++;
    const inTime = p.promise !== null && worst >= 0 && worst <= TARGET_BUSINESS_DAYS;
    if (inTime) t.promised++;
    if (inTime && backordered + preordered === 0) t.delivered++;
  }

  /** The report so far; may be called at any point, e.g. for a live view. */
  report(): SimulationReport {
    const t = this.t;
    const share = (n: number) => (t.orders > 0 ? n / t.orders : 0);
    return {
      policy: this.input.policy.name,
      orders: t.orders,
      units: t.units,
      promised_within_2_business_days: share(t.promised),
      delivered_within_2_business_days: share(t.delivered),
      average_zone: t.shipments > 0 ? t.zoneSum / t.shipments : null,
      shipping_cost_per_order: t.orders > 0 ? Math.round((t.cost / t.orders) * 10_000) / 10_000 : 0,
      split_rate: share(t.split),
      backorder_rate: share(t.backordered),
      units_backordered: t.unitsBackordered,
      orders_unshipped: t.unshipped,
      shipments: t.shipments,
      replenishments: t.replenishments,
      locations: [...this.perLocation]
        .map(([location_id, l]) => ({ location_id, ...l, share_of_orders: share(l.orders) }))
        .sort((a, b) => (a.location_id < b.location_id ? -1 : 1)),
      elapsed_ms: Math.round(this.elapsed * 10) / 10,
      orders_per_second: this.elapsed > 0 ? Math.round((t.orders / this.elapsed) * 1000 * 10) / 10 : 0,
    };
  }

  /** Units left per SKU and location (a copy). */
  stockNow(): Record<string, Record<string, number>> {
    return Object.fromEntries(Object.entries(this.stock).map(([sku, at]) => [sku, { ...at }]));
  }
}

/**
 * Runs every order through a new simulation. `onProgress(done)` is called every `progress_every`
 * orders (default 1,000) and once at the end.
 */
export function simulate(
  input: SimulationInput,
  orders: Iterable<SimulatedOrder>,
  options: { onProgress?: (done: number) => void; progress_every?: number } = {},
): SimulationReport {
  const sim = new Simulation(input);
  const every = Math.max(1, options.progress_every ?? 1000);
  let done = 0;
  for (const order of orders) {
    sim.add(order);
    done++;
    if (done % every === 0) options.onProgress?.(done);
  }
  options.onProgress?.(done);
  return sim.report();
}

/** The report as a plain-text table, for the command line. */
export function formatReport(r: SimulationReport): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const rows: [string, string][] = [
    ['policy', r.policy],
    ['orders', `${r.orders}`],
    ['units', `${r.units}`],
    [`promised within ${TARGET_BUSINESS_DAYS} business days`, pct(r.promised_within_2_business_days)],
    [`delivered within ${TARGET_BUSINESS_DAYS} business days`, pct(r.delivered_within_2_business_days)],
    ['average zone', r.average_zone === null ? 'n/a' : r.average_zone.toFixed(2)],
    ['shipping cost per order', r.shipping_cost_per_order.toFixed(2)],
    ['split rate', pct(r.split_rate)],
    ['backorder rate', pct(r.backorder_rate)],
    ['units backordered', `${r.units_backordered}`],
    ['orders with no shipment', `${r.orders_unshipped}`],
    ['shipments', `${r.shipments}`],
    ['replenishments', `${r.replenishments}`],
    ['elapsed', `${(r.elapsed_ms / 1000).toFixed(2)} s`],
    ['orders/s', r.orders_per_second.toFixed(1)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}${v}`);
  const idWidth = Math.max(8, ...r.locations.map((l) => l.location_id.length)) + 2;
  lines.push(
    '',
    `${'location'.padEnd(idWidth)}${'orders'.padStart(10)}${'units'.padStart(10)}${'share'.padStart(9)}`,
    ...r.locations.map(
      (l) =>
        `${l.location_id.padEnd(idWidth)}${String(l.orders).padStart(10)}${String(l.units).padStart(10)}${pct(l.share_of_orders).padStart(9)}`,
    ),
  );
  return lines.join('\n');
}
