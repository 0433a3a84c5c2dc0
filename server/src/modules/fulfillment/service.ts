import type { Queryable } from '../../db/pool.ts';
import type { Actor } from '../../http/context.ts';
import { AppError, notFound } from '../../http/problem.ts';
import { newId } from '../../lib/ids.ts';
import { CONFIG_TTL_MS, tenantCache } from '../../lib/ttl-cache.ts';
import { findProducts } from '../catalog/service.ts';
import { publish } from '../events/service.ts';
import { localDateTime } from '../network/calendar.ts';
import { findLocations } from '../network/service.ts';
import * as orders from '../orders/fulfillment.ts';
import { getOrder, releaseToFulfillment } from '../orders/service.ts';
import type { OrderRecord } from '../orders/store.ts';
import { type PackingSlip, renderPackingSlip } from './packing-slip.ts';
import { lateness, pickingMethod, priority, trackingRisk } from './picking.ts';
import type {
  CreateShipment,
  FulfillmentOrder,
  FulfillmentSettings,
  FulfillmentStatus,
  Shipment,
  ShipmentItem,
  TrackingUpdate,
} from './schema.ts';
import type { FulfillmentOrderRow, ShipmentRow } from './store.ts';
import * as store from './store.ts';

/**
 * Fulfillment orders (one per location of a released order, or of a consolidation group),
 * shipments and tracking. A fulfillment order's items are the order's allocation rows that name
 * it, so what it holds is always what the order says; its status is the step the location reached.
 * Every step publishes an event and is written on each order's timeline, in the same transaction.
 */

const OPEN: readonly FulfillmentStatus[] = ['pending', 'assigned', 'picking', 'packed'];
const STEPS: readonly FulfillmentStatus[] = ['pending', 'assigned', 'picking', 'packed'];

// ── settings ─────────────────────────────────────────────────────────────────────────────────

export const DEFAULT_SETTINGS: FulfillmentSettings = {
  branding: { name: 'Orderly', logo_url: null, message: 'Thank you for your order.' },
  auto_assign: true,
  auto_release: { enabled: false, after_minutes: 0 },
};

const settingsCache = tenantCache<Awaited<ReturnType<typeof store.loadSettings>>>(CONFIG_TTL_MS);

export async function getSettings(db: Queryable, tenantId: string) {
  const row = await settingsCache.get(tenantId, 'settings', () => store.loadSettings(db, tenantId));
  return row
    ? {
        ...DEFAULT_SETTINGS,
        ...(row.settings as FulfillmentSettings),
        updated_at: row.updated_at.toISOString(),
      }
    : { ...DEFAULT_SETTINGS, updated_at: null as string | null };
}

export async function setSettings(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  settings: FulfillmentSettings,
) {
  settingsCache.invalidate(tenantId);
  const updatedAt = await store.saveSettings(db, tenantId, settings);
  const saved = { ...settings, updated_at: updatedAt.toISOString() };
  await publish(db, tenantId, actor, {
    type: 'fulfillment_settings.updated',
    subject: tenantId,
    data: saved,
  });
  return saved;
}

// ── reading ──────────────────────────────────────────────────────────────────────────────────

async function withItems(
  db: Queryable,
  tenantId: string,
  fos: FulfillmentOrderRow[],
): Promise<FulfillmentOrder[]> {
  const items = await orders.fulfillmentItems(
    db,
    tenantId,
    fos.map((f) => f.fulfillment_order_id),
  );
  return fos.map((f) => ({
    ...f,
    items: items
      .filter((i) => i.fulfillment_order_id === f.fulfillment_order_id)
      .map(({ fulfillment_order_id: _f, location_id: _l, delivered: _d, ...i }) => i),
  }));
}

export async function getFulfillmentOrder(db: Queryable, tenantId: string, id: string) {
  const fo = await store.findFulfillmentOrder(db, tenantId, id);
  if (!fo) throw notFound(`Fulfillment order ${id}`);
  return (await withItems(db, tenantId, [fo]))[0]!;
}

