import { DEMO_CARRIER, DEMO_CARRIER_SERVICES, DEMO_LOCATIONS } from '../../demo-data.ts';
import type { CoverageCell } from '../network/coverage.ts';
import { bundledPopulationCells } from '../network/population.ts';
import type { SimulatedOrder } from './simulate.ts';
import type { NetworkFileInput } from './simulate-files.ts';
import type { ServiceLevel } from './types.ts';

/**
 * Realistic-looking order files for the simulator, deterministic for a seed.
 *
 * - Destinations: a US ZIP code drawn by population from the bundled data (the same cells and
 *   weights the coverage report uses, see network/population.ts): a ZIP3 is drawn in proportion
 *   to the people of the GeoNames cities in it, then one of its ZIP codes evenly.
 * - SKUs: `SKU-00001` … ranked by popularity, drawn Zipf-like (weight of rank r ∝ 1 / r^1.1).
 * - 1-3 distinct SKUs per order; quantity 1 (80 %), 2 (15 %) or 3 (5 %).
 * - Service level: ground 90 %, two-day 7 %, overnight 3 %.
 * - Timestamps uniform over `days` days from `start`, sorted.
 */

export const ZIPF_S = 1.1;
export const DEFAULT_START = '2026-11-02T00:00:00.000Z'; // a Monday

/** mulberry32: a small seeded PRNG. */
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

export const skuName = (rank: number) => `SKU-${String(rank + 1).padStart(5, '0')}`;

/** Probability of each rank 0..k-1 under Zipf with exponent s. */
export function zipfProbabilities(k: number, s = ZIPF_S): number[] {
  const w = Array.from({ length: k }, (_, r) => 1 / (r + 1) ** s);
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / total);
}

/** A sampler over 0..n-1 with the given probabilities (binary search over the cumulative sums). */
function sampler(probabilities: readonly number[]) {
  const cumulative = new Float64Array(probabilities.length);
  let sum = 0;
  probabilities.forEach((p, i) => {
    sum += p;
    cumulative[i] = sum;
  });
  return (u: number) => {
    const x = u * sum;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export type GenerateOptions = {
  orders: number;
  skus: number;
  days: number;
  seed?: number | undefined;
  start?: string | undefined;
};

/** Destination cells: every bundled US ZIP with a zone and people, weighted by population. */
export function destinationCells(): readonly CoverageCell[] {
  return bundledPopulationCells();
}

export function generateOrders(options: GenerateOptions): SimulatedOrder[] {
  const r = rng(options.seed ?? 1);
  const cells = destinationCells();
  const pickCell = sampler(cells.map((c) => c.weight));
  const pickSku = sampler(zipfProbabilities(options.skus));
  const start = Date.parse(options.start ?? DEFAULT_START);
  const span = options.days * 86_400_000;
  const times = Array.from({ length: options.orders }, () => start + Math.floor(r() * span)).sort(
    (a, b) => a - b,
  );
  return times.map((t) => {
    const cell = cells[pickCell(r())]!;
    const n = Math.min(options.skus, 1 + Math.floor(r() * 3));
    const ranks = new Set<number>();
    // Zipf draws repeat the top SKUs often; a few tries keep the lines distinct.
    for (let tries = 0; ranks.size < n && tries < 50; tries++) ranks.add(pickSku(r()));
    const u = r();
    const level: ServiceLevel = u < 0.9 ? 'ground' : u < 0.97 ? 'two_day' : 'overnight';
    return {
      at: new Date(t).toISOString(),
      postal_code: cell.postal_code,
      region: cell.region,
      service_level: level,
      lines: [...ranks].map((rank) => {
        const q = r();
        return { sku: skuName(rank), quantity: q < 0.8 ? 1 : q < 0.95 ? 2 : 3 };
      }),
    };
  });
}

/** One order per line, in the orders file format. */
export function toNdjson(orders: readonly SimulatedOrder[]): string {
  return orders
    .map((o) => JSON.stringify(o))
    .join('\n')
    .concat('\n');
}

/** Mean units per generated order: 2 lines × 1.25 units (fewer when there are under 3 SKUs). */
const UNITS_PER_ORDER = 2 * 1.25;

/** Deterministic unit weights, 0.2-5 lb, per SKU. */
export function skuWeights(skus: number, seed = 1): Record<string, { weight_lb: number }> {
  const r = rng(seed ^ 0x5eed);
  return Object.fromEntries(
    Array.from({ length: skus }, (_, i) => [
      skuName(i),
      { weight_lb: Math.round((0.2 + r() * 4.8) * 10) / 10 },
    ]),
  );
}

/**
 * Stock for `skus` SKUs over `owned` locations, sized for `ordersPerDay` and a refill every
 * `everyDays`: each location holds `share` of the SKU's expected demand per period (at least 1).
 */
export function sampleStock(
  skus: number,
  owned: readonly string[],
  ordersPerDay: number,
  everyDays: number,
  share: number,
): Record<string, Record<string, number>> {
  const p = zipfProbabilities(skus);
  return Object.fromEntries(
    p.map((pr, i) => {
      const units = Math.max(1, Math.ceil(pr * ordersPerDay * everyDays * UNITS_PER_ORDER * share));
      return [skuName(i), Object.fromEntries(owned.map((id) => [id, units]))];
    }),
  );
}

export const SAMPLE_REFILL_DAYS = 7;

/**
 * The demo network (its five locations and the demo carrier's three services, ids = the demo's
 * keys and service codes) stocked for generated orders: Edison, Dallas and Reno each hold 40 % of
 * a week's expected demand of every SKU, the Chicago store 5 units of the top 20 SKUs, the
 * drop-ship supplier 1,000 units of every fifth SKU; everything is refilled weekly. Daily
 * capacities are the demo's, scaled up when the orders per day would exceed 1.2 × their sum.
 */
export function sampleNetwork(options: GenerateOptions): NetworkFileInput {
  const perDay = options.orders / Math.max(1, options.days);
  const stock = sampleStock(options.skus, ['edison', 'dallas', 'reno'], perDay, SAMPLE_REFILL_DAYS, 0.4);
  for (let i = 0; i < options.skus; i++) {
    const at = stock[skuName(i)]!;
    if (i < 20) at.chicago = 5;
    if (i % 5 === 4) at.timberline = 1000;
  }
  // The demo's daily capacities (2,890 orders in all) scaled up, if need be, to 1.2 × the orders per day.
  const capacities = Object.values(DEMO_LOCATIONS).reduce((s, l) => s + (l.daily_order_capacity ?? 0), 0);
  const scale = Math.max(1, (1.2 * perDay) / capacities);
  return {
    locations: Object.entries(DEMO_LOCATIONS).map(([key, l]) => ({
      location_id: key,
      ...l,
      daily_order_capacity: Math.ceil(l.daily_order_capacity * scale),
    })),
    services: DEMO_CARRIER_SERVICES.map((s) => ({
      service_id: `svc_${s.code.toLowerCase()}`,
      carrier_code: DEMO_CARRIER.code,
      ...s,
    })),
    skus: skuWeights(options.skus, options.seed ?? 1),
    stock,
    replenishment: { every_days: SAMPLE_REFILL_DAYS },
  };
}
