import type { Queryable } from '../../db/pool.ts';
import type { Actor } from '../../http/context.ts';
import { AppError } from '../../http/problem.ts';
import { publish } from '../events/service.ts';
import { lockBalances } from '../inventory/ledger.ts';
import { settle } from '../inventory/reservations.ts';
import { derived, recount } from './allocation.ts';
import { catalogFor, releaseAll, routeOpenUnits } from './routing.ts';
import { commitChange, lockOrder, toApi } from './service.ts';
import type { AuditEntry, OrderRecord } from './store.ts';
import * as store from './store.ts';

/**
 * What fulfillment and returns ask of an order. Each is one change to the order's allocation rows
 * and line counters, made under the order's row lock and recorded on its trail; fulfillment owns
 * its fulfillment orders and shipments, the order owns where its units are.
 */

/** Some units of one allocation row: what a fulfillment order holds, ships or delivers. */
export type Item = {
  line_no: number;
  sku: string;
  location_id: string;
  reservation_id: string;
  quantity: number;
};

const rowKey = (i: Pick<Item, 'line_no' | 'sku' | 'location_id' | 'reservation_id'>) =>
  `${i.line_no}\u0000${i.sku}\u0000${i.location_id}\u0000${i.reservation_id}`;

/** Writes entries on the order's trail without changing the order. */
export async function recordOnTrail(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  orderId: string,
  entries: AuditEntry[],
) {
  await store.insertAudit(db, tenantId, orderId, actor, entries);
}

/** Names the fulfillment order that picks these rows of a released order. */
export async function assignToFulfillment(
  db: Queryable,
  tenantId: string,
  orderId: string,
  fulfillmentOrderId: string,
  items: readonly Item[],
) {
  await store.markAllocations(db, tenantId, orderId, items, { fulfillment_order_id: fulfillmentOrderId });
}

/** What fulfillment orders hold, from the allocation rows that name them. */
export const fulfillmentItems = store.fulfillmentItems;
export type { FulfillmentItemRow } from './store.ts';

/** Picking started: the fulfillment order's units can no longer be cancelled. */
export async function markPicked(db: Queryable, tenantId: string, fulfillmentOrderId: string) {
  await store.markPicked(db, tenantId, fulfillmentOrderId);
}

/** Checks every item against the order's rows under its lock: fulfillment read them earlier. */
function requireHeld(o: OrderRecord, items: readonly Item[], field: 'quantity' | 'shipped') {
  const rows = new Map(
    o.lines.flatMap((l) => l.allocations.map((a) => [rowKey({ ...a, line_no: l.line_no }), a] as const)),
  );
  for (const i of items) {
    const row = rows.get(rowKey(i));
    const held = row ? row[field] - (field === 'shipped' ? row.delivered : 0) : 0;
    if (i.quantity > held) {
      throw new AppError(
        'conflict',
        `Order ${o.order_number} line ${i.line_no}: only ${held} of ${i.sku} at ${i.location_id} are ${field === 'quantity' ? 'still reserved' : 'shipped and not yet delivered'}.`,
        { code: 'units_moved' },
      );
    }
  }
}

/** The order with `change` applied to the allocation rows of `items`, lines recounted. */
async function withItems(
  db: Queryable,
  tenantId: string,
  o: OrderRecord,
  items: readonly Item[],
  change: (a: OrderRecord['lines'][number]['allocations'][number], n: number) => object,
) {
  const { boms } = await catalogFor(db, tenantId, o.lines, (i) => `order.lines[${i}].sku`);
  const by = new Map(items.map((i) => [rowKey(i), i.quantity]));
  const lines = o.lines.map((l) =>
    recount(
      {
        ...l,
        allocations: l.allocations.map((a) => {
          const n = by.get(rowKey({ ...a, line_no: l.line_no }));
          return n ? { ...a, ...change(a, n) } : a;
        }),
      },
      boms.get(l.line_no)!,
    ),
  );
  const next = { ...o, lines };
  return { ...next, ...derived(next) };
}

/**
 * Units shipped: their reservations are posted (reserved → out to the customer) and the lines
 * count them shipped, in the caller's transaction. The ledger's movements quote `eventId`, the
 * fulfillment event an external system sees, so a stock import covering it settles exactly them.
 */