async function lockFulfillmentOrder(db: Queryable, tenantId: string, id: string) {
  const fo = await store.findFulfillmentOrder(db, tenantId, id, true);
  if (!fo) throw notFound(`Fulfillment order ${id}`);
  return (await withItems(db, tenantId, [fo]))[0]!;
}

export async function listFulfillmentOrders(
  db: Queryable,
  tenantId: string,
  filter: store.FulfillmentFilter,
  after: { ship_by: string; id: string } | undefined,
  limit: number,
) {
  return withItems(db, tenantId, await store.listFulfillmentOrders(db, tenantId, filter, after, limit));
}

async function withTracking(db: Queryable, tenantId: string, shipments: ShipmentRow[]): Promise<Shipment[]> {
  const tracking = await store.trackingOf(
    db,
    tenantId,
    shipments.map((s) => s.shipment_id),
  );
  return shipments.map((s) => ({ ...s, tracking: tracking.get(s.shipment_id) ?? [] }));
}

export async function getShipment(db: Queryable, tenantId: string, id: string) {
  const s = await store.findShipment(db, tenantId, id);
  if (!s) throw notFound(`Shipment ${id}`);
  return (await withTracking(db, tenantId, [s]))[0]!;
}

const STATUS_WORDS: Record<Shipment['status'], string> = {
  shipped: 'shipped',
  in_transit: 'in transit',
  out_for_delivery: 'out for delivery',
  delivered: 'delivered',
  exception: 'delayed (carrier exception)',
};

/**
 * The order's shipments as a customer would count them: "Shipment 1 of 2 delivered". The count
 * includes one shipment still to come for each fulfillment order with units not yet shipped.
 */
export async function orderShipments(db: Queryable, tenantId: string, orderId: string) {
  await getOrder(db, tenantId, orderId);
  const { shipments, fos } = await shipmentsSoFar(db, tenantId, orderId);
  const total = shipments.length + stillToCome(fos, orderId);
  return (await withTracking(db, tenantId, shipments)).map((s, i) => {
    const label = `Shipment ${i + 1} of ${total}`;
    return {
      ...s,
      items: s.items.filter((x) => x.order_id === orderId),
      label,
      summary: `${label} ${STATUS_WORDS[s.status]}`,
    };
  });
}

/** The order's shipments, oldest first, and its fulfillment orders with their items. */
async function shipmentsSoFar(db: Queryable, tenantId: string, orderId: string) {
  // One after the other: `db` may be a transaction's one connection.
  const shipments = await store.shipmentsOf(db, tenantId, { order_ids: [orderId] });
  const fos = await withItems(db, tenantId, await store.fulfillmentOrdersOf(db, tenantId, [orderId]));
  return { shipments, fos };
}

/**
 * Shipments still to come for the order: one per open fulfillment order with units of it not yet
 * shipped. `known` says it for one fulfillment order whose items are about to change.
 */
const stillToCome = (
  fos: readonly FulfillmentOrder[],
  orderId: string,
  known?: { fulfillment_order_id: string; open: boolean },
) =>
  fos.filter(
    (f) =>
      OPEN.includes(f.status) &&
      (f.fulfillment_order_id === known?.fulfillment_order_id
        ? known.open
        : f.items.some((i) => i.order_id === orderId && i.quantity > 0)),
  ).length;

// ── release: fulfillment orders for the released units ───────────────────────────────────────

/**
 * The lifecycle workflow's release: releases the order if it may go now. False when it may not
 * yet (on hold, nothing allocated); true when it is released, by this call or an earlier one.
 */
export async function releaseIfReady(db: Queryable, tenantId: string, actor: Actor, orderId: string) {
  await db.query('savepoint release_if_ready');
  try {
    await releaseOrder(db, tenantId, actor, orderId);
    await db.query('release savepoint release_if_ready');
    return true;
  } catch (err) {
    if (!(err instanceof AppError) || err.code !== 'conflict') throw err;
    await db.query('rollback to savepoint release_if_ready');
    return err.extra.code === 'already_released';
  }
}

