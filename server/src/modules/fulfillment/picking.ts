import { type LocalDate, localDateTime, weekdayOf } from '../network/calendar.ts';
import type { Location } from '../network/schema.ts';

/**
 * Pure rules for a fulfillment order: how it is picked, how urgent it is, and whether it is late.
 * A location's time is its own time zone's wall clock.
 */

/** Lines from which a multi-line order is picked in a batch rather than one item at a time. */
export const BATCH_LINES = 3;

type Picker = Pick<Location, 'picking_method'>;

/**
 * A location that works by zones always picks by zone; a single unit is a single-item pick; an
 * order with many lines goes to the location's batch or wave pick (batch if it has none).
 */
export function pickingMethod(location: Picker, items: readonly { quantity: number }[]) {
  if (location.picking_method === 'zone') return 'zone';
  const units = items.reduce((s, i) => s + i.quantity, 0);
  if (units <= 1) return 'single';
  if (location.picking_method === 'batch' || location.picking_method === 'wave')
    return location.picking_method;
  return items.length >= BATCH_LINES ? 'batch' : 'single';
}

type Clock = Pick<Location, 'time_zone' | 'cutoffs'>;

/** The location's cut-off on a day (end of day when it has none that weekday). */
const cutoffOn = (location: Clock, date: LocalDate) => location.cutoffs[weekdayOf(date)] ?? '23:59';

/** Urgent: it must ship today (or should have already), at the location's own clock. */
export function priority(location: Clock, shipBy: LocalDate, now: Date): 'urgent' | 'normal' {
  return shipBy <= localDateTime(now, location.time_zone).date ? 'urgent' : 'normal';
}

/**
 * Late: not shipped and the cut-off of its ship-by day has passed at the location, so it cannot
 * leave on the day its promise was made for.
 */
export function lateness(location: Clock, shipBy: LocalDate, now: Date): string | null {
  const local = localDateTime(now, location.time_zone);
  const cutoff = cutoffOn(location, shipBy);
  if (local.date < shipBy || (local.date === shipBy && local.time < cutoff)) return null;
  return `Due to ship by ${cutoff} on ${shipBy} (${location.time_zone}); not shipped at ${local.date} ${local.time}.`;
}

/** At risk: the carrier now expects to deliver after the date the customer was promised. */
export function trackingRisk(
  promised: LocalDate,
  shipments: readonly {
    estimated_delivery_date: string | null;
    status: string;
    tracking_numbers: string[];
  }[],
): string | null {
  const late = shipments.find(
    (s) =>
      s.status !== 'delivered' && s.estimated_delivery_date !== null && s.estimated_delivery_date > promised,
  );
  if (!late) return null;
  return `Tracking ${late.tracking_numbers[0]} now expects delivery on ${late.estimated_delivery_date}, after the promised ${promised}.`;
}
