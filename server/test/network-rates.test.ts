import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { billableWeightLb, type RateBracket, rateFor, transitDaysFor } from '../src/modules/network/rates.ts';

const zones = (base: number) =>
  Object.fromEntries(
    [1, 2, 3, 4, 5, 6, 7, 8].map((z) => [String(z), base + z]),
  ) as RateBracket['rates_by_zone'];

const service = {
  transit_days_by_zone: { '1': 1, '2': 1, '3': 2, '4': 2, '5': 3, '6': 4, '7': 4, '8': 5 },
  rate_table: [
    { max_weight_lb: 1, rates_by_zone: zones(5) },
    { max_weight_lb: 5, rates_by_zone: zones(8) },
    { max_weight_lb: 20, rates_by_zone: zones(15) },
  ],
};

describe('billable weight', () => {
  it('rounds the actual weight up to the next pound, never below 1 lb', () => {
    expect(billableWeightLb(2.1)).toBe(3);
    expect(billableWeightLb(3)).toBe(3);
    expect(billableWeightLb(0.2)).toBe(1);
    expect(billableWeightLb(0)).toBe(1);
  });

  it('bills the dimensional weight when the box is light for its size', () => {
    // 12 × 12 × 12 / 139 = 12.43 lb
    expect(billableWeightLb(2, { length_in: 12, width_in: 12, height_in: 12 })).toBe(13);
    expect(billableWeightLb(20, { length_in: 12, width_in: 12, height_in: 12 })).toBe(20);
    // a smaller divisor makes the same box heavier
    expect(billableWeightLb(2, { length_in: 12, width_in: 12, height_in: 12 }, 166)).toBe(11);
    expect(billableWeightLb(2, null)).toBe(2);
  });

  it('does not round a whole dimensional pound up to the next one', () => {
    // 10 × 10 × 13.9 / 139 is exactly 10 but not in binary floating point
    expect(billableWeightLb(1, { length_in: 10, width_in: 10, height_in: 13.9 })).toBe(10);
  });

  it('is a whole number at least the actual and the dimensional weight', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 500, noNaN: true }),
        fc.record({
          length_in: fc.double({ min: 0.1, max: 100, noNaN: true }),
          width_in: fc.double({ min: 0.1, max: 100, noNaN: true }),
          height_in: fc.double({ min: 0.1, max: 100, noNaN: true }),
        }),
        (weight, dims) => {
          const billable = billableWeightLb(weight, dims);
          expect(Number.isInteger(billable)).toBe(true);
          expect(billable).toBeGreaterThanOrEqual(1);
          expect(billable).toBeGreaterThanOrEqual(weight - 1e-6);
          expect(billable).toBeGreaterThanOrEqual(
            (dims.length_in * dims.width_in * dims.height_in) / 139 - 1e-6,
          );
          expect(billable - 1).toBeLessThan(
            Math.max(weight, (dims.length_in * dims.width_in * dims.height_in) / 139, 1),
          );
        },
      ),
    );
  });
});

describe('rates and transit', () => {
  it('prices by the first bracket that holds the weight, inclusive', () => {
    expect(rateFor(service, 1, 1)).toBe(6);
    expect(rateFor(service, 8, 1)).toBe(13);
    expect(rateFor(service, 5, 2)).toBe(13);
    expect(rateFor(service, 5, 5)).toBe(13);
    expect(rateFor(service, 5, 6)).toBe(20);
    expect(rateFor(service, 8, 20)).toBe(23);
  });

  it('answers undefined beyond the last bracket: not shippable with this service', () => {
    expect(rateFor(service, 1, 21)).toBeUndefined();
  });

  it('reads transit business days by zone', () => {
    expect(transitDaysFor(service, 1)).toBe(1);
    expect(transitDaysFor(service, 8)).toBe(5);
  });
});
