/**
 * Order money, in integer cents so sums are exact. Pure: capture checks the totals a channel sent
 * add up, and cancelling recomputes what is left and what is refunded.
 */

export type MoneyLine = { quantity: number; unit_price: number; discount: number; tax: number };

export type Totals = {
  subtotal: number;
  discount: number;
  tax: number;
  shipping: number;
  total: number;
};

export const cents = (amount: number) => Math.round(amount * 100);
export const amount = (c: number) => c / 100;

/** Whether a number has at most two decimals (what numeric(14, 2) keeps). */
export const hasCents = (x: number) => Math.abs(x * 100 - Math.round(x * 100)) < 1e-6;

const lineCents = (l: MoneyLine) => ({
  gross: cents(l.unit_price) * l.quantity,
  discount: cents(l.discount),
  tax: cents(l.tax),
});

/** Totals for lines and shipping, in currency units. */
export function computeTotals(lines: readonly MoneyLine[], shipping: number): Totals {
  let subtotal = 0;
  let discount = 0;
  let tax = 0;
  for (const l of lines) {
    const c = lineCents(l);
    subtotal += c.gross;
    discount += c.discount;
    tax += c.tax;
  }
  const ship = cents(shipping);
  return {
    subtotal: amount(subtotal),
    discount: amount(discount),
    tax: amount(tax),
    shipping: amount(ship),
    total: amount(subtotal - discount + tax + ship),
  };
}

/** The fields of `sent` that differ from what the lines add up to, with the expected value. */
export function totalsMismatch(sent: Totals, expected: Totals) {
  return (Object.keys(expected) as (keyof Totals)[])
    .filter((k) => cents(sent[k]) !== cents(expected[k]))
    .map((k) => ({ field: k, sent: sent[k], expected: expected[k] }));
}

/**
 * What the first `cancelled` of a line's units are worth, net of their share of the line's
 * discount plus their share of its tax. Shares are taken cumulatively, so cancelling a line in any
 * number of steps refunds exactly the line's total in the end, with no cent lost to rounding.
 */
export function cancelledValue(line: MoneyLine, cancelled: number): number {
  const c = lineCents(line);
  const share = (x: number) => Math.round((x * cancelled) / line.quantity);
  return amount(cents(line.unit_price) * cancelled - share(c.discount) + share(c.tax));
}

/** The line's money as it stands after `cancelled` units were cancelled. */
export function remainingLine(line: MoneyLine, cancelled: number): MoneyLine {
  const c = lineCents(line);
  const share = (x: number) => Math.round((x * cancelled) / line.quantity);
  return {
    quantity: line.quantity - cancelled,
    unit_price: line.unit_price,
    discount: amount(c.discount - share(c.discount)),
    tax: amount(c.tax - share(c.tax)),
  };
}
