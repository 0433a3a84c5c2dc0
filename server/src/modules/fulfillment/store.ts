import type { Queryable } from '../../db/pool.ts';
import type { FulfillmentStatus, ShipmentItem } from './schema.ts';

/** The SQL of fulfillment orders, shipments, their tracking, and fulfillment settings. */

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export type FulfillmentOrderRow = {
  fulfillment_order_id: string;
  location_id: string;
  order_ids: string[];
  consolidation_group: string | null;
  status: FulfillmentStatus;
  picking_method: 'single' | 'batch' | 'wave' | 'zone';
  priority: 'urgent' | 'normal';
  service_level: string;
  ship_by: string;
  promised_delivery_date: string;
  failure_reason: string | null;
  risk: 'late' | 'at_risk' | null;
  risk_reason: string | null;
  created_at: string;
  updated_at: string;
};

// Dates travel as text so a `date` never shifts through the process's time zone.
const FO_COLUMNS = `fulfillment_order_id, location_id, order_ids, consolidation_group, status, picking_method,
  priority, service_level, ship_by::text, promised_delivery_date::text, failure_reason, risk, risk_reason,
  created_at, updated_at`;

const foFromRow = (r: Record<string, unknown>) =>
  ({
    ...r,
    created_at: iso(r.created_at as Date),
    updated_at: iso(r.updated_at as Date),
  }) as FulfillmentOrderRow;

export async function insertFulfillmentOrder(
  db: Queryable,
  tenantId: string,
  fo: Omit<FulfillmentOrderRow, 'created_at' | 'updated_at' | 'failure_reason' | 'risk' | 'risk_reason'>,
) {
  const { rows } = await db.query(
    `insert into fulfillment_orders (tenant_id, fulfillment_order_id, location_id, order_ids, consolidation_group,
       status, picking_method, priority, service_level, ship_by, promised_delivery_date)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     returning ${FO_COLUMNS}`,
    [
      tenantId,
      fo.fulfillment_order_id,
      fo.location_id,
      fo.order_ids,
      fo.consolidation_group,
      fo.status,
      fo.picking_method,
      fo.priority,
      fo.service_level,
      fo.ship_by,
      fo.promised_delivery_date,
    ],
  );
  return foFromRow(rows[0]!);
}

export async function findFulfillmentOrder(db: Queryable, tenantId: string, id: string, lock = false) {
  const { rows } = await db.query(
    `select ${FO_COLUMNS} from fulfillment_orders where tenant_id = $1 and fulfillment_order_id = $2
     ${lock ? 'for update' : ''}`,
    [tenantId, id],
  );
  return rows[0] ? foFromRow(rows[0]) : null;
}

/** Fulfillment orders of these orders, oldest first; `lock` takes them in id order. */
export async function fulfillmentOrdersOf(db: Queryable, tenantId: string, orderIds: string[], lock = false) {
  const { rows } = await db.query(
    `select ${FO_COLUMNS} from fulfillment_orders where tenant_id = $1 and order_ids && $2::text[]
     order by ${lock ? 'fulfillment_order_id for update' : 'created_at, fulfillment_order_id'}`,
    [tenantId, orderIds],
  );
  return rows.map(foFromRow);
}

export type FulfillmentFilter = {
  status?: FulfillmentStatus | undefined;
  location_id?: string | undefined;
  order_id?: string | undefined;
  priority?: 'urgent' | 'normal' | undefined;
  risk?: 'late' | 'at_risk' | undefined;
};

/** Oldest ship-by first (the pick queue's order), then id; `after` is the last row's key. */
export async function listFulfillmentOrders(
  db: Queryable,
  tenantId: string,
  f: FulfillmentFilter,
  after: { ship_by: string; id: string } | undefined,
  limit: number,
) {
  const where = ['tenant_id = $1'];
  const params: unknown[] = [tenantId];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (f.status) where.push(`status = ${p(f.status)}`);
  if (f.location_id) where.push(`location_id = ${p(f.location_id)}`);
  if (f.order_id) where.push(`order_ids @> array[${p(f.order_id)}]::text[]`);
  if (f.priority) where.push(`priority = ${p(f.priority)}`);
  if (f.risk) where.push(`risk = ${p(f.risk)}`);
  if (after) where.push(`(ship_by, fulfillment_order_id) > (${p(after.ship_by)}::date, ${p(after.id)})`);
  const { rows } = await db.query(
    `select ${FO_COLUMNS} from fulfillment_orders where ${where.join(' and ')}
     order by ship_by, fulfillment_order_id limit ${p(limit + 1)}`,
    params,
  );
  return rows.map(foFromRow);
}

