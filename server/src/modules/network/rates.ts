import type { Zone } from './geo.ts';

/** Pure shipping arithmetic over a carrier service's tables. */

export const DEFAULT_DIM_DIVISOR = 139;

/** Same shape as a catalog product's `dimensions`, so a product's can be passed as it is. */
export type Dimensions = { length_in: number; width_in: number; height_in: number };
export type RateBracket = { max_weight_lb: number; rates_by_zone: Record<`${Zone}`, number> };

// Floating-point products like 12 × 12 × 13.9 / 139 land a hair above a whole pound.
const EPSILON = 1e-9;

/**
 * What a carrier charges by: the greater of the actual weight and the dimensional weight
 * (L × W × H in inches / divisor), rounded up to the next whole pound, never below 1 lb.
 */
export function billableWeightLb(
  weight_lb: number,
  dims_in?: Dimensions | null,
  dim_divisor: number = DEFAULT_DIM_DIVISOR,
): number {
  const dimensional = dims_in ? (dims_in.length_in * dims_in.width_in * dims_in.height_in) / dim_divisor : 0;
  return Math.max(1, Math.ceil(Math.max(weight_lb, dimensional) - EPSILON));
}

/** The price for a zone and billable weight; undefined beyond the last bracket (not shippable). */
export function rateFor(
  service: { rate_table: readonly RateBracket[] },
  zone: Zone,
  billable_lb: number,
): number | undefined {
  const bracket = service.rate_table.find((b) => billable_lb <= b.max_weight_lb);
  return bracket?.rates_by_zone[`${zone}`];
}

/** Business days in transit to a zone. */
export function transitDaysFor(
  service: { transit_days_by_zone: Record<`${Zone}`, number> },
  zone: Zone,
): number {
  return service.transit_days_by_zone[`${zone}`];
}
