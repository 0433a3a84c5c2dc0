/**
 * The order state machine. An order's status is never set: it is derived from its lines'
 * counters and its flags, so it cannot disagree with them. What is declared is which status may
 * follow which; a change that would derive any other successor is refused (409) and rolled back.
 */

export const ORDER_STATUSES = [
  'received',
  'allocated',
  'partially_allocated',
  'backordered',
  'routing_failed',
  'allocation_failed',
  'on_hold',
  'in_fulfillment',
  'partially_shipped',
  'shipped',
  'delivered',
  'partially_returned',
  'returned',
  'cancelled',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export type LineCounts = {
  quantity: number;
  allocated: number;
  backordered: number;
  cancelled: number;
  shipped: number;
  delivered: number;
  returned: number;
};

export type OrderFlags = {
  on_hold: boolean;
  released: boolean;
  failure: 'routing_failed' | 'allocation_failed' | null;
  /** False only between the order row's insert and its first routing. */
  routed: boolean;
};

const sum = (lines: readonly LineCounts[], k: keyof LineCounts) => lines.reduce((s, l) => s + l[k], 0);

export function deriveStatus(lines: readonly LineCounts[], flags: OrderFlags): OrderStatus {
  const quantity = sum(lines, 'quantity');
  const cancelled = sum(lines, 'cancelled');
  const shipped = sum(lines, 'shipped');
  const allocated = sum(lines, 'allocated');
  const backordered = sum(lines, 'backordered');
  const open = allocated + backordered;
  if (cancelled === quantity) return 'cancelled';
  const returned = sum(lines, 'returned');
  if (returned > 0) return returned === shipped && open === 0 ? 'returned' : 'partially_returned';
  if (flags.on_hold && open > 0) return 'on_hold';
  if (shipped > 0) {
    if (open > 0) return 'partially_shipped';
    return sum(lines, 'delivered') === shipped ? 'delivered' : 'shipped';
  }
  if (!flags.routed) return 'received';
  if (flags.failure && allocated === 0) return flags.failure;
  if (flags.released && allocated > 0) return 'in_fulfillment';
  if (backordered === 0) return 'allocated';
  if (allocated === 0) return 'backordered';
  return 'partially_allocated';
}

const BEFORE_RELEASE: OrderStatus[] = [
  'allocated',
  'partially_allocated',
  'backordered',
  'routing_failed',
  'allocation_failed',
];

/** Which status may follow which. Staying in the same status is always allowed. */
export const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  received: [...BEFORE_RELEASE, 'on_hold', 'cancelled'],
  allocated: [
    'partially_allocated',
    'backordered',
    'allocation_failed',
    'routing_failed',
    'in_fulfillment',
    'on_hold',
    'cancelled',
  ],
  partially_allocated: [
    'allocated',
    'backordered',
    'allocation_failed',
    'routing_failed',
    'in_fulfillment',
    'on_hold',
    'cancelled',
  ],
  backordered: [
    'allocated',
    'partially_allocated',
    'allocation_failed',
    'routing_failed',
    'on_hold',
    'cancelled',
  ],
  routing_failed: [
    'allocated',
    'partially_allocated',
    'backordered',
    'allocation_failed',
    'on_hold',
    'cancelled',
  ],
  allocation_failed: [
    'allocated',
    'partially_allocated',
    'backordered',
    'routing_failed',
    'on_hold',
    'cancelled',
  ],
  // A held order goes back to what its lines say; it is never released to fulfillment while held.
  on_hold: [...BEFORE_RELEASE, 'received', 'in_fulfillment', 'partially_shipped', 'cancelled'],
  // Fulfillment can fail and send units back to routing, or ship them.
  in_fulfillment: [...BEFORE_RELEASE, 'partially_shipped', 'shipped', 'on_hold', 'cancelled'],
  partially_shipped: ['shipped', 'delivered', 'on_hold', 'partially_returned'],
  shipped: ['delivered', 'partially_returned', 'returned'],
  delivered: ['partially_returned', 'returned'],
  partially_returned: ['returned'],
  returned: [],
  cancelled: [],
};

export const canTransition = (from: OrderStatus, to: OrderStatus) =>
  from === to || TRANSITIONS[from].includes(to);

/** Statuses after which the shipping address can no longer change: the order is being picked. */
export const isReleased = (s: OrderStatus) =>
  ['in_fulfillment', 'partially_shipped', 'shipped', 'delivered', 'partially_returned', 'returned'].includes(
    s,
  );
