import Holidays, { type HolidaysTypes } from 'date-holidays';

/**
 * Pure calendar arithmetic for locations and carriers. Dates are `YYYY-MM-DD` strings meaning a
 * day in some place's own time zone; converting an instant to that day is done with Intl.
 */

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export type LocalDate = string;

export type HolidayCalendar = {
  country: string;
  region?: string | undefined;
  /** Holidays of the library's calendar this place works on anyway (e.g. "Columbus Day"). */
  ignore_holidays?: string[] | undefined;
  extra_closed_dates?: string[] | undefined;
};

/**
 * Carriers' own list: date-holidays' US calendar has Columbus Day and Veterans Day, on which the
 * big parcel carriers deliver. "and if …" keeps the day itself and adds the observed weekday.
 */
export const DEFAULT_CARRIER_HOLIDAYS = [
  '01-01 and if saturday then previous friday if sunday then next monday',
  'monday before 06-01',
  '07-04 and if saturday then previous friday if sunday then next monday',
  '1st monday in September',
  '4th thursday in November',
  '12-25 and if saturday then previous friday if sunday then next monday',
];

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// Cached holiday sets per calendar and year; cleared when full so memory stays bounded.
const CACHE_ENTRIES_MAX = 2000;
const cache = new Map<string, ReadonlySet<string>>();

function toUtc(date: LocalDate): Date {
  const m = DATE.exec(date);
  if (!m) throw new RangeError(`Not a YYYY-MM-DD date: ${date}`);
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
}

export function isValidDate(date: string): boolean {
  const m = DATE.exec(date);
  return !!m && toUtc(date).toISOString().slice(0, 10) === date;
}

export function weekdayOf(date: LocalDate): Weekday {
  return WEEKDAYS[(toUtc(date).getUTCDay() + 6) % 7]!;
}

