import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canTransition,
  deriveStatus,
  type LineCounts,
  ORDER_STATUSES,
  type OrderFlags,
  type OrderStatus,
  TRANSITIONS,
} from '../src/modules/orders/status.ts';
import {
  cancelledValue,
  computeTotals,
  remainingLine,
  totalsMismatch,
} from '../src/modules/orders/totals.ts';

/** The order state machine and order money, as pure functions. */

const line = (over: Partial<LineCounts> = {}): LineCounts => ({
  quantity: 4,
  allocated: 0,
  backordered: 0,
  cancelled: 0,
  shipped: 0,
  delivered: 0,
  returned: 0,
  ...over,
});
const flags = (over: Partial<OrderFlags> = {}): OrderFlags => ({
  on_hold: false,
  released: false,
  failure: null,
  routed: true,
  ...over,
});

describe('deriveStatus', () => {
  const cases: [string, LineCounts[], Partial<OrderFlags>, OrderStatus][] = [
    ['not yet routed', [line({ backordered: 4 })], { routed: false }, 'received'],
    ['every unit reserved', [line({ allocated: 4 })], {}, 'allocated'],
    ['some reserved, some waiting', [line({ allocated: 1, backordered: 3 })], {}, 'partially_allocated'],
    ['all waiting', [line({ backordered: 4 })], {}, 'backordered'],
    ['nothing can route', [line({ backordered: 4 })], { failure: 'routing_failed' }, 'routing_failed'],
    ['stock kept moving', [line({ backordered: 4 })], { failure: 'allocation_failed' }, 'allocation_failed'],
    ['held', [line({ allocated: 4 })], { on_hold: true }, 'on_hold'],
    ['released', [line({ allocated: 4 })], { released: true }, 'in_fulfillment'],
    ['some shipped', [line({ allocated: 2, shipped: 2 })], { released: true }, 'partially_shipped'],
    ['held after shipping some', [line({ allocated: 2, shipped: 2 })], { on_hold: true }, 'on_hold'],
    ['all shipped', [line({ shipped: 4 })], { released: true }, 'shipped'],
    ['rest cancelled after shipping', [line({ shipped: 3, cancelled: 1 })], {}, 'shipped'],
    ['all delivered', [line({ shipped: 4, delivered: 4 })], {}, 'delivered'],
    ['some returned', [line({ shipped: 4, delivered: 4, returned: 1 })], {}, 'partially_returned'],
    ['all returned', [line({ shipped: 4, delivered: 4, returned: 4 })], {}, 'returned'],
    ['everything cancelled', [line({ cancelled: 4 })], { on_hold: true }, 'cancelled'],
    ['two lines, one cancelled', [line({ cancelled: 4 }), line({ allocated: 4 })], {}, 'allocated'],
  ];
  it.each(cases)('%s', (_name, lines, f, expected) => {
    expect(deriveStatus(lines, flags(f))).toBe(expected);
  });

  it('a failure flag does not hide stock already allocated', () => {
    expect(deriveStatus([line({ allocated: 1, backordered: 3 })], flags({ failure: 'routing_failed' }))).toBe(
      'partially_allocated',
    );
  });

  it('always answers a declared status, for any consistent counters and flags', () => {
    const counts = fc
      .record({
        allocated: fc.nat(5),
        backordered: fc.nat(5),
        cancelled: fc.nat(5),
        shipped: fc.nat(5),
        delivered: fc.nat(5),
        returned: fc.nat(5),
      })
      .filter((c) => c.allocated + c.backordered + c.cancelled + c.shipped > 0)
      .map((c) => {
        const shipped = c.shipped;
        return {
          ...c,
          quantity: c.allocated + c.backordered + c.cancelled + shipped,
          delivered: Math.min(c.delivered, shipped),
          returned: Math.min(c.returned, shipped),
        };
      });
    const anyFlags = fc.record({
      on_hold: fc.boolean(),
      released: fc.boolean(),
      failure: fc.constantFrom(null, 'routing_failed' as const, 'allocation_failed' as const),
      routed: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(counts, { minLength: 1, maxLength: 4 }), anyFlags, (lines, f) => {
        expect(ORDER_STATUSES).toContain(deriveStatus(lines, f));
      }),
    );
  });
});