/**
 * Releases the order (with its consolidation group) to fulfillment and gives every location its
 * fulfillment order, in one transaction.
 */
export async function releaseOrder(db: Queryable, tenantId: string, actor: Actor, orderId: string) {
  const released = await releaseToFulfillment(db, tenantId, actor, orderId);
  await createFulfillmentOrders(db, tenantId, actor, released);
  return getOrder(db, tenantId, orderId);
}

/**
 * One fulfillment order per location for the released orders' reserved units that have none yet
 * (per consolidation group when orders were released together). Each is assigned to its location
 * at once unless the tenant lets a WMS accept them; one for an inactive location fails at once,
 * which routes its units elsewhere.
 */
export async function createFulfillmentOrders(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  released: readonly OrderRecord[],
  now = new Date(),
) {
  type Unit = orders.Item & {
    order: OrderRecord;
    ship_date: string;
    delivery_date: string;
    service_level: string;
  };
  const groups = new Map<string, Unit[]>();
  for (const o of released) {
    if (o.released_at === null) continue;
    for (const l of o.lines) {
      for (const a of l.allocations) {
        if (a.quantity === 0 || a.fulfillment_order_id !== null) continue;
        const key = `${o.consolidation_group ?? o.order_id}\u0000${a.location_id}`;
        groups.set(key, [...(groups.get(key) ?? []), { ...a, line_no: l.line_no, order: o }]);
      }
    }
  }
  if (groups.size === 0) return [];
  const settings = await getSettings(db, tenantId);
  const locations = await findLocations(
    db,
    tenantId,
    [...groups.values()].map((units) => units[0]!.location_id),
  );
  const created: FulfillmentOrderRow[] = [];
  for (const units of groups.values()) {
    const location = locations.get(units[0]!.location_id)!;
    const orderIds = [...new Set(units.map((u) => u.order.order_id))].sort();
    const shipBy = units.map((u) => u.ship_date).sort()[0]!;
    const fo = await store.insertFulfillmentOrder(db, tenantId, {
      fulfillment_order_id: newId('ful'),
      location_id: location.location_id,
      order_ids: orderIds,
      consolidation_group: units[0]!.order.consolidation_group,
      status: 'pending',
      picking_method: pickingMethod(location, units),
      priority: priority(location, shipBy, now),
      service_level: units[0]!.service_level,
      ship_by: shipBy,
      promised_delivery_date: units
        .map((u) => u.delivery_date)
        .sort()
        .at(-1)!,
    });
    for (const orderId of orderIds) {
      const mine = units.filter((u) => u.order.order_id === orderId);
      await orders.assignToFulfillment(db, tenantId, orderId, fo.fulfillment_order_id, mine);
      await orders.recordOnTrail(db, tenantId, actor, orderId, [
        {
          type: 'fulfillment_created',
          data: {
            fulfillment_order_id: fo.fulfillment_order_id,
            location_id: fo.location_id,
            units: mine.reduce((s, u) => s + u.quantity, 0),
            picking_method: fo.picking_method,
            priority: fo.priority,
          },
        },
      ]);
    }
    created.push(fo);
  }
  for (const fo of created) {
    const location = locations.get(fo.location_id)!;
    if (!location.active) {
      await fail(db, tenantId, actor, fo.fulfillment_order_id, `${location.name} is not active.`);
    } else if (settings.auto_assign) {
      await step(db, tenantId, actor, fo.fulfillment_order_id, { status: 'assigned' });
    }
  }
  return created;
}

// ── steps ────────────────────────────────────────────────────────────────────────────────────

function refuse(fo: FulfillmentOrderRow, detail: string, code = 'invalid_state') {
  return new AppError('conflict', detail, { code, current_status: fo.status });
}

