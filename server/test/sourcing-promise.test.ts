import { describe, expect, it } from 'vitest';
import { DEFAULT_CARRIER_HOLIDAYS } from '../src/modules/network/calendar.ts';
import {
  type DeliveryService,
  deliveryDate,
  formatCountdown,
  promiseFor,
  promiseText,
  type ShippingLocation,
  shipInstant,
} from '../src/modules/sourcing/promise.ts';

const weekdays = { mon: '14:00', tue: '14:00', wed: '14:00', thu: '14:00', fri: '14:00' };
const everyDay = { ...weekdays, sat: '14:00', sun: '14:00' };
const la: ShippingLocation = {
  time_zone: 'America/Los_Angeles',
  cutoffs: weekdays,
  processing_days: 0,
  holiday_calendar: { country: 'US', region: 'CA' },
};
const nj: ShippingLocation = {
  time_zone: 'America/New_York',
  cutoffs: weekdays,
  processing_days: 0,
  holiday_calendar: { country: 'US', region: 'NJ' },
};
const zones = (days: number) => ({ 1: days, 2: days, 3: days, 4: days, 5: days, 6: days, 7: days, 8: days });
const ground: DeliveryService = {
  transit_days_by_zone: { ...zones(5), 1: 1, 2: 2, 3: 3 },
  delivery_weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'],
  holidays: DEFAULT_CARRIER_HOLIDAYS,
};
const at = (iso: string) => new Date(iso);

describe('shipInstant: cut-offs in the location’s own zone', () => {
  it('one minute before a 14:00 Los Angeles cut-off ships today, one minute after ships tomorrow', () => {
    // 2026-11-17 is a Tuesday; Los Angeles is UTC-8 (PST), so 14:00 local is 22:00Z.
    expect(shipInstant(la, at('2026-11-17T21:59:00Z'))).toEqual({
      accept_date: '2026-11-17',
      ship_date: '2026-11-17',
      cutoff_at: '2026-11-17T22:00:00.000Z',
      countdown_ms: 60_000,
    });
    expect(shipInstant(la, at('2026-11-17T22:01:00Z'))).toEqual({
      accept_date: '2026-11-18',
      ship_date: '2026-11-18',
      cutoff_at: '2026-11-18T22:00:00.000Z',
      countdown_ms: 24 * 3_600_000 - 60_000,
    });
  });

  it('treats the cut-off minute itself as too late', () => {
    expect(shipInstant(la, at('2026-11-17T22:00:00Z'))?.ship_date).toBe('2026-11-18');
  });

  it('ships a Friday order placed after the cut-off on Monday', () => {
    expect(shipInstant(la, at('2026-11-20T22:01:00Z'))).toMatchObject({
      ship_date: '2026-11-23',
      cutoff_at: '2026-11-23T22:00:00.000Z',
    });
    // Saturday morning too.
    expect(shipInstant(la, at('2026-11-21T17:00:00Z'))?.ship_date).toBe('2026-11-23');
  });

  it('skips Thanksgiving, and the day after when the location closes then', () => {
    const wednesdayLate = at('2026-11-25T19:01:00Z'); // 14:01 EST
    expect(shipInstant(nj, wednesdayLate)?.ship_date).toBe('2026-11-27');
    const closedFriday = {
      ...nj,
      holiday_calendar: { country: 'US', region: 'NJ', extra_closed_dates: ['2026-11-27'] },
    };
    expect(shipInstant(closedFriday, wednesdayLate)?.ship_date).toBe('2026-11-30');
    // An order placed on Thanksgiving morning waits too.
    expect(shipInstant(closedFriday, at('2026-11-26T14:00:00Z'))?.ship_date).toBe('2026-11-30');
  });

  it('skips Christmas 2026-12-25 and New Year 2027-01-01 (both Fridays)', () => {
    expect(shipInstant(nj, at('2026-12-24T19:01:00Z'))?.ship_date).toBe('2026-12-28');
    expect(shipInstant(nj, at('2026-12-24T18:59:00Z'))?.ship_date).toBe('2026-12-24');
    expect(shipInstant(nj, at('2026-12-31T19:01:00Z'))?.ship_date).toBe('2027-01-04');
  });

  it('keeps a 14:00 cut-off at 14:00 local across the daylight-saving changes in New York', () => {
    const open = { ...nj, cutoffs: everyDay, holiday_calendar: null };
    // 2026-03-08: clocks spring forward at 02:00; 14:00 EDT is 18:00Z (the day before it was 19:00Z).
    expect(shipInstant(open, at('2026-03-07T18:59:00Z'))?.cutoff_at).toBe('2026-03-07T19:00:00.000Z');
    expect(shipInstant(open, at('2026-03-08T17:59:00Z'))).toMatchObject({
      ship_date: '2026-03-08',
      cutoff_at: '2026-03-08T18:00:00.000Z',
      countdown_ms: 60_000,
    });
    expect(shipInstant(open, at('2026-03-08T18:01:00Z'))?.ship_date).toBe('2026-03-09');
    // 2026-11-01: clocks fall back at 02:00; 14:00 EST is 19:00Z (the day before it was 18:00Z).
    expect(shipInstant(open, at('2026-10-31T17:59:00Z'))?.cutoff_at).toBe('2026-10-31T18:00:00.000Z');
    expect(shipInstant(open, at('2026-11-01T18:59:00Z'))).toMatchObject({
      ship_date: '2026-11-01',
      cutoff_at: '2026-11-01T19:00:00.000Z',
      countdown_ms: 60_000,
    });
    expect(shipInstant(open, at('2026-11-01T19:01:00Z'))?.ship_date).toBe('2026-11-02');
    // A countdown across the change is real elapsed time: Friday 14:01 EST → Monday 14:00 EDT.
    expect(shipInstant(nj, at('2026-03-06T19:01:00Z'))).toMatchObject({
      ship_date: '2026-03-09',
      cutoff_at: '2026-03-09T18:00:00.000Z',
      countdown_ms: 3 * 86_400_000 - 3_600_000 - 60_000,
    });
  });

  it('gives two locations in different zones different ship dates for the same instant', () => {
    const now = at('2026-11-17T21:30:00Z'); // 16:30 in New Jersey, 13:30 in Los Angeles
    expect(shipInstant(nj, now)?.ship_date).toBe('2026-11-18');
    expect(shipInstant(la, now)?.ship_date).toBe('2026-11-17');
  });

  it('adds processing days as working days after the accepting cut-off', () => {
    const slow = { ...la, processing_days: 2 };
    // Accepted Thursday 11-19; Friday is day 1, Monday day 2.
    expect(shipInstant(slow, at('2026-11-19T20:00:00Z'))).toMatchObject({
      accept_date: '2026-11-19',
      ship_date: '2026-11-23',
      cutoff_at: '2026-11-19T22:00:00.000Z',
    });
  });

  it('ships nothing on a day without a cut-off, and nothing at all without any', () => {
    expect(shipInstant({ ...la, cutoffs: { wed: '10:00' } }, at('2026-11-17T21:59:00Z'))?.ship_date).toBe(
      '2026-11-18',
    );
    expect(shipInstant({ ...la, cutoffs: {} }, at('2026-11-17T21:59:00Z'))).toBeUndefined();
  });
});

