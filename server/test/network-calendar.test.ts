import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  DEFAULT_CARRIER_HOLIDAYS,
  isCarrierHoliday,
  isDeliveryDay,
  isLocationHoliday,
  isValidDate,
  isValidHolidayRule,
  isValidTimeZone,
  isWorkingDay,
  localDateTime,
  weekdayOf,
  zonedInstant,
} from '../src/modules/network/calendar.ts';

const weekdays = { mon: '14:00', tue: '14:00', wed: '14:00', thu: '14:00', fri: '14:00' };
const nj = { cutoffs: weekdays, holiday_calendar: { country: 'US', region: 'NJ' } };

describe('dates', () => {
  it('knows weekdays, adds days across months and years, and checks dates', () => {
    expect(weekdayOf('2026-11-26')).toBe('thu');
    expect(weekdayOf('2026-07-04')).toBe('sat');
    expect(weekdayOf('2027-01-03')).toBe('sun');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(isValidDate('2026-02-29')).toBe(false);
    expect(isValidDate('2028-02-29')).toBe(true);
    expect(isValidDate('2026-1-01')).toBe(false);
  });

  it('validates IANA time zones with Intl', () => {
    expect(isValidTimeZone('America/New_York')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
  });

  it('reads an instant as a local date and time in a location’s zone', () => {
    // 03:30 UTC on the 27th is still the evening of Thanksgiving in Los Angeles.
    const instant = new Date('2026-11-27T03:30:00Z');
    expect(localDateTime(instant, 'America/Los_Angeles')).toMatchObject({
      date: '2026-11-26',
      time: '19:30',
      weekday: 'thu',
    });
    expect(localDateTime(instant, 'America/New_York')).toMatchObject({ date: '2026-11-26', time: '22:30' });
  });

  it('finds the instant of a local cut-off, in summer and winter time', () => {
    expect(zonedInstant('2026-07-01', '14:00', 'America/New_York').toISOString()).toBe(
      '2026-07-01T18:00:00.000Z',
    );
    expect(zonedInstant('2026-12-01', '14:00', 'America/New_York').toISOString()).toBe(
      '2026-12-01T19:00:00.000Z',
    );
    expect(zonedInstant('2026-12-01', '14:00', 'Asia/Kolkata').toISOString()).toBe(
      '2026-12-01T08:30:00.000Z',
    );
    // The day clocks go forward (8 March 2026 in the US) a 14:00 cut-off is still 14:00 local.
    expect(zonedInstant('2026-03-08', '14:00', 'America/Chicago').toISOString()).toBe(
      '2026-03-08T19:00:00.000Z',
    );
  });
});

describe('location holidays (date-holidays, public holidays)', () => {
  it('closes on Thanksgiving, Christmas and New Year', () => {
    expect(isLocationHoliday('2026-11-26', nj.holiday_calendar)).toBe(true);
    expect(isLocationHoliday('2026-12-25', nj.holiday_calendar)).toBe(true);
    expect(isLocationHoliday('2027-01-01', nj.holiday_calendar)).toBe(true);
    expect(isLocationHoliday('2026-11-25', nj.holiday_calendar)).toBe(false);
  });

  it('observes July 4th 2026, a Saturday, on Friday July 3rd', () => {
    expect(weekdayOf('2026-07-04')).toBe('sat');
    expect(isLocationHoliday('2026-07-03', nj.holiday_calendar)).toBe(true);
    expect(isWorkingDay('2026-07-03', nj)).toBe(false);
    expect(isWorkingDay('2026-07-02', nj)).toBe(true);
    expect(isWorkingDay('2026-07-06', nj)).toBe(true);
  });

  it('observes a Sunday holiday on the Monday after (Christmas 2022)', () => {
    expect(isWorkingDay('2022-12-26', nj)).toBe(false);
  });

  it('lets a location work on holidays it names, and close on its own extra dates', () => {
    const working = { country: 'US', ignore_holidays: ['Columbus Day', 'Veterans Day'] };
    expect(isLocationHoliday('2026-10-12', { country: 'US' })).toBe(true);
    expect(isLocationHoliday('2026-10-12', working)).toBe(false);
    expect(isLocationHoliday('2026-11-11', working)).toBe(false);
    expect(isLocationHoliday('2026-11-26', working)).toBe(true);
    const closed = { country: 'US', extra_closed_dates: ['2026-12-24'] };
    expect(isLocationHoliday('2026-12-24', closed)).toBe(true);
    expect(isLocationHoliday('2026-12-24', { country: 'US' })).toBe(false);
  });

  it('has no holidays without a calendar, and regional ones with a region', () => {
    expect(isLocationHoliday('2026-12-25', null)).toBe(false);
    // Québec's Fête nationale is a public holiday there, not in Ontario.
    expect(isLocationHoliday('2026-06-24', { country: 'CA', region: 'QC' })).toBe(true);
    expect(isLocationHoliday('2026-06-24', { country: 'CA', region: 'ON' })).toBe(false);
  });
});

describe('working days', () => {
  it('works only on weekdays with a cut-off that are not holidays', () => {
    expect(isWorkingDay('2026-11-24', nj)).toBe(true);
    expect(isWorkingDay('2026-11-26', nj)).toBe(false);
    expect(isWorkingDay('2026-11-28', nj)).toBe(false);
    expect(isWorkingDay('2026-11-29', nj)).toBe(false);
    const saturdays = { cutoffs: { ...weekdays, sat: '10:00' }, holiday_calendar: null };
    expect(isWorkingDay('2026-11-28', saturdays)).toBe(true);
    expect(isWorkingDay('2026-11-26', saturdays)).toBe(true);
  });
});

describe('carrier holidays (own rules, not the public calendar)', () => {
  const carrier = { holidays: DEFAULT_CARRIER_HOLIDAYS };

  it('covers New Year, Memorial Day, Independence Day, Labor Day, Thanksgiving and Christmas', () => {
    for (const date of ['2026-01-01', '2026-05-25', '2026-07-04', '2026-09-07', '2026-11-26', '2026-12-25']) {
      expect(isCarrierHoliday(date, carrier), date).toBe(true);
    }
  });

  it('delivers on Columbus Day and Veterans Day, which date-holidays lists as public holidays', () => {
    expect(isCarrierHoliday('2026-10-12', carrier)).toBe(false);
    expect(isCarrierHoliday('2026-11-11', carrier)).toBe(false);
    expect(isLocationHoliday('2026-11-11', { country: 'US' })).toBe(true);
  });

  it('adds the observed weekday when a holiday falls on a weekend, across a year end', () => {
    expect(isCarrierHoliday('2026-07-03', carrier)).toBe(true);
    expect(isCarrierHoliday('2027-12-24', carrier)).toBe(true);
    // 1 January 2028 is a Saturday, observed on Friday 31 December 2027.
    expect(isCarrierHoliday('2027-12-31', carrier)).toBe(true);
    expect(isCarrierHoliday('2026-12-31', carrier)).toBe(false);
  });

  it('delivers on its delivery weekdays only, skipping holidays', () => {
    const ground = { ...carrier, delivery_weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'] as const };
    expect(isDeliveryDay('2026-11-25', ground)).toBe(true);
    expect(isDeliveryDay('2026-11-26', ground)).toBe(false);
    expect(isDeliveryDay('2026-11-28', ground)).toBe(false);
    const withSaturday = {
      ...carrier,
      delivery_weekdays: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const,
    };
    expect(isDeliveryDay('2026-11-28', withSaturday)).toBe(true);
  });

  it('accepts date-holidays rules and refuses what it cannot read', () => {
    expect(isValidHolidayRule('4th thursday in November')).toBe(true);
    expect(isValidHolidayRule('12-25')).toBe(true);
    expect(isValidHolidayRule('12-24 if sunday then next monday')).toBe(true);
    expect(isValidHolidayRule('the day the truck broke down')).toBe(false);
    expect(isValidHolidayRule('13-45')).toBe(false);
  });
});

describe('localDateTime', () => {
  const ZONES = [
    'America/New_York',
    'America/Los_Angeles',
    'Europe/London',
    'Asia/Kathmandu',
    'Australia/Lord_Howe',
    'Pacific/Chatham',
    'UTC',
  ];
  const byIntl = (instant: Date, timeZone: string) => {
    const p = Object.fromEntries(
      new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      })
        .formatToParts(instant)
        .map((x) => [x.type, x.value]),
    );
    return {
      date: `${p.year}-${p.month}-${p.day}`,
      time: `${p.hour}:${p.minute}`,
      seconds: Number(p.second),
    };
  };

  it('agrees with Intl for any instant, across DST changes and odd offsets', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) }),
        fc.constantFrom(...ZONES),
        (ms, zone) => {
          const { weekday: _w, ...ours } = localDateTime(new Date(ms), zone);
          expect(ours).toEqual(byIntl(new Date(ms), zone));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('is right on both sides of a spring-forward and a fall-back', () => {
    // New York: 2026-03-08 02:00 → 03:00, 2026-11-01 02:00 → 01:00.
    for (const iso of [
      '2026-03-08T06:59:59Z',
      '2026-03-08T07:00:00Z',
      '2026-11-01T05:59:59Z',
      '2026-11-01T06:00:00Z',
    ]) {
      const { weekday: _w, ...ours } = localDateTime(new Date(iso), 'America/New_York');
      expect(ours, iso).toEqual(byIntl(new Date(iso), 'America/New_York'));
    }
  });
});