async function trail(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  fo: Pick<FulfillmentOrderRow, 'order_ids' | 'fulfillment_order_id' | 'location_id'>,
  type: string,
  note: string | null,
  data: Record<string, unknown> = {},
) {
  for (const orderId of fo.order_ids) {
    await orders.recordOnTrail(db, tenantId, actor, orderId, [
      {
        type,
        note,
        data: { fulfillment_order_id: fo.fulfillment_order_id, location_id: fo.location_id, ...data },
      },
    ]);
  }
}

const requestData = (fo: FulfillmentOrder, extra: Record<string, unknown> = {}) => ({
  fulfillment_order_id: fo.fulfillment_order_id,
  location_id: fo.location_id,
  order_ids: fo.order_ids,
  items: fo.items.map((i) => ({
    order_id: i.order_id,
    line_no: i.line_no,
    sku: i.sku,
    quantity: i.quantity,
  })),
  ...extra,
});

/**
 * Moves a fulfillment order forward: assigned (the location accepted it), picking, packed. Steps
 * may be skipped forward, never taken back. Once picking starts its units cannot be cancelled.
 */
export async function step(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  id: string,
  input: { status: 'assigned' | 'picking' | 'packed'; note?: string | undefined },
) {
  const fo = await lockFulfillmentOrder(db, tenantId, id);
  if (!STEPS.includes(fo.status) || STEPS.indexOf(input.status) <= STEPS.indexOf(fo.status)) {
    throw refuse(fo, `A fulfillment order that is ${fo.status} cannot become ${input.status}.`);
  }
  if (!fo.items.some((i) => i.quantity > 0))
    throw refuse(fo, 'Nothing is left to fulfil: every unit was cancelled.');
  if (input.status !== 'assigned') await orders.markPicked(db, tenantId, id);
  const saved = await store.updateFulfillmentOrder(db, tenantId, id, { status: input.status });
  await trail(db, tenantId, actor, fo, `fulfillment_${input.status}`, input.note ?? null);
  await publish(
    db,
    tenantId,
    actor,
    input.status === 'assigned'
      ? { type: 'fulfillment_request.assigned', subject: id, data: requestData(fo) }
      : {
          type: 'fulfillment_order.status_changed',
          subject: id,
          data: { fulfillment_order_id: id, from: fo.status, to: input.status, order_ids: fo.order_ids },
        },
  );
  return { ...saved, items: fo.items };
}

/**
 * The location cannot fulfil (stock not found, location down): its reservations are voided and
 * each order's units routed to other locations, whose fulfillment orders are made at once. Units
 * already shipped stay shipped.
 */
export async function fail(db: Queryable, tenantId: string, actor: Actor, id: string, reason: string) {
  const fo = await lockFulfillmentOrder(db, tenantId, id);
  if (!OPEN.includes(fo.status)) throw refuse(fo, `A fulfillment order that is ${fo.status} cannot fail.`);
  const saved = await store.updateFulfillmentOrder(db, tenantId, id, {
    status: 'failed',
    failure_reason: reason,
  });
  await publish(db, tenantId, actor, {
    type: 'fulfillment_request.failed',
    subject: id,
    data: requestData(fo, { reason }),
  });
  const rerouted: OrderRecord[] = [];
  for (const orderId of fo.order_ids) {
    rerouted.push(
      await orders.failFulfillment(db, tenantId, actor, orderId, {
        fulfillment_order_id: id,
        location_id: fo.location_id,
        reason,
      }),
    );
  }
  await createFulfillmentOrders(db, tenantId, actor, rerouted);
  return { ...saved, items: fo.items };
}

// ── shipments ────────────────────────────────────────────────────────────────────────────────

