import { addDays, type LocalDate, localDateTime } from '../network/calendar.ts';
import { haversineMiles, type Point } from '../network/geo.ts';
import { amount, cancelledValue, cents, type MoneyLine } from '../orders/totals.ts';

/**
 * The pure rules of returns: whether an order can still be returned, what a return refunds and
 * where it goes back to. Money is computed in integer cents; the clock is always an argument.
 */

export const RETURN_REASONS = [
  'damaged',
  'defective',
  'wrong_item',
  'not_as_described',
  'no_longer_needed',
  'changed_mind',
  'too_small',
  'too_large',
  'other',
] as const;
export type ReturnReason = (typeof RETURN_REASONS)[number];

/** The merchant's fault: the customer should not pay to restock what was wrong when it arrived. */
export const FEE_WAIVED_REASONS = [
  'damaged',
  'defective',
  'wrong_item',
  'not_as_described',
] as const satisfies readonly ReturnReason[];

// ── eligibility ──────────────────────────────────────────────────────────────────────────────

export type EligibilityInput = {
  delivered_at: string | null;
  shipped_at: string | null;
  now: Date;
  window_days: number;
  /** The tenant's IANA zone: customers count days on their calendar, not in UTC. */
  time_zone: string;
  final_sale: boolean;
};

export type Eligibility =
  | { eligible: true; deadline: LocalDate }
  | {
      eligible: false;
      reason: 'final_sale' | 'window_closed' | 'not_shipped';
      detail: string;
      deadline?: LocalDate;
    };

function instant(iso: string, field: string): Date {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw new RangeError(`${field} is not a timestamp: ${iso}`);
  return d;
}

/**
 * Whether a return may be requested at `now`. The window counts whole calendar days in the
 * tenant's time zone from the day of delivery (or of shipping while no delivery is known), so
 * the hour of delivery and of the request never matter: with 30 days, delivered on day D, the
 * last day to ask is D + 30. `deadline` is that last local date.
 */
export function eligibility(input: EligibilityInput): Eligibility {
  if (!Number.isInteger(input.window_days) || input.window_days < 0) {
    throw new RangeError(`window_days must be a whole number of days, not ${input.window_days}.`);
  }
  if (input.final_sale) {
    return { eligible: false, reason: 'final_sale', detail: 'Final-sale items cannot be returned.' };
  }
  const start = input.delivered_at
    ? { at: instant(input.delivered_at, 'delivered_at'), event: 'delivered' }
    : input.shipped_at
      ? { at: instant(input.shipped_at, 'shipped_at'), event: 'shipped' }
      : undefined;
  if (!start) {
    return {
      eligible: false,
      reason: 'not_shipped',
      detail: 'Nothing has shipped yet: cancel the order instead of returning it.',
    };
  }
  const startDay = localDateTime(start.at, input.time_zone).date;
  const deadline = addDays(startDay, input.window_days);
  const today = localDateTime(input.now, input.time_zone).date;
  if (today > deadline) {
    return {
      eligible: false,
      reason: 'window_closed',
      detail: `The ${input.window_days}-day return window closed on ${deadline} (${start.event} on ${startDay}).`,
      deadline,
    };
  }
  return { eligible: true, deadline };
}

// ── refund amounts ───────────────────────────────────────────────────────────────────────────

/**
 * What returning `units` more units of a line refunds, in currency units: their price net of their
 * share of the line's discount, plus their share of its tax. `line` is the line's money net of any
 * cancellation (`remainingLine` in orders/totals.ts), and `refunded_by_returns_units` counts the
 * units earlier returns already refunded. Shares are cumulative, as in `cancelledValue`, so
 * returning a line in any number of steps refunds exactly its total, no cent more or less.
 */
export function refundFor(input: {
  line: MoneyLine & { refunded_by_returns_units: number };
  units: number;
}): number {
  return amount(refundCents(input.line, input.line.refunded_by_returns_units, input.units));
}

function refundCents(line: MoneyLine, returnedBefore: number, units: number): number {
  const whole = (n: number) => Number.isInteger(n) && n >= 0;
  if (!whole(returnedBefore) || !whole(units) || returnedBefore + units > line.quantity) {
    throw new RangeError(
      `Cannot return ${units} more of ${line.quantity} units when ${returnedBefore} were already returned.`,
    );
  }
  // A discount larger than the price would make a returned unit worth less than nothing.
  if (cents(line.discount) > cents(line.unit_price) * line.quantity) {
    throw new RangeError(`A line's discount (${line.discount}) cannot exceed its price.`);
  }
  return cents(cancelledValue(line, returnedBefore + units)) - cents(cancelledValue(line, returnedBefore));
}

