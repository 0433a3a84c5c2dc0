import {
  addDays,
  type HolidayCalendar,
  isCarrierHoliday,
  isDeliveryDay,
  isWorkingDay,
  type LocalDate,
  localDateTime,
  type Weekday,
  weekdayOf,
  zonedInstant,
} from '../network/calendar.ts';
import type { Zone } from '../network/geo.ts';

/**
 * Pure delivery-promise arithmetic: no I/O and no clock (`now` is always an argument), and no
 * dependence on the process's TZ — every wall-clock reading goes through the place's IANA zone.
 */

export type ShippingLocation = {
  time_zone: string;
  cutoffs: Partial<Record<Weekday, string>>;
  processing_days: number;
  holiday_calendar: HolidayCalendar | null;
};

export type DeliveryService = {
  transit_days_by_zone: Record<`${Zone}`, number>;
  delivery_weekdays: readonly Weekday[];
  holidays: readonly string[];
};

export type ShipSlot = {
  /** The working day whose cut-off the order meets (the day it is accepted), local to the location. */
  accept_date: LocalDate;
  /** The local day the parcel leaves: `processing_days` working days after `accept_date`. */
  ship_date: LocalDate;
  /** The cut-off instant that was met (ISO, UTC). */
  cutoff_at: string;
  /** Milliseconds from `now` until `cutoff_at`; always > 0. */
  countdown_ms: number;
};

// A location with cut-offs but closed for a whole year is misconfigured; stop looking there.
const LOOKAHEAD_DAYS_MAX = 400;
// Transit ≤ 60 days (schema) over ≥ 1 delivery weekday, plus holidays, fits well inside this.
const TRANSIT_SCAN_DAYS_MAX = 1000;

/**
 * The first cut-off strictly after `now` on one of the location's working days (a cut-off at
 * 14:00 accepts orders up to 13:59:59.999 local time), then `processing_days` further working
 * days to the ship date. Undefined when the location has no working day within the look-ahead.
 */
export function shipInstant(location: ShippingLocation, now: Date): ShipSlot | undefined {
  const today = localDateTime(now, location.time_zone).date;
  let accept: { date: LocalDate; cutoff: Date } | undefined;
  for (let i = 0; i <= LOOKAHEAD_DAYS_MAX && !accept; i++) {
    const date = addDays(today, i);
    const time = location.cutoffs[weekdayOf(date)];
    if (time === undefined || !isWorkingDay(date, location)) continue;
    const cutoff = zonedInstant(date, time, location.time_zone);
    if (now.getTime() < cutoff.getTime()) accept = { date, cutoff };
  }
  if (!accept) return undefined;
  let ship = accept.date;
  for (let left = location.processing_days, i = 0; left > 0; i++) {
    if (i > LOOKAHEAD_DAYS_MAX) return undefined;
    ship = addDays(ship, 1);
    if (isWorkingDay(ship, location)) left--;
  }
  return {
    accept_date: accept.date,
    ship_date: ship,
    cutoff_at: accept.cutoff.toISOString(),
    countdown_ms: accept.cutoff.getTime() - now.getTime(),
  };
}

/**
 * The delivery date for a parcel handed over on `shipDate`. The carrier picks up on the first
 * day from `shipDate` that is not a carrier holiday; transit day 1 is the day after pickup (as
 * ground carriers count), and only the service's delivery weekdays that are not carrier holidays
 * count. Zero transit days means delivery on the pickup day if that is a delivery day, else the
 * next one. Undefined if no delivery day is found in the scan window (a misconfigured service).
 */
export function deliveryDate(
  service: DeliveryService,
  shipDate: LocalDate,
  zone: Zone,
): LocalDate | undefined {
  let day = shipDate;
  for (let i = 0; isCarrierHoliday(day, service); i++) {
    if (i > TRANSIT_SCAN_DAYS_MAX) return undefined;
    day = addDays(day, 1);
  }
  const transit = service.transit_days_by_zone[`${zone}`];
  if (transit === 0) {
    for (let i = 0; !isDeliveryDay(day, service); i++) {
      if (i > TRANSIT_SCAN_DAYS_MAX) return undefined;
      day = addDays(day, 1);
    }
    return day;
  }
  for (let left = transit, i = 0; left > 0; i++) {
    if (i > TRANSIT_SCAN_DAYS_MAX) return undefined;
    day = addDays(day, 1);
    if (isDeliveryDay(day, service)) left--;
  }
  return day;
}

/** Calendar days from `from` to `to` (both `YYYY-MM-DD`). */
export function daysBetween(from: LocalDate, to: LocalDate): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

const WEEKDAY_NAMES: Record<Weekday, string> = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
};
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Tuesday, Nov 24" — read from the date string itself, so no time zone can shift it. */
export function formatLocalDate(date: LocalDate): string {
  const [, month, day] = date.split('-').map(Number) as [number, number, number];
  return `${WEEKDAY_NAMES[weekdayOf(date)]}, ${MONTHS[month - 1]} ${day}`;
}

/**
 * "2 h 13 min", "45 min", "1 d 3 h". Rounded down: a countdown that overstates the time left
 * would promise what the cut-off cannot keep.
 */
export function formatCountdown(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return 'less than a minute';
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  return `${m} min`;
}

/**
 * "Order within 2 h 13 min for delivery Tuesday, Nov 24". The countdown is to the location's
 * cut-off, so it reads the same in any zone; the delivery date is a calendar day at the
 * destination (carriers deliver on the destination's day; transit is counted in whole dates, so
 * the day is not re-read in any zone).
 */
export function promiseText(slot: Pick<ShipSlot, 'countdown_ms'>, delivery: LocalDate): string {
  return `Order within ${formatCountdown(slot.countdown_ms)} for delivery ${formatLocalDate(delivery)}`;
}

/** Ship slot, delivery date and text in one call, for a location, a service and a zone. */
export function promiseFor(
  location: ShippingLocation,
  service: DeliveryService,
  zone: Zone,
  now: Date,
): { slot: ShipSlot; delivery_date: LocalDate; text: string } | undefined {
  const slot = shipInstant(location, now);
  if (!slot) return undefined;
  const delivery = deliveryDate(service, slot.ship_date, zone);
  if (!delivery) return undefined;
  return { slot, delivery_date: delivery, text: promiseText(slot, delivery) };
}