/** The allocation rows a shipment takes its units from, per requested line, oldest row first. */
function shipmentItems(fo: FulfillmentOrder, input: CreateShipment): ShipmentItem[] {
  const open = fo.items.filter((i) => i.quantity > 0);
  const item = (i: (typeof open)[number], quantity: number): ShipmentItem => ({
    order_id: i.order_id,
    line_no: i.line_no,
    sku: i.sku,
    location_id: fo.location_id,
    reservation_id: i.reservation_id,
    quantity,
  });
  if (!input.lines) return open.map((i) => item(i, i.quantity));
  const left = new Map(open.map((i) => [i, i.quantity]));
  const out: ShipmentItem[] = [];
  input.lines.forEach((want, n) => {
    const path = `body.lines[${n}]`;
    const bad = (message: string) =>
      new AppError('validation-error', `${path}: ${message}`, { errors: [{ path, message }] });
    if (!want.order_id && fo.order_ids.length > 1)
      throw bad('Name the order_id: this fulfillment order holds several orders.');
    const orderId = want.order_id ?? fo.order_ids[0]!;
    const rows = open.filter(
      (i) => i.order_id === orderId && i.line_no === want.line_no && (!want.sku || i.sku === want.sku),
    );
    if (rows.length === 0) throw bad(`This fulfillment order has no units of line ${want.line_no} to ship.`);
    if (new Set(rows.map((r) => r.sku)).size > 1)
      throw bad('Name the sku: this line is a bundle of several components.');
    let need = want.quantity;
    for (const r of rows) {
      const take = Math.min(need, left.get(r)!);
      if (take === 0) continue;
      left.set(r, left.get(r)! - take);
      need -= take;
      out.push(item(r, take));
    }
    if (need > 0) {
      throw new AppError(
        'conflict',
        `${path}: only ${want.quantity - need} units of line ${want.line_no} are left to ship here.`,
        {
          code: 'exceeds_remaining',
        },
      );
    }
  });
  return out;
}

/**
 * Ships some or all of what the fulfillment order holds. In one transaction: the shipment, the
 * orders' lines counted shipped and their reservations posted (reserved → out), and a
 * `fulfillment_request.completed` event whose sequence number the ledger's movements quote, so a
 * stock import that covers it settles exactly these units.
 */
export async function ship(db: Queryable, tenantId: string, actor: Actor, id: string, input: CreateShipment) {
  const fo = await lockFulfillmentOrder(db, tenantId, id);
  if (fo.status === 'pending')
    throw refuse(fo, 'Assign the fulfillment order to its location before shipping.');
  if (!['assigned', 'picking', 'packed'].includes(fo.status))
    throw refuse(fo, `A fulfillment order that is ${fo.status} has nothing to ship.`, 'nothing_to_ship');
  const items = shipmentItems(fo, input);
  if (items.length === 0)
    throw refuse(fo, 'Nothing is left to ship: every unit was cancelled.', 'nothing_to_ship');
  const shipment = await store.insertShipment(db, tenantId, {
    shipment_id: newId('shp'),
    fulfillment_order_id: id,
    location_id: fo.location_id,
    order_ids: [...new Set(items.map((i) => i.order_id))],
    carrier: input.carrier,
    service: input.service,
    tracking_numbers: input.tracking_numbers,
    packages: input.packages,
    items,
    shipped_at: input.shipped_at ?? new Date().toISOString(),
  });
  if (!shipment) {
    throw new AppError(
      'conflict',
      `${input.carrier} tracking number ${input.tracking_numbers[0]} is already on a shipment.`,
      {
        code: 'duplicate_tracking',
      },
    );
  }
  await orders.markPicked(db, tenantId, id);
  const eventId = newId('evt');
  const remaining = fo.items.reduce((s, i) => s + i.quantity, 0) - items.reduce((s, i) => s + i.quantity, 0);
  for (const orderId of shipment.order_ids) {
    const mine = items.filter((i) => i.order_id === orderId);
    await orders.shipItems(db, tenantId, actor, orderId, mine, {
      event_id: eventId,
      audit: {
        type: 'shipped',
        // The shipped units are counted on the order below: say now whether this one stays open.
        note: `${await labelOf(db, tenantId, orderId, shipment.shipment_id, { fulfillment_order_id: id, open: remaining > 0 })} shipped`,
        data: {
          shipment_id: shipment.shipment_id,
          fulfillment_order_id: id,
          carrier: input.carrier,
          tracking_numbers: input.tracking_numbers,
          items: mine.map((i) => ({ line_no: i.line_no, sku: i.sku, quantity: i.quantity })),
        },
      },
    });
  }
  const status = remaining > 0 ? fo.status : 'shipped';
  const saved = status === fo.status ? fo : await store.updateFulfillmentOrder(db, tenantId, id, { status });
  await publish(
    db,
    tenantId,
    actor,
    {
      event_id: eventId,
      type: 'fulfillment_request.completed',
      subject: id,
      data: { ...requestData(fo), items, shipment_id: shipment.shipment_id, complete: remaining === 0 },
    },
    { type: 'shipment.created', subject: shipment.shipment_id, data: shipmentData(shipment) },
  );
  return { fulfillment_order: { ...saved, items: fo.items }, shipment: { ...shipment, tracking: [] } };
}