export function addDays(date: LocalDate, days: number): LocalDate {
  const d = toUtc(date);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string) {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

// Every time zone in use changes its offset only on a quarter hour, so the offset found for one
// instant holds for its whole quarter hour: Intl is asked once per zone and quarter hour, and the
// rest is arithmetic. (Intl's formatToParts is what the planner spent most of its time on.)
const QUARTER_HOUR_MS = 900_000;
const OFFSETS_MAX = 50_000;
const offsets = new Map<string, number>();

function offsetAt(instantMs: number, timeZone: string): number {
  const start = Math.floor(instantMs / QUARTER_HOUR_MS) * QUARTER_HOUR_MS;
  const key = `${timeZone}|${start}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const p = Object.fromEntries(
      formatter(timeZone)
        .formatToParts(new Date(start))
        .map((x) => [x.type, Number(x.value)]),
    ) as Record<string, number>;
    offset = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - start;
    if (offsets.size >= OFFSETS_MAX) offsets.clear();
    offsets.set(key, offset);
  }
  return offset;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The wall-clock day, time and weekday of an instant in a time zone. */
export function localDateTime(instant: Date, timeZone: string) {
  const wall = new Date(instant.getTime() + offsetAt(instant.getTime(), timeZone));
  const date = wall.toISOString().slice(0, 10);
  return {
    date,
    time: `${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}`,
    seconds: wall.getUTCSeconds(),
    weekday: weekdayOf(date),
  };
}

// The local day per time zone. The UTC offset is read at both ends of a 6-hour window; equal
// offsets mean no change in between (zones change their offset twice a year at most), so the
// local day of any instant in the window is arithmetic, without building a localDateTime. The
// day last found is kept with the instants it holds for, which most calls fall within.
const OFFSET_WINDOW_MS = 6 * 3_600_000;
const OFFSET_WINDOWS_MAX = 1000;
const DAY_MS = 86_400_000;
type OffsetWindow = {
  start: number;
  offset_ms: number | null;
  day: string;
  day_from: number;
  day_to: number;
};
const offsetWindows = new Map<string, OffsetWindow>();
function offsetAtMs(t: number, timeZone: string): number {
  const l = localDateTime(new Date(t), timeZone);
  return Date.parse(`${l.date}T${l.time}:${String(l.seconds).padStart(2, '0')}Z`) - t;
}

/** The local date of an instant in a time zone: `localDateTime(now, timeZone).date`, faster. */
export function localDay(now: Date, timeZone: string): LocalDate {
  const t = now.getTime();
  const start = Math.floor(t / OFFSET_WINDOW_MS) * OFFSET_WINDOW_MS;
  let window = offsetWindows.get(timeZone);
  if (window?.start !== start) {
    const offset = offsetAtMs(start, timeZone);
    window = {
      start,
      offset_ms: offset === offsetAtMs(start + OFFSET_WINDOW_MS, timeZone) ? offset : null,
      day: '',
      day_from: 0,
      day_to: 0,
    };
    if (offsetWindows.size >= OFFSET_WINDOWS_MAX) offsetWindows.clear();
    offsetWindows.set(timeZone, window);
  }
  if (window.offset_ms === null) return localDateTime(now, timeZone).date;
  if (t >= window.day_from && t < window.day_to) return window.day;
  const wall = t + window.offset_ms;
  const midnight = wall - (((wall % DAY_MS) + DAY_MS) % DAY_MS) - window.offset_ms;
  window.day = new Date(wall).toISOString().slice(0, 10);
  window.day_from = Math.max(start, midnight);
  window.day_to = Math.min(start + OFFSET_WINDOW_MS, midnight + DAY_MS);
  return window.day;
}

/**
 * The instant a wall-clock time happens in a time zone (e.g. a cut-off). In a spring-forward gap
 * the time does not exist and the answer is the instant just after the gap, as clocks show it.
 */
export function zonedInstant(date: LocalDate, time: string, timeZone: string): Date {
  const [h, m] = time.split(':').map(Number) as [number, number];
  const wanted = toUtc(date).getTime() + (h * 60 + m) * 60_000;
  let guess = wanted;
  // Two corrections converge for every real offset; the local reading of `guess` tells the offset.
  for (let i = 0; i < 2; i++) {
    const local = localDateTime(new Date(guess), timeZone);
    const [lh, lm] = local.time.split(':').map(Number) as [number, number];
    const shown = toUtc(local.date).getTime() + (lh * 60 + lm) * 60_000 + local.seconds * 1000;
    guess += wanted - shown;
  }
  return new Date(guess);
}

function remember(key: string, build: () => Set<string>): ReadonlySet<string> {
  const hit = cache.get(key);
  if (hit) return hit;
  if (cache.size >= CACHE_ENTRIES_MAX) cache.clear();
  const value = build();
  cache.set(key, value);
  return value;
}

/** Every day a holiday covers, as local dates (a holiday may span several days). */
function datesOf(holidays: HolidaysTypes.Holiday[], skip: (name: string) => boolean) {
  const out = new Set<string>();
  for (const h of holidays) {
    if (skip(h.name)) continue;
    const first = h.date.slice(0, 10);
    const days = Math.max(1, Math.round((h.end.getTime() - h.start.getTime()) / 86_400_000));
    for (let i = 0; i < days; i++) out.add(addDays(first, i));
  }
  return out;
}

const baseName = (name: string) =>
  name
    .replace(/\s*\(substitute day\)$/i, '')
    .trim()
    .toLowerCase();

/** Whether date-holidays knows this country (and region), so a calendar can be built for it. */
export function isKnownCalendar(country: string, region?: string): boolean {
  const hd = new Holidays();
  if (!hd.getCountries('en')[country]) return false;
  return !region || !!hd.getStates(country, 'en')?.[region];
}

/** Public holidays' names in a calendar around a year, to check `ignore_holidays` against. */
export function holidayNames(country: string, region: string | undefined, year: number): Set<string> {
  const hd = region
    ? new Holidays(country, region, { types: ['public'] })
    : new Holidays(country, { types: ['public'] });
  const names = new Set<string>();
  for (const y of [year - 1, year, year + 1])
    for (const h of hd.getHolidays(y, 'en')) names.add(baseName(h.name));
  return names;
}

/** A location's closed days in a year: the library's public holidays (with observed days) and its own. */
export function locationHolidays(calendar: HolidayCalendar, year: number): ReadonlySet<string> {
  const key = JSON.stringify([
    'loc',
    calendar.country,
    calendar.region ?? '',
    calendar.ignore_holidays ?? [],
    year,
  ]);
  const days = remember(key, () => {
    const opts = { types: ['public' as const] };
    const hd = calendar.region
      ? new Holidays(calendar.country, calendar.region, opts)
      : new Holidays(calendar.country, opts);
    const ignored = new Set((calendar.ignore_holidays ?? []).map(baseName));
    return datesOf(hd.getHolidays(year, 'en'), (name) => ignored.has(baseName(name)));
  });
  return days;
}

export function isLocationHoliday(date: LocalDate, calendar: HolidayCalendar | null): boolean {
  if (!calendar) return false;
  if (calendar.extra_closed_dates?.includes(date)) return true;
  return locationHolidays(calendar, Number(date.slice(0, 4))).has(date);
}

/** A day the location ships: it has a cut-off that weekday and is not closed for a holiday. */
export function isWorkingDay(
  date: LocalDate,
  location: { cutoffs: Partial<Record<Weekday, string>>; holiday_calendar: HolidayCalendar | null },
): boolean {
  return (
    location.cutoffs[weekdayOf(date)] !== undefined && !isLocationHoliday(date, location.holiday_calendar)
  );
}

/** Whether date-holidays can read a rule such as "4th thursday in November" or "12-25". */
export function isValidHolidayRule(rule: string): boolean {
  // date-holidays rolls an impossible fixed date ("13-45") into another one; refuse it here.
  const fixed = /^(\d{2})-(\d{2})(?:\s|$)/.exec(rule.trim());
  if (fixed && !isValidDate(`2024-${fixed[1]}-${fixed[2]}`)) return false;
  // The library prints a refused rule to stderr; this is a validation answer, not a fault to log.
  const printError = console.error;
  console.error = () => undefined;
  try {
    return new Holidays().setHoliday(rule.trim(), { name: 'check', type: 'public' });
  } catch {
    return false;
  } finally {
    console.error = printError;
  }
}

/** The days a list of carrier rules covers in a year. */
export function carrierHolidays(rules: readonly string[], year: number): ReadonlySet<string> {
  return remember(JSON.stringify(['car', rules, year]), () => {
    const hd = new Holidays();
    for (const [i, rule] of rules.entries())
      hd.setHoliday(rule.trim(), { name: `rule ${i}`, type: 'public' });
    return datesOf(hd.getHolidays(year), () => false);
  });
}

export function isCarrierHoliday(date: LocalDate, carrier: { holidays: readonly string[] }): boolean {
  return carrierHolidays(carrier.holidays, Number(date.slice(0, 4))).has(date);
}

/** A day a carrier service delivers: one of its delivery weekdays and not a carrier holiday. */
export function isDeliveryDay(
  date: LocalDate,
  service: { delivery_weekdays: readonly Weekday[]; holidays: readonly string[] },
): boolean {
  return service.delivery_weekdays.includes(weekdayOf(date)) && !isCarrierHoliday(date, service);
}
