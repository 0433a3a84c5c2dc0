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
  const ship = shipDateAfter(location, accept.date);
  if (ship === undefined) return undefined;
  return {
    accept_date: accept.date,
    ship_date: ship,
    cutoff_at: accept.cutoff.toISOString(),
    countdown_ms: accept.cutoff.getTime() - now.getTime(),
  };
}

/** `processing_days` working days after the accept date; undefined past the look-ahead. */
function shipDateAfter(location: ShippingLocation, acceptDate: LocalDate): LocalDate | undefined {
  let ship = acceptDate;
  for (let left = location.processing_days, i = 0; left > 0; i++) {
    if (i > LOOKAHEAD_DAYS_MAX) return undefined;
    ship = addDays(ship, 1);
    if (isWorkingDay(ship, location)) left--;
  }
  return ship;
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

// ── remembered answers, for the planner ─────────────────────────────────────────────────────
// The planner asks the same questions for every order: when does this kind of location ship
// today, when does this service deliver from that day. The answers depend only on the settings
// named by the caller's key and on the local day (not the instant), so they are kept here,
// bounded like the calendar's caches, and every answer equals the plain function's.
const MEMO_ENTRIES_MAX = 5_000;
type Cutoff = { date: LocalDate; at_ms: number; at: string };
/** Per settings key: its cut-offs from one local day on, found so far, and ship dates by accept date. */
type SlotMemo = {
  today: LocalDate;
  cutoffs: Cutoff[];
  next_day: number;
  ships: Map<LocalDate, LocalDate | null>;
};
const slotMemo = new Map<string, SlotMemo>();
/** Per settings key and ship date: the delivery date by zone (null: none). */
const deliveryMemo = new Map<string, Map<LocalDate, (LocalDate | null)[]>>();

function remember<V>(memo: Map<string, V>, key: string, value: V): V {
  if (memo.size >= MEMO_ENTRIES_MAX) memo.clear();
  memo.set(key, value);
  return value;
}

/**
 * `shipInstant(location, now)`, for a location whose time zone, cut-offs, processing days and
 * holiday calendar `settingsKey` names. The working days' cut-offs from the local day on are
 * computed once per key and day (the latest day asked), then only compared with `now`.
 */
export function shipInstantMemo(
  settingsKey: string,
  location: ShippingLocation,
  now: Date,
  /** The local day at `now` in the location's time zone, if the caller has it. */
  today: LocalDate = localDateTime(now, location.time_zone).date,
): ShipSlot | undefined {
  let memo = slotMemo.get(settingsKey);
  if (memo?.today !== today)
    memo = remember(slotMemo, settingsKey, { today, cutoffs: [], next_day: 0, ships: new Map() });
  const t = now.getTime();
  let accept: Cutoff | undefined;
  for (const c of memo.cutoffs) {
    if (t < c.at_ms) {
      accept = c;
      break;
    }
  }
  while (!accept && memo.next_day <= LOOKAHEAD_DAYS_MAX) {
    const date = addDays(today, memo.next_day++);
    const time = location.cutoffs[weekdayOf(date)];
    if (time === undefined || !isWorkingDay(date, location)) continue;
    const cutoff = zonedInstant(date, time, location.time_zone);
    const entry = { date, at_ms: cutoff.getTime(), at: cutoff.toISOString() };
    memo.cutoffs.push(entry);
    if (t < entry.at_ms) accept = entry;
  }
  if (!accept) return undefined;
  let ship = memo.ships.get(accept.date);
  if (ship === undefined) {
    ship = shipDateAfter(location, accept.date) ?? null;
    memo.ships.set(accept.date, ship);
  }
  if (ship === null) return undefined;
  return { accept_date: accept.date, ship_date: ship, cutoff_at: accept.at, countdown_ms: accept.at_ms - t };
}

/**
 * `deliveryDate(service, shipDate, zone)` for a service whose transit days, delivery weekdays
 * and holidays `settingsKey` names.
 */
export function deliveryDateMemo(
  settingsKey: string,
  service: DeliveryService,
  shipDate: LocalDate,
  zone: Zone,
): LocalDate | undefined {
  const byShipDate =
    deliveryMemo.get(settingsKey) ??
    remember(deliveryMemo, settingsKey, new Map<LocalDate, (LocalDate | null)[]>());
  let byZone = byShipDate.get(shipDate);
  if (!byZone) {
    // Bounded too: a long run meets a new ship date every working day.
    if (byShipDate.size >= MEMO_ENTRIES_MAX) byShipDate.clear();
    byZone = [];
    byShipDate.set(shipDate, byZone);
  }
  let day = byZone[zone];
  if (day === undefined) {
    day = deliveryDate(service, shipDate, zone) ?? null;
    byZone[zone] = day;
  }
  return day ?? undefined;
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

// Every plan's promise text names a delivery date, and plans name the same few dates all day.
const formattedDates = new Map<LocalDate, string>();

/** "Tuesday, Nov 24" — read from the date string itself, so no time zone can shift it. */
export function formatLocalDate(date: LocalDate): string {
  const known = formattedDates.get(date);
  if (known !== undefined) return known;
  const [, month, day] = date.split('-').map(Number) as [number, number, number];
  return remember(formattedDates, date, `${WEEKDAY_NAMES[weekdayOf(date)]}, ${MONTHS[month - 1]} ${day}`);
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