export type ShippingRefundRule = 'never' | 'when_all_returned' | 'always';

export type RefundInput = {
  lines: (MoneyLine & { line_no: number; already_returned: number; units: number })[];
  order_shipping: number;
  /**
   * Shipping earlier returns (or a cancellation) already refunded: shipping is paid once per order,
   * so it is refunded at most once in total, whatever the number of returns.
   */
  shipping_refunded_before: number;
  shipping_rule: ShippingRefundRule;
  /** Whether every unit of the order is returned (or cancelled) once this return is counted. */
  everything_returned_after: boolean;
  /** `percent` of the items' refund, with at most two decimals; `min` in currency units. */
  restocking_fee: { percent: number; min?: number } | null;
  /** The reason is the merchant's fault (see FEE_WAIVED_REASONS). */
  reason_waives_fee: boolean;
};

export type Refund = {
  lines: { line_no: number; units: number; amount: number }[];
  items: number;
  shipping: number;
  restocking_fee: number;
  total: number;
};

/**
 * Half-up to a cent in integer arithmetic (the percent as basis points), so 15% of 10.50 is
 * exactly 1.58 and never 1.57 because of binary floating point.
 */
function percentOfCents(valueCents: number, percent: number): number {
  if (!(percent >= 0 && percent <= 100)) throw new RangeError(`A percent is 0 to 100, not ${percent}.`);
  return Math.floor((valueCents * Math.round(percent * 100) + 5_000) / 10_000);
}

/**
 * What a return refunds: each line's units (see refundFor), the shipping the rule allows, less a
 * restocking fee unless the reason is the merchant's fault. The fee is never more than the items'
 * refund, so the total is never negative and shipping owed is never eaten by the fee.
 */
export function computeRefund(input: RefundInput): Refund {
  const lines = input.lines.map((l) => ({
    line_no: l.line_no,
    units: l.units,
    cents: refundCents(l, l.already_returned, l.units),
  }));
  const items = lines.reduce((sum, l) => sum + l.cents, 0);

  const shippingLeft = Math.max(0, cents(input.order_shipping) - cents(input.shipping_refunded_before));
  const refundsShipping =
    input.shipping_rule === 'always' ||
    (input.shipping_rule === 'when_all_returned' && input.everything_returned_after);
  const shipping = refundsShipping ? shippingLeft : 0;

  const policy = input.reason_waives_fee ? null : input.restocking_fee;
  const fee = policy
    ? Math.min(items, Math.max(percentOfCents(items, policy.percent), cents(policy.min ?? 0)))
    : 0;

  return {
    lines: lines.map((l) => ({ line_no: l.line_no, units: l.units, amount: amount(l.cents) })),
    items: amount(items),
    shipping: amount(shipping),
    restocking_fee: amount(fee),
    total: amount(items + shipping - fee),
  };
}

// ── where returns go ─────────────────────────────────────────────────────────────────────────

export type ReturnLocation = {
  location_id: string;
  active: boolean;
  accepts_returns: boolean;
  latitude: number | null;
  longitude: number | null;
};

/**
 * The closest active location that takes returns, by great-circle distance (miles rounded to 0.1
 * as in the zone tables). Equal distances go to the smaller location_id so the answer is stable
 * whatever order the locations come in. Null when none qualifies.
 */
export function nearestReturnLocation(
  locations: readonly ReturnLocation[],
  from: Point,
): { location_id: string; distance_miles: number } | null {
  let best: { location_id: string; miles: number } | null = null;
  for (const l of locations) {
    if (!l.active || !l.accepts_returns || l.latitude === null || l.longitude === null) continue;
    const miles = haversineMiles(from, { latitude: l.latitude, longitude: l.longitude });
    if (!best || miles < best.miles || (miles === best.miles && l.location_id < best.location_id)) {
      best = { location_id: l.location_id, miles };
    }
  }
  return best && { location_id: best.location_id, distance_miles: Math.round(best.miles * 10) / 10 };
}