const shipmentData = (s: ShipmentRow) => ({
  shipment_id: s.shipment_id,
  fulfillment_order_id: s.fulfillment_order_id,
  order_ids: s.order_ids,
  carrier: s.carrier,
  service: s.service,
  tracking_numbers: s.tracking_numbers,
  status: s.status,
  estimated_delivery_date: s.estimated_delivery_date,
  items: s.items,
});

/** "Shipment k of n" for the order's trail, counted as `orderShipments` counts it. */
async function labelOf(
  db: Queryable,
  tenantId: string,
  orderId: string,
  shipmentId: string,
  known?: { fulfillment_order_id: string; open: boolean },
) {
  const { shipments, fos } = await shipmentsSoFar(db, tenantId, orderId);
  const k = shipments.findIndex((s) => s.shipment_id === shipmentId) + 1;
  return `Shipment ${k} of ${shipments.length + stillToCome(fos, orderId, known)}`;
}

/**
 * A tracking update, from the API or the carrier connector. Replays are no-ops (one event per
 * shipment, status and time). Delivered counts the shipment's units delivered on their orders; an
 * estimate past the promised date flags the orders at risk at once.
 */
export async function track(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  shipmentId: string,
  update: TrackingUpdate,
  source: 'api' | 'carrier' = 'api',
) {
  const s = await store.findShipment(db, tenantId, shipmentId, true);
  if (!s) throw notFound(`Shipment ${shipmentId}`);
  const occurredAt = new Date(update.occurred_at ?? Date.now()).toISOString();
  const latest = await store.latestTrackingAt(db, tenantId, shipmentId);
  const fresh = await store.insertTracking(db, tenantId, shipmentId, {
    status: update.status,
    occurred_at: occurredAt,
    description: update.description ?? '',
    location: update.location ?? null,
    estimated_delivery_date: update.estimated_delivery_date ?? null,
    source,
  });
  // An older scan arriving late is kept in the history but never takes the shipment back.
  if (!fresh || s.status === 'delivered' || (latest !== null && occurredAt < latest))
    return getShipment(db, tenantId, shipmentId);
  const delivered = update.status === 'delivered';
  const saved = await store.updateShipment(db, tenantId, shipmentId, {
    status: update.status,
    estimated_delivery_date: update.estimated_delivery_date ?? s.estimated_delivery_date,
    delivered_at: delivered ? occurredAt : null,
  });
  for (const orderId of s.order_ids) {
    const label = await labelOf(db, tenantId, orderId, shipmentId);
    const audit = {
      type: delivered ? 'delivered' : 'shipment_updated',
      note: `${label} ${STATUS_WORDS[update.status]}`,
      data: {
        shipment_id: shipmentId,
        status: update.status,
        description: update.description ?? null,
        estimated_delivery_date: saved.estimated_delivery_date,
        items: s.items
          .filter((i) => i.order_id === orderId)
          .map((i) => ({ line_no: i.line_no, sku: i.sku, quantity: i.quantity })),
      },
    };
    if (delivered) {
      await orders.deliverItems(
        db,
        tenantId,
        actor,
        orderId,
        s.items.filter((i) => i.order_id === orderId),
        audit,
      );
    } else {
      await orders.recordOnTrail(db, tenantId, actor, orderId, [audit]);
    }
  }
  const fo = (await store.findFulfillmentOrder(db, tenantId, s.fulfillment_order_id, true))!;
  if (delivered && fo.status === 'shipped') {
    const all = await store.shipmentsOf(db, tenantId, { fulfillment_order_id: fo.fulfillment_order_id });
    if (all.every((x) => x.status === 'delivered'))
      await store.updateFulfillmentOrder(db, tenantId, fo.fulfillment_order_id, { status: 'delivered' });
  }
  await publish(db, tenantId, actor, {
    type: delivered ? 'shipment.delivered' : 'shipment.updated',
    subject: shipmentId,
    data: shipmentData(saved),
  });
  // A new estimate may put the promise at risk; a delivery ends any risk.
  if (delivered || update.status === 'exception' || update.estimated_delivery_date)
    await assessRisk(db, tenantId, actor, [fo.fulfillment_order_id]);
  return getShipment(db, tenantId, shipmentId);
}

