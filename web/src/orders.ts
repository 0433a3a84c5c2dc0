import type { Actor, Me, OrderFilter, OrderStatus, OrderSummary } from './api.ts';

/** How orders are shown and filtered: status groups, lateness, names. No React here, so tests can import it. */

/** Statuses in groups a person scans for: one colour each, and one filter chip each. */
export const STATUS_GROUPS = [
  { id: 'open', label: 'Open', statuses: ['received', 'allocated', 'partially_allocated', 'in_fulfillment'] },
  {
    id: 'attention',
    label: 'Needs attention',
    statuses: ['backordered', 'routing_failed', 'allocation_failed', 'on_hold'],
  },
  { id: 'shipped', label: 'Shipped', statuses: ['partially_shipped', 'shipped'] },
  { id: 'delivered', label: 'Delivered', statuses: ['delivered'] },
  { id: 'closed', label: 'Returned or cancelled', statuses: ['partially_returned', 'returned', 'cancelled'] },
] as const satisfies { id: string; label: string; statuses: OrderStatus[] }[];

export type StatusGroup = (typeof STATUS_GROUPS)[number];

export const GROUP_OF = new Map<OrderStatus, StatusGroup>(
  STATUS_GROUPS.flatMap((g) => g.statuses.map((s) => [s, g] as const)),
);

export const statusLabel = (status: string) => {
  const text = status.replaceAll('_', ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
};

// Nothing is left to ship in these, so they are never late: the same rule as `GET /v1/orders?late=true`.
const DONE: OrderStatus[] = ['shipped', 'delivered', 'cancelled', 'returned', 'partially_returned'];

/** Today as the browser's `YYYY-MM-DD`, the way promise dates are written. */
export function localToday(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** Past its promised delivery day with units still to ship. */
export const isLate = (o: Pick<OrderSummary, 'status' | 'promised_delivery_date'>, today = localToday()) =>
  o.promised_delivery_date !== null && o.promised_delivery_date < today && !DONE.includes(o.status);

export const customerName = (o: Pick<OrderSummary, 'customer' | 'shipping_address'>) =>
  o.customer.name ?? o.shipping_address.name ?? o.customer.email ?? '—';

/** "Demo Admin", "API key": who did something, by name when it was the person looking. */
export function actorName(actor: Actor, me: Me): string {
  if (actor.type === 'user') return me.user?.user_id === actor.id ? me.user.name : 'a user';
  return actor.type === 'api_key' ? 'API key' : 'Orderly';
}

export const NO_ORDER_FILTER: OrderFilter = {
  statuses: [],
  channel: '',
  q: '',
  late: false,
  onHold: false,
  backordered: false,
  placedFrom: '',
  placedTo: '',
  sort: '-placed_at',
};

/** Whether anything narrows the list (the sort order does not). */
export const isFiltered = (f: OrderFilter) =>
  JSON.stringify({ ...f, sort: NO_ORDER_FILTER.sort }) !== JSON.stringify(NO_ORDER_FILTER);