export async function shipItems(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  orderId: string,
  items: readonly Item[],
  { event_id, audit }: { event_id: string; audit: AuditEntry },
) {
  const o = await lockOrder(db, tenantId, orderId);
  requireHeld(o, items, 'quantity');
  await lockBalances(db, tenantId, [...items]);
  for (const reservationId of new Set(items.map((i) => i.reservation_id))) {
    const lines = items
      .filter((i) => i.reservation_id === reservationId)
      .map((i) => ({ sku: i.sku, location_id: i.location_id, quantity: i.quantity }));
    await settle(db, tenantId, actor, reservationId, 'post', lines, { event_id });
  }
  await store.moveAllocationUnits(db, tenantId, orderId, items, 'shipped');
  const next = await withItems(db, tenantId, o, items, (a, n) => ({
    quantity: a.quantity - n,
    shipped: a.shipped + n,
  }));
  return toApi(await commitChange(db, tenantId, actor, o, next, [audit]));
}

/** Units the carrier delivered. */
export async function deliverItems(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  orderId: string,
  items: readonly Item[],
  audit: AuditEntry,
) {
  const o = await lockOrder(db, tenantId, orderId);
  requireHeld(o, items, 'shipped');
  await store.moveAllocationUnits(db, tenantId, orderId, items, 'delivered');
  const next = await withItems(db, tenantId, o, items, (a, n) => ({ delivered: a.delivered + n }));
  return toApi(await commitChange(db, tenantId, actor, o, next, [audit]));
}

/**
 * A location could not fulfil: the stock it held for the order is released (voided) and the
 * units are routed again among the other locations, in one transaction, so the order never holds
 * two reservations for a unit. What no other location can ship waits as a backorder.
 */
export async function failFulfillment(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  orderId: string,
  fulfillment: { fulfillment_order_id: string; location_id: string; reason: string },
) {
  const o = await lockOrder(db, tenantId, orderId);
  const catalog = await catalogFor(db, tenantId, o.lines, (i) => `order.lines[${i}].sku`);
  const released = await releaseAll(
    db,
    tenantId,
    actor,
    o,
    catalog,
    (a) => a.fulfillment_order_id === fulfillment.fulfillment_order_id,
  );
  const r = await routeOpenUnits(db, tenantId, actor, { ...released, failure: null }, catalog, {
    trigger: 'fulfillment_failed',
    reason: fulfillment.reason,
    exclude_location_ids: [fulfillment.location_id],
  });
  const audit: AuditEntry[] = [
    {
      type: 'fulfillment_failed',
      note: fulfillment.reason,
      data: { fulfillment_order_id: fulfillment.fulfillment_order_id, location_id: fulfillment.location_id },
    },
    ...r.audit,
  ];
  const saved = await commitChange(db, tenantId, actor, o, r.order, audit, [
    {
      type: 'order.routed',
      subject: orderId,
      data: {
        order_id: orderId,
        trigger: 'fulfillment_failed',
        location_ids: r.order.location_ids,
        promised_delivery_date: r.order.promised_delivery_date,
      },
    },
  ]);
  return saved;
}

/** Units that came back from the customer (counted when received, whatever their condition). */
export async function recordReturn(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  orderId: string,
  lines: readonly { line_no: number; quantity: number }[],
  audit: AuditEntry,
) {
  const o = await lockOrder(db, tenantId, orderId);
  const next = {
    ...o,
    lines: o.lines.map((l) => {
      const n = lines.filter((r) => r.line_no === l.line_no).reduce((s, r) => s + r.quantity, 0);
      if (l.returned + n > l.shipped) {
        throw new AppError(
          'conflict',
          `Line ${l.line_no} (${l.sku}) has ${l.shipped - l.returned} shipped units not yet returned; cannot take back ${n}.`,
          { code: 'exceeds_shipped' },
        );
      }
      return { ...l, returned: l.returned + n };
    }),
  };
  return toApi(await commitChange(db, tenantId, actor, o, next, [audit]));
}

/** Flags the order late or at risk (or clears it): the at-risk sweep's verdict, shown in lists. */
export async function setRisk(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  orderId: string,
  risk: { risk: 'late' | 'at_risk'; reason: string } | null,
) {
  if (!(await store.setRisk(db, tenantId, orderId, risk))) return false;
  await store.insertAudit(db, tenantId, orderId, actor, [
    risk ? { type: risk.risk, note: risk.reason } : { type: 'risk_cleared' },
  ]);
  await publish(db, tenantId, actor, {
    type: risk ? 'order.at_risk' : 'order.risk_cleared',
    subject: orderId,
    data: { order_id: orderId, risk: risk?.risk ?? null, reason: risk?.reason ?? null },
  });
  return true;
}