// ── late and at risk ─────────────────────────────────────────────────────────────────────────

/**
 * Flags fulfillment orders that will miss their cut-off (late) or whose tracking says they will
 * miss the promised date (at risk), clears those that no longer will, and carries the verdict to
 * their orders (the worst of each order's fulfillment orders). Publishes an event per change.
 */
export async function assessRisk(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  fulfillmentOrderIds: string[],
  now = new Date(),
) {
  const fos = [];
  for (const id of [...fulfillmentOrderIds].sort()) {
    const fo = await store.findFulfillmentOrder(db, tenantId, id, true);
    if (fo) fos.push(fo);
  }
  const locations = await findLocations(
    db,
    tenantId,
    fos.map((f) => f.location_id),
  );
  const touched = new Set<string>();
  for (const fo of fos) {
    const verdict = await riskOf(db, tenantId, fo, locations.get(fo.location_id)!, now);
    if (verdict?.risk === fo.risk && verdict?.reason === fo.risk_reason) continue;
    if (!verdict && fo.risk === null) continue;
    await store.updateFulfillmentOrder(db, tenantId, fo.fulfillment_order_id, {
      risk: verdict?.risk ?? null,
      risk_reason: verdict?.reason ?? null,
    });
    await publish(db, tenantId, actor, {
      type: verdict ? 'fulfillment_order.at_risk' : 'fulfillment_order.risk_cleared',
      subject: fo.fulfillment_order_id,
      data: {
        fulfillment_order_id: fo.fulfillment_order_id,
        order_ids: fo.order_ids,
        risk: verdict?.risk ?? null,
        reason: verdict?.reason ?? null,
      },
    });
    for (const o of fo.order_ids) touched.add(o);
  }
  for (const orderId of touched) {
    const mine = await store.fulfillmentOrdersOf(db, tenantId, [orderId]);
    const worst = mine.find((f) => f.risk === 'late') ?? mine.find((f) => f.risk === 'at_risk');
    await orders.setRisk(
      db,
      tenantId,
      actor,
      orderId,
      worst ? { risk: worst.risk!, reason: worst.risk_reason! } : null,
    );
  }
  return touched.size;
}

async function riskOf(
  db: Queryable,
  tenantId: string,
  fo: FulfillmentOrderRow,
  location: Parameters<typeof lateness>[0],
  now: Date,
): Promise<{ risk: 'late' | 'at_risk'; reason: string } | null> {
  if (OPEN.includes(fo.status)) {
    const late = lateness(location, fo.ship_by, now);
    return late ? { risk: 'late', reason: late } : null;
  }
  if (fo.status === 'shipped') {
    const shipments = await store.shipmentsOf(db, tenantId, {
      fulfillment_order_id: fo.fulfillment_order_id,
    });
    const risk = trackingRisk(fo.promised_delivery_date, shipments);
    return risk ? { risk: 'at_risk', reason: risk } : null;
  }
  return null;
}