export async function updateFulfillmentOrder(
  db: Queryable,
  tenantId: string,
  id: string,
  set: Partial<Pick<FulfillmentOrderRow, 'status' | 'failure_reason' | 'risk' | 'risk_reason'>>,
) {
  const keys = Object.keys(set) as (keyof typeof set)[];
  const { rows } = await db.query(
    `update fulfillment_orders set ${keys.map((k, i) => `${k} = $${i + 3}`).join(', ')}, updated_at = now()
     where tenant_id = $1 and fulfillment_order_id = $2 returning ${FO_COLUMNS}`,
    [tenantId, id, ...keys.map((k) => set[k])],
  );
  return foFromRow(rows[0]!);
}

/** Open fulfillment orders due by `until` and shipped ones not yet delivered, every tenant's. */
export async function fulfillmentOrdersToWatch(db: Queryable, until: string) {
  const { rows } = await db.query(
    `select tenant_id, ${FO_COLUMNS} from fulfillment_orders
     where (status in ('pending', 'assigned', 'picking', 'packed') and ship_by <= $1::date)
        or (status = 'shipped') or risk is not null
     order by tenant_id, fulfillment_order_id`,
    [until],
  );
  return rows.map((r) => ({ tenant_id: r.tenant_id as string, ...foFromRow(r) }));
}

// ── shipments ────────────────────────────────────────────────────────────────────────────────

export type ShipmentRow = {
  shipment_id: string;
  fulfillment_order_id: string;
  location_id: string;
  order_ids: string[];
  carrier: string;
  service: string;
  tracking_numbers: string[];
  packages: { weight_lb: number; length_in?: number; width_in?: number; height_in?: number }[];
  items: ShipmentItem[];
  status: 'shipped' | 'in_transit' | 'out_for_delivery' | 'delivered' | 'exception';
  estimated_delivery_date: string | null;
  shipped_at: string;
  delivered_at: string | null;
  created_at: string;
  updated_at: string;
};

const SHIPMENT_COLUMNS = `shipment_id, fulfillment_order_id, location_id, order_ids, carrier, service, tracking_numbers,
  packages, items, status, estimated_delivery_date::text, shipped_at, delivered_at, created_at, updated_at`;

const shipmentFromRow = (r: Record<string, unknown>) =>
  ({
    ...r,
    shipped_at: iso(r.shipped_at as Date),
    delivered_at: iso(r.delivered_at as Date | null),
    created_at: iso(r.created_at as Date),
    updated_at: iso(r.updated_at as Date),
  }) as ShipmentRow;

export async function insertShipment(
  db: Queryable,
  tenantId: string,
  s: Omit<ShipmentRow, 'created_at' | 'updated_at' | 'delivered_at' | 'estimated_delivery_date' | 'status'>,
) {
  const { rows } = await db.query(
    `insert into shipments (tenant_id, shipment_id, fulfillment_order_id, location_id, order_ids, carrier, service,
       tracking_numbers, packages, items, status, shipped_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'shipped', $11)
     on conflict (tenant_id, carrier, (tracking_numbers[1])) do nothing
     returning ${SHIPMENT_COLUMNS}`,
    [
      tenantId,
      s.shipment_id,
      s.fulfillment_order_id,
      s.location_id,
      s.order_ids,
      s.carrier,
      s.service,
      s.tracking_numbers,
      JSON.stringify(s.packages),
      JSON.stringify(s.items),
      s.shipped_at,
    ],
  );
  return rows[0] ? shipmentFromRow(rows[0]) : null;
}

export async function findShipment(db: Queryable, tenantId: string, id: string, lock = false) {
  const { rows } = await db.query(
    `select ${SHIPMENT_COLUMNS} from shipments where tenant_id = $1 and shipment_id = $2 ${lock ? 'for update' : ''}`,
    [tenantId, id],
  );
  return rows[0] ? shipmentFromRow(rows[0]) : null;
}

export async function findShipmentByTracking(
  db: Queryable,
  tenantId: string,
  carrier: string,
  tracking: string,
) {
  const { rows } = await db.query(
    `select ${SHIPMENT_COLUMNS} from shipments
     where tenant_id = $1 and carrier = $2 and tracking_numbers[1] = $3`,
    [tenantId, carrier, tracking],
  );
  return rows[0] ? shipmentFromRow(rows[0]) : null;
}

