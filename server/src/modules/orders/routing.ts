import type { Queryable } from '../../db/pool.ts';
import type { Actor } from '../../http/context.ts';
import { sellableItems } from '../catalog/service.ts';
import { lockBalances } from '../inventory/ledger.ts';
import { settle } from '../inventory/reservations.ts';
import { networkSnapshot } from '../network/service.ts';
import { commitPlan } from '../sourcing/service.ts';
import type { Plan, PlanLine } from '../sourcing/types.ts';
import {
  type Bom,
  derived,
  distribute,
  needs,
  needsBySku,
  type Release,
  recount,
  withoutReleases,
} from './allocation.ts';
import type { AllocationRecord, AuditEntry, OrderRecord } from './store.ts';
import * as store from './store.ts';

export type Catalog = {
  /** Each line's bill of materials, by line number. */
  boms: Map<number, Bom>;
  /** Weight and dimensions of every product the lines are made of, for the planner. */
  units: Map<string, Pick<PlanLine, 'weight_lb' | 'dims_in'>>;
};

/**
 * What the order's lines are made of, checking every SKU is a sellable product or bundle. Errors
 * name the line (`body.lines[i].sku`) as the caller sent it.
 */
export async function catalogFor(
  db: Queryable,
  tenantId: string,
  lines: readonly { line_no: number; sku: string }[],
  path = (i: number) => `body.lines[${i}].sku`,
): Promise<Catalog> {
  const items = await sellableItems(
    db,
    tenantId,
    lines.map((l) => l.sku),
    path,
  );
  const boms = new Map<number, Bom>(
    lines.map((l) => [l.line_no, items.get(l.sku)!.units.map((u) => ({ sku: u.sku, per: u.per_item }))]),
  );
  const units = new Map(
    [...items.values()].flatMap((item) =>
      item.units.map((u) => [u.sku, { weight_lb: u.weight_lb, dims_in: u.dimensions }] as const),
    ),
  );
  return { boms, units };
}

// Reasons that no stock arriving later can change: only a person (new address, new location) can.
const UNROUTABLE = new Set([
  'inactive',
  'not_serving_region',
  'no_zone',
  'no_working_day',
  'no_service_for_level',
]);

export type RouteOptions = {
  trigger: 'capture' | 'reroute' | 'manual' | 'address_change' | 'backorder_release' | 'fulfillment_failed';
  reason?: string | undefined;
  location_id?: string | undefined;
  exclude_location_ids?: readonly string[] | undefined;
  now?: Date | undefined;
  /** Log and change nothing unless some stock was reserved (backorder release polls with this). */
  only_if_reserved?: boolean | undefined;
};

/**
 * Plans and reserves every open unit of the order not yet allocated, in the caller's transaction,
 * and records the routing (the plan with its explanation) in the order's routing log. Units the
 * plan cannot ship stay backordered; when nothing could ship, the order's failure says why.
 *
 * `first` is the capture's routing: nothing is written here, the capture writes the order, its
 * routing and allocations in one statement (routing number 1).
 */
export async function routeOpenUnits(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  order: OrderRecord,
  catalog: Catalog,
  opts: RouteOptions & { first?: boolean },
): Promise<{ order: OrderRecord; plan: Plan | null; audit: AuditEntry[]; routing: store.RoutingRow | null }> {
  const { boms, units } = catalog;
  const wanted = needs(order.lines, boms);
  if (wanted.length === 0) return { order, plan: null, audit: [], routing: null };
  const bySku = needsBySku(wanted);
  // A new order comes after every order already waiting for these SKUs (FIFO): stock they are
  // owed is not offered to it. Backorder release itself hands stock out oldest first instead.
  const held_back =
    opts.trigger === 'capture'
      ? await store.waitingDemand(
          db,
          tenantId,
          bySku.map((n) => n.sku),
        )
      : undefined;
  const result = await commitPlan(db, tenantId, actor, {
    held_back,
    lines: bySku,
    plan_lines: bySku.map((n) => ({ ...n, ...units.get(n.sku)! })),
    destination: order.shipping_address,
    service_level: order.service_level,
    channel: order.channel,
    reference: order.order_id,
    now: opts.now,
    location_ids: opts.location_id ? [opts.location_id] : undefined,
    exclude_location_ids: opts.exclude_location_ids,
  });
  if (opts.only_if_reserved && !result.reservation) {
    return { order, plan: result.plan, audit: [], routing: null };
  }
  const routing: store.RoutingRow = {
    trigger: opts.trigger,
    reason: opts.reason ?? null,
    plan: result.plan,
    reservation_id: result.reservation?.reservation_id ?? null,
    attempts: result.attempts,
  };
  const shares = result.reservation
    ? distribute(wanted, result.plan.shipments, result.reservation.reservation_id, 1)
    : [];
  const routingNo = opts.first
    ? 1
    : await store.insertRouting(db, tenantId, order.order_id, routing, shares, actor);
  const added = shares.map((a) => ({ ...a, routing_no: routingNo }));
  const lines = order.lines.map((l) =>
    recount(
      {
        ...l,
        allocations: [
          ...l.allocations,
          ...added.filter((a) => a.line_no === l.line_no).map(({ line_no: _n, ...a }) => a),
        ],
      },
      boms.get(l.line_no)!,
    ),
  );
  let next: OrderRecord = { ...order, lines };
  next = { ...next, ...derived(next), ...failureOf(next, result) };
  const audit: AuditEntry = {
    type: 'routed',
    note: opts.reason ?? null,
    data: {
      routing_no: routingNo,
      trigger: opts.trigger,
      locations: [...new Set(added.map((a) => a.location_id))],
      units_allocated: added.reduce((s, a) => s + a.quantity, 0),
      units_waiting: lines.reduce((s, l) => s + l.backordered, 0),
      promised_delivery_date: next.promised_delivery_date,
      why: result.plan.explanation.why,
    },
  };
  return { order: next, plan: result.plan, audit: [audit], routing };
}

