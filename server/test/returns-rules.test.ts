import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, zonedInstant } from '../src/modules/network/calendar.ts';
import { haversineMiles } from '../src/modules/network/geo.ts';
import {
  computeRefund,
  type EligibilityInput,
  eligibility,
  FEE_WAIVED_REASONS,
  nearestReturnLocation,
  RETURN_REASONS,
  type RefundInput,
  type ReturnLocation,
  refundFor,
} from '../src/modules/returns/rules.ts';

const LA = 'America/Los_Angeles';

const window30 = (over: Partial<EligibilityInput>): EligibilityInput => ({
  delivered_at: null,
  shipped_at: null,
  now: new Date('2026-03-10T12:00:00Z'),
  window_days: 30,
  time_zone: LA,
  final_sale: false,
  ...over,
});

describe('return eligibility', () => {
  // 2026-03-02T07:30Z is 23:30 on Mar 1 in Los Angeles (PST): the UTC date is a day later, and
  // clocks spring forward on Mar 8, inside the window.
  const deliveredLateOnMar1 = '2026-03-02T07:30:00Z';

  it('counts 30 calendar days from the local delivery day, whatever the hour', () => {
    const lastMinute = eligibility(
      window30({ delivered_at: deliveredLateOnMar1, now: new Date('2026-04-01T06:59:00Z') }), // Mar 31 23:59 PDT
    );
    expect(lastMinute).toEqual({ eligible: true, deadline: '2026-03-31' });

    const nextDay = eligibility(
      window30({ delivered_at: deliveredLateOnMar1, now: new Date('2026-04-01T07:00:00Z') }), // Apr 1 00:00 PDT
    );
    expect(nextDay).toMatchObject({ eligible: false, reason: 'window_closed', deadline: '2026-03-31' });
    expect(nextDay.eligible === false && nextDay.detail).toContain('2026-03-31');
  });

  it('uses the local date when it is ahead of UTC (Tokyo)', () => {
    // 20:00Z on Mar 1 is 05:00 on Mar 2 in Tokyo.
    const base = window30({ delivered_at: '2026-03-01T20:00:00Z', time_zone: 'Asia/Tokyo' });
    expect(eligibility({ ...base, now: new Date('2026-04-01T14:59:59Z') })).toEqual({
      eligible: true,
      deadline: '2026-04-01',
    });
    expect(eligibility({ ...base, now: new Date('2026-04-01T15:00:00Z') })).toMatchObject({
      eligible: false,
      reason: 'window_closed',
    });
  });

  it('keeps whole days across a fall-back change (London, Oct 25 2026)', () => {
    const base = window30({ delivered_at: '2026-10-10T00:30:00+01:00', time_zone: 'Europe/London' });
    expect(eligibility({ ...base, now: new Date('2026-11-09T23:59:00Z') }).eligible).toBe(true); // GMT now
    expect(eligibility({ ...base, now: new Date('2026-11-10T00:00:00Z') }).eligible).toBe(false);
  });

  it('counts from the ship day while no delivery is known, and prefers the delivery day', () => {
    const shipped = eligibility(window30({ shipped_at: '2026-02-01T18:00:00Z' }));
    expect(shipped).toMatchObject({ eligible: false, reason: 'window_closed', deadline: '2026-03-03' });
    expect(shipped.eligible === false && shipped.detail).toContain('shipped on 2026-02-01');

    const delivered = eligibility(
      window30({ shipped_at: '2026-02-01T18:00:00Z', delivered_at: '2026-02-20T18:00:00Z' }),
    );
    expect(delivered).toEqual({ eligible: true, deadline: '2026-03-22' });
  });

  it('allows only the delivery day itself with a window of 0', () => {
    const base = window30({ window_days: 0, delivered_at: '2026-03-10T08:00:00Z' }); // Mar 10 01:00 PDT
    expect(eligibility({ ...base, now: new Date('2026-03-11T06:59:00Z') }).eligible).toBe(true);
    expect(eligibility({ ...base, now: new Date('2026-03-11T07:00:00Z') }).eligible).toBe(false);
  });

  it('refuses final-sale items even inside the window', () => {
    const r = eligibility(window30({ delivered_at: '2026-03-09T12:00:00Z', final_sale: true }));
    expect(r).toMatchObject({ eligible: false, reason: 'final_sale' });
  });

  it('refuses what has not shipped', () => {
    expect(eligibility(window30({}))).toMatchObject({ eligible: false, reason: 'not_shipped' });
  });

  it('rejects a fractional window and an unreadable timestamp', () => {
    expect(() => eligibility(window30({ window_days: 1.5, delivered_at: '2026-03-01T00:00:00Z' }))).toThrow(
      RangeError,
    );
    expect(() => eligibility(window30({ delivered_at: 'yesterday' }))).toThrow(/delivered_at/);
  });

  // An independent reading of the local date, not the calendar module's offset cache.
  const localDate = (d: Date, timeZone: string) =>
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
      d,
    );

  it('is open through the last local minute of the deadline and closed from the next midnight', () => {
    const zones = [
      LA,
      'Europe/London',
      'Asia/Tokyo',
      'Asia/Kolkata',
      'Australia/Lord_Howe',
      'Pacific/Chatham',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.date({
          min: new Date('2020-01-01T00:00:00Z'),
          max: new Date('2030-12-31T00:00:00Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: 0, max: 120 }),
        (timeZone, delivered, window_days) => {
          const base = {
            ...window30({ time_zone: timeZone, window_days }),
            delivered_at: delivered.toISOString(),
          };
          const deadline = addDays(localDate(delivered, timeZone), window_days);
          const last = eligibility({ ...base, now: zonedInstant(deadline, '23:59', timeZone) });
          const first = eligibility({ ...base, now: zonedInstant(addDays(deadline, 1), '00:00', timeZone) });
          expect(last).toEqual({ eligible: true, deadline });
          expect(first).toMatchObject({ eligible: false, reason: 'window_closed', deadline });
        },
      ),
    );
  });
});

describe('refund of returned units', () => {
  // 3 × 19.99 = 59.97, less 5.00 discount, plus 4.50 tax: 59.47 in all.
  const line = { quantity: 3, unit_price: 19.99, discount: 5, tax: 4.5 };

  it('takes cumulative shares of discount and tax so the steps add up to the line total', () => {
    // 1 unit: 19.99 − round(5.00/3 = 1.667) + 1.50 = 19.82
    expect(refundFor({ line: { ...line, refunded_by_returns_units: 0 }, units: 1 })).toBe(19.82);
    // units 2: cumulative 39.98 − 3.33 + 3.00 = 39.65, minus the 19.82 already refunded = 19.83
    expect(refundFor({ line: { ...line, refunded_by_returns_units: 1 }, units: 1 })).toBe(19.83);
    // unit 3: 59.47 − 39.65 = 19.82
    expect(refundFor({ line: { ...line, refunded_by_returns_units: 2 }, units: 1 })).toBe(19.82);
    expect(refundFor({ line: { ...line, refunded_by_returns_units: 0 }, units: 3 })).toBe(59.47);
  });

  it('refuses to return more units than are left, or part of a unit', () => {
    expect(() => refundFor({ line: { ...line, refunded_by_returns_units: 2 }, units: 2 })).toThrow(
      RangeError,
    );
    expect(() => refundFor({ line: { ...line, refunded_by_returns_units: 0 }, units: 0.5 })).toThrow(
      RangeError,
    );
  });

  it('refuses a line whose discount exceeds its price', () => {
    expect(() =>
      refundFor({
        line: { quantity: 1, unit_price: 1, discount: 2, tax: 0, refunded_by_returns_units: 0 },
        units: 1,
      }),
    ).toThrow(/discount/);
  });

  const moneyLine = fc
    .record({
      quantity: fc.integer({ min: 1, max: 60 }),
      priceCents: fc.integer({ min: 0, max: 500_000 }),
      discountShare: fc.double({ min: 0, max: 1, noNaN: true }),
      taxCents: fc.integer({ min: 0, max: 200_000 }),
    })
    .map(({ quantity, priceCents, discountShare, taxCents }) => ({
      quantity,
      unit_price: priceCents / 100,
      discount: Math.floor(priceCents * quantity * discountShare) / 100,
      tax: taxCents / 100,
    }));

  /** A random split of `quantity` into steps of at least one unit. */
  const lineWithSteps = moneyLine.chain((l) =>
    fc
      .array(fc.integer({ min: 1, max: l.quantity }), { minLength: 1, maxLength: l.quantity })
      .map((sizes) => {
        const steps: number[] = [];
        let left = l.quantity;
        for (const s of sizes) {
          if (left === 0) break;
          const step = Math.min(s, left);
          steps.push(step);
          left -= step;
        }
        if (left > 0) steps.push(left);
        return { line: l, steps };
      }),
  );

  const netCents = (l: { quantity: number; unit_price: number; discount: number; tax: number }) =>
    Math.round(l.unit_price * 100) * l.quantity - Math.round(l.discount * 100) + Math.round(l.tax * 100);

  it('returning a line in any split of steps refunds exactly its net total, never more', () => {
    fc.assert(
      fc.property(lineWithSteps, ({ line: l, steps }) => {
        const net = netCents(l);
        let returned = 0;
        let refunded = 0;
        for (const units of steps) {
          const step = Math.round(
            refundFor({ line: { ...l, refunded_by_returns_units: returned }, units }) * 100,
          );
          expect(step).toBeGreaterThanOrEqual(0);
          refunded += step;
          returned += units;
          expect(refunded).toBeLessThanOrEqual(net);
        }
        expect(returned).toBe(l.quantity);
        expect(refunded).toBe(net);
        expect(() => refundFor({ line: { ...l, refunded_by_returns_units: returned }, units: 1 })).toThrow(
          RangeError,
        );
      }),
    );
  });

  const order = (over: Partial<RefundInput> = {}): RefundInput => ({
    lines: [
      { line_no: 1, ...line, already_returned: 0, units: 2 },
      { line_no: 2, quantity: 1, unit_price: 10.5, discount: 0, tax: 0.84, already_returned: 0, units: 1 },
    ],
    order_shipping: 7.95,
    shipping_refunded_before: 0,
    shipping_rule: 'never',
    everything_returned_after: false,
    restocking_fee: null,
    reason_waives_fee: false,
    ...over,
  });

  it('adds up the lines of a return', () => {
    expect(computeRefund(order())).toEqual({
      lines: [
        { line_no: 1, units: 2, amount: 39.65 },
        { line_no: 2, units: 1, amount: 11.34 },
      ],
      items: 50.99,
      shipping: 0,
      restocking_fee: 0,
      total: 50.99,
    });
  });

  it('charges a restocking fee as a percent, rounded half-up to the cent', () => {
    // 15% of 50.99 = 7.6485 → 7.65
    const r = computeRefund(order({ restocking_fee: { percent: 15 } }));
    expect(r).toMatchObject({ items: 50.99, restocking_fee: 7.65, total: 43.34 });
    // 4.35% of 30.00 = 1.305 → 1.31 (binary floating point would make it 1.30)
    const half = computeRefund(
      order({
        lines: [
          { line_no: 1, quantity: 1, unit_price: 30, discount: 0, tax: 0, already_returned: 0, units: 1 },
        ],
        restocking_fee: { percent: 4.35 },
      }),
    );
    expect(half).toMatchObject({ restocking_fee: 1.31, total: 28.69 });
  });

  it('charges at least the minimum fee, but never more than the items refund', () => {
    const small = order({
      lines: [{ line_no: 1, quantity: 1, unit_price: 5, discount: 0, tax: 0, already_returned: 0, units: 1 }],
    });
    expect(computeRefund({ ...small, restocking_fee: { percent: 10, min: 2 } })).toMatchObject({
      restocking_fee: 2,
      total: 3,
    });
    const capped = computeRefund({
      ...small,
      restocking_fee: { percent: 10, min: 8 },
      shipping_rule: 'always',
    });
    expect(capped).toMatchObject({ items: 5, shipping: 7.95, restocking_fee: 5, total: 7.95 });
  });

  it('waives the fee when the reason is the merchant’s fault', () => {
    const r = computeRefund(order({ restocking_fee: { percent: 15, min: 5 }, reason_waives_fee: true }));
    expect(r).toMatchObject({ restocking_fee: 0, total: 50.99 });
    for (const reason of FEE_WAIVED_REASONS) expect(RETURN_REASONS).toContain(reason);
    expect(FEE_WAIVED_REASONS).not.toContain('changed_mind');
  });

  it('refunds shipping per the rule, and never twice', () => {
    const shippingOf = (over: Partial<RefundInput>) => computeRefund(order(over)).shipping;
    expect(shippingOf({ shipping_rule: 'never', everything_returned_after: true })).toBe(0);
    expect(shippingOf({ shipping_rule: 'when_all_returned', everything_returned_after: false })).toBe(0);
    expect(shippingOf({ shipping_rule: 'when_all_returned', everything_returned_after: true })).toBe(7.95);
    expect(shippingOf({ shipping_rule: 'always' })).toBe(7.95);
    expect(shippingOf({ shipping_rule: 'always', shipping_refunded_before: 7.95 })).toBe(0);
    expect(
      shippingOf({
        shipping_rule: 'when_all_returned',
        everything_returned_after: true,
        shipping_refunded_before: 2,
      }),
    ).toBe(5.95);
    expect(computeRefund(order({ shipping_rule: 'always' })).total).toBe(58.94);
  });

  it('never refunds a negative total, and the parts always add up', () => {
    const input = fc.record({
      lines: fc.array(
        lineWithSteps.chain(({ line: l }) =>
          fc
            .integer({ min: 0, max: l.quantity })
            .chain((before) =>
              fc
                .integer({ min: 0, max: l.quantity - before })
                .map((units) => ({ ...l, already_returned: before, units })),
            ),
        ),
        { maxLength: 5 },
      ),
      shippingCents: fc.integer({ min: 0, max: 10_000 }),
      shipping_rule: fc.constantFrom('never' as const, 'when_all_returned' as const, 'always' as const),
      everything_returned_after: fc.boolean(),
      restocking_fee: fc.option(
        fc.record(
          {
            percent: fc.integer({ min: 0, max: 10_000 }).map((bp) => bp / 100),
            min: fc.integer({ min: 0, max: 100_000 }).map((c) => c / 100),
          },
          { requiredKeys: ['percent'] },
        ),
      ),
      reason_waives_fee: fc.boolean(),
    });
    fc.assert(
      fc.property(input, ({ lines, shippingCents, ...rest }) => {
        const r = computeRefund({
          ...rest,
          lines: lines.map((l, i) => ({ ...l, line_no: i + 1 })),
          order_shipping: shippingCents / 100,
          shipping_refunded_before: 0,
        });
        const c = (x: number) => Math.round(x * 100);
        expect(r.total).toBeGreaterThanOrEqual(0);
        expect(r.restocking_fee).toBeGreaterThanOrEqual(0);
        expect(r.restocking_fee).toBeLessThanOrEqual(r.items);
        expect(c(r.total)).toBe(c(r.items) + c(r.shipping) - c(r.restocking_fee));
        expect(c(r.items)).toBe(r.lines.reduce((s, l) => s + c(l.amount), 0));
        for (const x of [r.items, r.shipping, r.restocking_fee, r.total]) expect(c(x) / 100).toBe(x);
        if (rest.reason_waives_fee || !rest.restocking_fee) expect(r.restocking_fee).toBe(0);
      }),
    );
  });
});

describe('nearest return location', () => {
  const at = (location_id: string, latitude: number | null, longitude: number | null): ReturnLocation => ({
    location_id,
    active: true,
    accepts_returns: true,
    latitude,
    longitude,
  });
  const chicago = { latitude: 41.8781, longitude: -87.6298 };

  it('skips inactive, non-accepting and unplaced locations', () => {
    const locations = [
      { ...at('closed', 41.88, -87.63), active: false },
      { ...at('no-returns', 41.88, -87.63), accepts_returns: false },
      at('nowhere', null, null),
      at('half-placed', 41.88, null),
      at('milwaukee', 43.0389, -87.9065),
      at('new-york', 40.7128, -74.006),
    ];
    const r = nearestReturnLocation(locations, chicago);
    expect(r?.location_id).toBe('milwaukee');
    expect(r?.distance_miles).toBeGreaterThan(75);
    expect(r?.distance_miles).toBeLessThan(90);
  });

  it('breaks ties by location_id whatever the order, and answers null when none qualifies', () => {
    const twins = [at('wh-b', 40, -80), at('wh-a', 40, -80)];
    expect(nearestReturnLocation(twins, chicago)?.location_id).toBe('wh-a');
    expect(nearestReturnLocation([...twins].reverse(), chicago)?.location_id).toBe('wh-a');
    expect(
      nearestReturnLocation([{ ...at('x', 1, 1), active: false }, at('y', null, 2)], chicago),
    ).toBeNull();
    expect(nearestReturnLocation([], chicago)).toBeNull();
  });

  it('picks the true minimum (brute force)', () => {
    // Coordinates from a small grid so equal distances, and so ties, happen often.
    const coord = fc.option(
      fc.integer({ min: -4, max: 4 }).map((n) => n * 10),
      { nil: null },
    );
    const location = fc.record({
      location_id: fc.string({ minLength: 1, maxLength: 4 }),
      active: fc.boolean(),
      accepts_returns: fc.boolean(),
      latitude: coord,
      longitude: coord,
    });
    const point = fc.record({
      latitude: fc.double({ min: -90, max: 90, noNaN: true }),
      longitude: fc.double({ min: -180, max: 180, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(location, { maxLength: 12 }), point, (locations, from) => {
        const candidates = locations
          .filter((l) => l.active && l.accepts_returns && l.latitude !== null && l.longitude !== null)
          .map((l) => ({
            location_id: l.location_id,
            miles: haversineMiles(from, { latitude: l.latitude!, longitude: l.longitude! }),
          }))
          .sort(
            (a, b) =>
              a.miles - b.miles ||
              (a.location_id < b.location_id ? -1 : a.location_id > b.location_id ? 1 : 0),
          );
        const r = nearestReturnLocation(locations, from);
        const best = candidates[0];
        if (!best) {
          expect(r).toBeNull();
          return;
        }
        expect(r).toEqual({
          location_id: best.location_id,
          distance_miles: Math.round(best.miles * 10) / 10,
        });
      }),
    );
  });
});