/** Shipments of these orders (or of one fulfillment order), oldest first. */
export async function shipmentsOf(
  db: Queryable,
  tenantId: string,
  by: { order_ids: string[] } | { fulfillment_order_id: string },
) {
  const { rows } =
    'order_ids' in by
      ? await db.query(
          `select ${SHIPMENT_COLUMNS} from shipments where tenant_id = $1 and order_ids && $2::text[]
           order by created_at, shipment_id`,
          [tenantId, by.order_ids],
        )
      : await db.query(
          `select ${SHIPMENT_COLUMNS} from shipments where tenant_id = $1 and fulfillment_order_id = $2
           order by created_at, shipment_id`,
          [tenantId, by.fulfillment_order_id],
        );
  return rows.map(shipmentFromRow);
}

/** Shipments the carrier has not delivered yet, every tenant's, least recently updated first. */
export async function shipmentsInFlight(db: Queryable, limit: number) {
  const { rows } = await db.query(
    `select tenant_id, ${SHIPMENT_COLUMNS} from shipments where status <> 'delivered'
     order by updated_at limit $1`,
    [limit],
  );
  return rows.map((r) => ({ tenant_id: r.tenant_id as string, ...shipmentFromRow(r) }));
}

export async function updateShipment(
  db: Queryable,
  tenantId: string,
  id: string,
  set: Pick<ShipmentRow, 'status' | 'estimated_delivery_date' | 'delivered_at'>,
) {
  const { rows } = await db.query(
    `update shipments set status = $3, estimated_delivery_date = $4, delivered_at = $5, updated_at = now()
     where tenant_id = $1 and shipment_id = $2 returning ${SHIPMENT_COLUMNS}`,
    [tenantId, id, set.status, set.estimated_delivery_date, set.delivered_at],
  );
  return shipmentFromRow(rows[0]!);
}

export type TrackingRow = {
  status: string;
  occurred_at: string;
  description: string;
  location: string | null;
  estimated_delivery_date: string | null;
  source: string;
};

/** Records a tracking event; false when this shipment already has it (a replayed update). */
export async function insertTracking(db: Queryable, tenantId: string, shipmentId: string, t: TrackingRow) {
  const { rowCount } = await db.query(
    `insert into shipment_tracking (tenant_id, shipment_id, status, occurred_at, description, location,
       estimated_delivery_date, source)
     values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict do nothing`,
    [
      tenantId,
      shipmentId,
      t.status,
      t.occurred_at,
      t.description,
      t.location,
      t.estimated_delivery_date,
      t.source,
    ],
  );
  return rowCount === 1;
}

export async function latestTrackingAt(db: Queryable, tenantId: string, shipmentId: string) {
  const { rows } = await db.query<{ at: Date | null }>(
    'select max(occurred_at) as at from shipment_tracking where tenant_id = $1 and shipment_id = $2',
    [tenantId, shipmentId],
  );
  return iso(rows[0]?.at ?? null);
}

export async function trackingOf(db: Queryable, tenantId: string, shipmentIds: string[]) {
  if (shipmentIds.length === 0) return new Map<string, TrackingRow[]>();
  const { rows } = await db.query(
    `select shipment_id, status, occurred_at, description, location, estimated_delivery_date::text, source
     from shipment_tracking where tenant_id = $1 and shipment_id = any($2) order by occurred_at, status`,
    [tenantId, shipmentIds],
  );
  const out = new Map<string, TrackingRow[]>();
  for (const { shipment_id, ...r } of rows) {
    const list = out.get(shipment_id) ?? [];
    list.push({ ...r, occurred_at: iso(r.occurred_at) } as TrackingRow);
    out.set(shipment_id, list);
  }
  return out;
}

// ── settings ─────────────────────────────────────────────────────────────────────────────────

export async function loadSettings(db: Queryable, tenantId: string) {
  const { rows } = await db.query<{ settings: unknown; updated_at: Date }>(
    'select settings, updated_at from fulfillment_settings where tenant_id = $1',
    [tenantId],
  );
  return rows[0];
}

export async function saveSettings(db: Queryable, tenantId: string, settings: unknown) {
  const { rows } = await db.query<{ updated_at: Date }>(
    `insert into fulfillment_settings (tenant_id, settings) values ($1, $2)
     on conflict (tenant_id) do update set settings = excluded.settings, updated_at = now()
     returning updated_at`,
    [tenantId, JSON.stringify(settings)],
  );
  return rows[0]!.updated_at;
}