describe('the transition table', () => {
  // Every edge the table declares, and the everyday paths an order takes along them.
  const paths: OrderStatus[][] = [
    [
      'received',
      'allocated',
      'in_fulfillment',
      'partially_shipped',
      'shipped',
      'delivered',
      'partially_returned',
      'returned',
    ],
    ['received', 'partially_allocated', 'allocated', 'on_hold', 'allocated', 'cancelled'],
    ['received', 'backordered', 'partially_allocated', 'in_fulfillment', 'shipped', 'returned'],
    ['received', 'routing_failed', 'allocated'],
    ['received', 'allocation_failed', 'backordered', 'cancelled'],
    ['allocated', 'backordered', 'on_hold', 'backordered'],
    ['in_fulfillment', 'on_hold', 'in_fulfillment', 'allocated'],
  ];
  it.each(paths.map((p) => [p.join(' → '), p]))('allows %s', (_n, path) => {
    for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1]!, path[i]!)).toBe(true);
  });

  const forbidden: [OrderStatus, OrderStatus][] = [
    ['cancelled', 'allocated'],
    ['returned', 'delivered'],
    ['shipped', 'allocated'],
    ['shipped', 'cancelled'],
    ['delivered', 'shipped'],
    ['backordered', 'shipped'],
    ['backordered', 'in_fulfillment'],
    ['received', 'shipped'],
    ['partially_shipped', 'cancelled'],
    ['partially_returned', 'delivered'],
  ];
  it.each(forbidden)('refuses %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });

  it('declares every status, names only declared statuses, and ends in the two terminal ones', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...ORDER_STATUSES].sort());
    for (const next of Object.values(TRANSITIONS)) for (const s of next) expect(ORDER_STATUSES).toContain(s);
    const terminal = ORDER_STATUSES.filter((s) => TRANSITIONS[s].length === 0);
    expect(terminal.sort()).toEqual(['cancelled', 'returned']);
  });
});

describe('order money', () => {
  const lines = [
    { quantity: 3, unit_price: 19.99, discount: 5, tax: 4.55 },
    { quantity: 1, unit_price: 120, discount: 0, tax: 9.6 },
  ];

  it('adds up lines and shipping in exact cents', () => {
    expect(computeTotals(lines, 7.5)).toEqual({
      subtotal: 179.97,
      discount: 5,
      tax: 14.15,
      shipping: 7.5,
      total: 196.62,
    });
    expect(computeTotals([{ quantity: 3, unit_price: 0.1, discount: 0, tax: 0 }], 0).subtotal).toBe(0.3);
  });

  it('names each total that does not add up, with the expected value', () => {
    const sent = { subtotal: 179.97, discount: 5, tax: 14, shipping: 7.5, total: 196.47 };
    expect(totalsMismatch(sent, computeTotals(lines, 7.5))).toEqual([
      { field: 'tax', sent: 14, expected: 14.15 },
      { field: 'total', sent: 196.47, expected: 196.62 },
    ]);
  });

  it('cancels a line pro rata: net of its discount share, plus its tax share', () => {
    // 1 of 3 units at 19.99: discount share 5/3 → 1.67, tax share 4.55/3 → 1.52.
    expect(cancelledValue(lines[0]!, 1)).toBe(19.84);
    expect(remainingLine(lines[0]!, 1)).toEqual({
      quantity: 2,
      unit_price: 19.99,
      discount: 3.33,
      tax: 3.03,
    });
  });

  it('refunds exactly the line total however the cancellation is split, without losing a cent', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 5_000 }),
        fc.integer({ min: 0, max: 5_000 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 10 }),
        (quantity, priceCents, discountCents, taxCents, steps) => {
          const l = {
            quantity,
            unit_price: priceCents / 100,
            discount: Math.min(discountCents, priceCents * quantity) / 100,
            tax: taxCents / 100,
          };
          const lineTotal = computeTotals([l], 0).total;
          let cancelled = 0;
          let refunded = 0;
          for (const s of [...steps, quantity]) {
            const next = Math.min(quantity, cancelled + s);
            refunded =
              Math.round((refunded + cancelledValue(l, next) - cancelledValue(l, cancelled)) * 100) / 100;
            cancelled = next;
            // What remains plus what was refunded is always the line's original total.
            const left = computeTotals([remainingLine(l, cancelled)], 0).total;
            expect(Math.round((left + refunded) * 100)).toBe(Math.round(lineTotal * 100));
          }
          expect(refunded).toBe(lineTotal);
        },
      ),
    );
  });
});