describe('deliveryDate: transit business days', () => {
  it('counts day 1 as the day after shipping', () => {
    expect(deliveryDate(ground, '2026-11-17', 1)).toBe('2026-11-18');
    expect(deliveryDate(ground, '2026-11-17', 3)).toBe('2026-11-20');
  });

  it('skips a weekend and a carrier holiday', () => {
    // Wednesday 11-25 + 2: Thanksgiving does not count, Friday is day 1, the weekend does not, Monday day 2.
    expect(deliveryDate(ground, '2026-11-25', 2)).toBe('2026-11-30');
    // Christmas Friday: Thursday 12-24 + 1 → Monday 12-28.
    expect(deliveryDate(ground, '2026-12-24', 1)).toBe('2026-12-28');
  });

  it('delivers on Saturday when the service delivers Saturdays', () => {
    const saturday = { ...ground, delivery_weekdays: [...ground.delivery_weekdays, 'sat' as const] };
    expect(deliveryDate(saturday, '2026-11-19', 2)).toBe('2026-11-21');
    expect(deliveryDate(ground, '2026-11-19', 2)).toBe('2026-11-23');
  });

  it('waits for pickup when the location ships on a carrier holiday', () => {
    // Handed over on Thanksgiving: picked up Friday, day 1 is Monday.
    expect(deliveryDate(ground, '2026-11-26', 1)).toBe('2026-11-30');
  });

  it('delivers same-day services on the pickup day', () => {
    expect(deliveryDate({ ...ground, transit_days_by_zone: zones(0) }, '2026-11-17', 1)).toBe('2026-11-17');
  });
});

describe('promiseText', () => {
  it('reads "Order within 2 h 13 min for delivery Tuesday, Nov 24"', () => {
    // Monday 2026-11-23 11:47 in Los Angeles; ground to zone 1 is one day.
    const promise = promiseFor(la, ground, 1, at('2026-11-23T19:47:00Z'));
    expect(promise?.delivery_date).toBe('2026-11-24');
    expect(promise?.text).toBe('Order within 2 h 13 min for delivery Tuesday, Nov 24');
  });

  it('rounds the countdown down and names longer waits in days', () => {
    expect(formatCountdown(59_999)).toBe('less than a minute');
    expect(formatCountdown(45 * 60_000 + 59_000)).toBe('45 min');
    expect(formatCountdown(2 * 3_600_000)).toBe('2 h');
    expect(formatCountdown(27 * 3_600_000 + 5 * 60_000)).toBe('1 d 3 h');
    expect(promiseText({ countdown_ms: 60_000 }, '2027-01-04')).toBe(
      'Order within 1 min for delivery Monday, Jan 4',
    );
  });
});