function failureOf(
  o: OrderRecord,
  result: { plan: Plan; gave_up: boolean },
): Pick<OrderRecord, 'failure' | 'failure_reason'> {
  const allocated = o.lines.some((l) => l.allocated > 0);
  if (allocated || o.lines.every((l) => l.backordered === 0)) return { failure: null, failure_reason: null };
  if (result.gave_up) {
    return {
      failure: 'allocation_failed',
      failure_reason: 'Stock kept moving while this order was being reserved; route it again.',
    };
  }
  const candidates = result.plan.explanation.candidates;
  const unroutable = candidates.every((c) => c.status === 'excluded' && UNROUTABLE.has(c.reason));
  if (unroutable) {
    const reasons = [...new Set(candidates.map((c) => (c.status === 'excluded' ? c.reason : '')))];
    return {
      failure: 'routing_failed',
      failure_reason:
        candidates.length === 0
          ? 'No location may ship this order.'
          : `No location can ship to this address at this service level (${reasons.join(', ')}).`,
    };
  }
  return { failure: null, failure_reason: null };
}

/**
 * Gives back reserved stock: voids `releases` on their reservations and takes them off the
 * order's allocations. The caller recounts the lines.
 */
export async function releaseAllocations(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  order: OrderRecord,
  releases: readonly Release[],
): Promise<OrderRecord> {
  if (releases.length === 0) return order;
  // Voiding several reservations locks their rows one reservation at a time; locking them all
  // first, in the ledger's one fixed order, keeps that from deadlocking with another order.
  await lockBalances(db, tenantId, [...releases]);
  const byReservation = new Map<string, Release[]>();
  for (const r of releases)
    byReservation.set(r.reservation_id, [...(byReservation.get(r.reservation_id) ?? []), r]);
  for (const [reservationId, rs] of byReservation) {
    await settle(
      db,
      tenantId,
      actor,
      reservationId,
      'void',
      rs.map((r) => ({ sku: r.sku, location_id: r.location_id, quantity: r.quantity })),
    );
  }
  await store.reduceAllocations(db, tenantId, order.order_id, [...releases]);
  return { ...order, lines: order.lines.map((l) => withoutReleases(l, releases)) };
}

/**
 * Open allocations of the order released (every one, or those `which` picks) so the order can be
 * routed again.
 *
 * Releasing and then reserving takes row locks twice in one transaction, which could deadlock
 * with another order doing the same the other way round. So every row either step may touch —
 * the order's SKUs at every active location, and where it holds stock now — is locked first, in
 * the ledger's fixed order; the later steps only take locks already held.
 */
export async function releaseAll(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  order: OrderRecord,
  { boms }: Catalog,
  which: (a: AllocationRecord) => boolean = () => true,
) {
  const network = await networkSnapshot(db, tenantId, order.shipping_address.postal_code);
  const skus = new Set([...boms.values()].flatMap((b) => b.map((c) => c.sku)));
  const locations = new Set([
    ...network.locations.map((l) => l.location_id),
    ...order.lines.flatMap((l) => l.allocations.map((a) => a.location_id)),
  ]);
  await lockBalances(
    db,
    tenantId,
    [...skus].flatMap((sku) => [...locations].map((location_id) => ({ sku, location_id }))),
  );
  const releases = order.lines.flatMap((l) =>
    l.allocations
      .filter((a) => a.quantity > 0 && which(a))
      .map((a) => ({
        line_no: l.line_no,
        sku: a.sku,
        location_id: a.location_id,
        reservation_id: a.reservation_id,
        quantity: a.quantity,
      })),
  );
  const released = await releaseAllocations(db, tenantId, actor, order, releases);
  return {
    ...released,
    lines: released.lines.map((l) => recount(l, boms.get(l.line_no)!)),
  };
}
