import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { localDateTime, localDay } from '../src/modules/network/calendar.ts';

/** localDay (the planner's cached local date) agrees with localDateTime, across offset changes. */

const ZONES = [
  'America/New_York',
  'America/Los_Angeles',
  'America/Phoenix',
  'Pacific/Honolulu',
  'Europe/London',
  'Australia/Lord_Howe',
  'Asia/Kolkata',
  'America/St_Johns',
];

describe('localDay', () => {
  it('is the local date of the instant, for any instant and zone', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2025-01-01T00:00:00Z'), max: Date.parse('2028-01-01T00:00:00Z') }),
        fc.constantFrom(...ZONES),
        (t, zone) => {
          expect(localDay(new Date(t), zone)).toBe(localDateTime(new Date(t), zone).date);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('is the local date along runs of nearby instants (the day kept between calls)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2027-01-01T00:00:00Z') }),
        fc.array(fc.integer({ min: 0, max: 3 * 3_600_000 }), { minLength: 1, maxLength: 40 }),
        fc.constantFrom(...ZONES),
        (from, steps, zone) => {
          let t = from;
          for (const step of steps) {
            t += step;
            expect(localDay(new Date(t), zone)).toBe(localDateTime(new Date(t), zone).date);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is right minute by minute through a day with a clock change', () => {
    // New York falls back at 06:00 UTC on 2026-11-01; local midnight moves from 04:00 to 05:00 UTC.
    const start = Date.parse('2026-10-31T20:00:00Z');
    for (let t = start; t < start + 24 * 3_600_000; t += 60_000) {
      const d = new Date(t);
      expect(localDay(d, 'America/New_York')).toBe(localDateTime(d, 'America/New_York').date);
    }
    expect(localDay(new Date('2026-11-02T04:59:59Z'), 'America/New_York')).toBe('2026-11-01');
    expect(localDay(new Date('2026-11-02T05:00:00Z'), 'America/New_York')).toBe('2026-11-02');
  });
});