/** The sweep: every tenant's open fulfillment orders due by tomorrow, and those in transit. */
export async function riskSweep(db: Queryable, now = new Date()) {
  const tomorrow = localDateTime(new Date(now.getTime() + 36 * 3600_000), 'UTC').date;
  const rows = await store.fulfillmentOrdersToWatch(db, tomorrow);
  const byTenant = new Map<string, string[]>();
  for (const r of rows)
    byTenant.set(r.tenant_id, [...(byTenant.get(r.tenant_id) ?? []), r.fulfillment_order_id]);
  let changed = 0;
  for (const [tenantId, ids] of byTenant) {
    changed += await assessRisk(db, tenantId, { type: 'system', id: 'at-risk-sweep' }, ids, now);
  }
  return changed;
}

// ── keeping fulfillment orders in step with their orders ────────────────────────────────────

/**
 * After an order changed outside fulfillment (cancelled units, backorders released): open
 * fulfillment orders left with nothing to ship become cancelled (or shipped, when part had
 * shipped), and a released order's newly reserved units get fulfillment orders.
 */
export async function syncOrder(db: Queryable, tenantId: string, actor: Actor, orderId: string) {
  const order = await getOrder(db, tenantId, orderId);
  const fos = await withItems(db, tenantId, await store.fulfillmentOrdersOf(db, tenantId, [orderId], true));
  for (const fo of fos) {
    if (!OPEN.includes(fo.status) || fo.items.some((i) => i.quantity > 0)) continue;
    const status = fo.items.some((i) => i.shipped > 0) ? 'shipped' : 'cancelled';
    await store.updateFulfillmentOrder(db, tenantId, fo.fulfillment_order_id, { status });
    await trail(db, tenantId, actor, fo, `fulfillment_${status}`, null);
    await publish(db, tenantId, actor, {
      type: 'fulfillment_order.status_changed',
      subject: fo.fulfillment_order_id,
      data: {
        fulfillment_order_id: fo.fulfillment_order_id,
        from: fo.status,
        to: status,
        order_ids: fo.order_ids,
      },
    });
  }
  await createFulfillmentOrders(db, tenantId, actor, [{ ...order, failure: null }]);
}

// ── packing slip ─────────────────────────────────────────────────────────────────────────────

export async function packingSlip(db: Queryable, tenantId: string, id: string) {
  const fo = await getFulfillmentOrder(db, tenantId, id);
  const settings = await getSettings(db, tenantId);
  const locations = await findLocations(db, tenantId, [fo.location_id]);
  const first = await getOrder(db, tenantId, fo.order_ids[0]!);
  const location = locations.get(fo.location_id)!;
  const products = await findProducts(db, tenantId, [...new Set(fo.items.map((i) => i.sku))]);
  const slip: PackingSlip = {
    branding: settings.branding,
    fulfillment_order_id: fo.fulfillment_order_id,
    order_numbers: [...new Set(fo.items.map((i) => i.order_number))],
    location: { name: location.name, address: location.address },
    ship_to: { name: first.customer.name, ...first.shipping_address },
    service_level: fo.service_level,
    ship_by: fo.ship_by,
    gift_message: first.gift_message,
    items: fo.items
      .filter((i) => i.quantity > 0 || i.shipped > 0)
      .map((i) => ({
        sku: i.sku,
        name: products.get(i.sku)?.name ?? i.sku,
        quantity: i.quantity + i.shipped,
        order_number: i.order_number,
        bundle_sku: i.bundle_sku,
      })),
    created_at: fo.created_at,
  };
  return { filename: `packing-slip-${fo.fulfillment_order_id}.pdf`, pdf: await renderPackingSlip(slip) };
}
