import { prepared, type Queryable } from '../../db/pool.ts';
import type { Actor } from '../../http/context.ts';
import type { Order } from './schema.ts';
import type { OrderStatus } from './status.ts';

/** The order as kept in memory while a change is worked out: the API shape plus its failure flag. */
export type OrderRecord = Order & { failure: 'routing_failed' | 'allocation_failed' | null };
export type LineRecord = OrderRecord['lines'][number];
export type AllocationRecord = LineRecord['allocations'][number];

const iso = (d: Date | null) => (d ? d.toISOString() : null);

// Dates are read as text so a `date` column never shifts through the process's time zone.
export const ORDER_COLUMNS = `o.order_id, o.order_number, o.channel, o.channel_order_id, o.order_type, o.status,
  o.failure, o.failure_reason, o.hold_reason, o.released_at, o.consolidation_group, o.customer, o.shipping_address,
  o.billing_address, o.currency, o.service_level, o.shipping_method, o.totals, o.refund_due::float8,
  o.notes, o.gift_message, o.tags, o.replacement_for, o.subscription_id, o.release_date::text,
  o.promised_delivery_date::text, o.risk, o.risk_reason, o.location_ids, o.placed_at, o.created_at, o.updated_at`;

const LINES_JSON = `(select coalesce(json_agg(json_build_object(
    'line_no', l.line_no, 'sku', l.sku, 'quantity', l.quantity, 'unit_price', l.unit_price::float8,
    'discount', l.discount::float8, 'tax', l.tax::float8, 'allocated', l.allocated,
    'backordered', l.backordered, 'cancelled', l.cancelled, 'shipped', l.shipped,
    'delivered', l.delivered, 'returned', l.returned, 'refunded', l.refunded::float8,
    'allocations', (select coalesce(json_agg(json_build_object('sku', a.sku, 'location_id', a.location_id,
        'quantity', a.quantity, 'shipped', a.shipped, 'delivered', a.delivered,
        'fulfillment_order_id', a.fulfillment_order_id, 'picked', a.picked,
        'reservation_id', a.reservation_id, 'service_id', a.service_id,
        'service_level', a.service_level, 'ship_date', a.ship_date, 'delivery_date', a.delivery_date,
        'routing_no', a.routing_no) order by a.routing_no, a.sku, a.location_id), '[]')
      from order_allocations a
      where a.tenant_id = l.tenant_id and a.order_id = l.order_id and a.line_no = l.line_no
        and (a.quantity > 0 or a.shipped > 0))
  ) order by l.line_no), '[]')
  from order_lines l where l.tenant_id = o.tenant_id and l.order_id = o.order_id) as lines`;

type OrderRow = Omit<OrderRecord, 'released_at' | 'placed_at' | 'created_at' | 'updated_at' | 'on_hold'> & {
  released_at: Date | null;
  placed_at: Date;
  created_at: Date;
  updated_at: Date;
};

export function fromRow(r: OrderRow): OrderRecord {
  return {
    ...r,
    on_hold: r.hold_reason !== null,
    released_at: iso(r.released_at),
    placed_at: r.placed_at.toISOString(),
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
    lines: r.lines ?? [],
  };
}

const findSql = (lock: boolean) =>
  prepared(
    `orders.find${lock ? '-for-update' : ''}`,
    `select ${ORDER_COLUMNS}, ${LINES_JSON} from orders o
     where o.tenant_id = $1 and o.order_id = $2 ${lock ? 'for update of o' : ''}`,
  );
const findLocked = findSql(true);
const findUnlocked = findSql(false);

/** The whole order; `lock` takes its row lock, which every change to an order holds first. */
export async function findOrder(db: Queryable, tenantId: string, orderId: string, lock = false) {
  const { rows } = await (lock ? findLocked : findUnlocked)<OrderRow>(db, [tenantId, orderId]);
  return rows[0] ? fromRow(rows[0]) : null;
}

export async function orderExists(db: Queryable, tenantId: string, orderId: string) {
  const { rowCount } = await db.query('select 1 from orders where tenant_id = $1 and order_id = $2', [
    tenantId,
    orderId,
  ]);
  return rowCount === 1;
}

/**
 * Makes concurrent captures of one channel order wait for each other (a transaction-scoped
 * advisory lock on the channel order id), then answers the order already captured, if any. The
 * lock is taken in its own statement so the read after it sees what the first capture committed.
 */
export async function claimChannelOrder(db: Queryable, tenantId: string, channel: string, id: string) {
  await claimSql(db, [JSON.stringify([tenantId, channel, id])]);
  // Not a prepared (generic) plan: one made while the table was small scanned the whole tenant.
  const { rows } = await db.query<{ order_id: string }>(
    'select order_id from orders where tenant_id = $1 and channel = $2 and channel_order_id = $3',
    [tenantId, channel, id],
  );
  return rows[0]?.order_id ?? null;
}
const claimSql = prepared('orders.claim', 'select pg_advisory_xact_lock(hashtextextended($1, 7461004))');

export type RoutingRow = {
  trigger: string;
  reason: string | null;
  plan: unknown;
  reservation_id: string | null;
  attempts: number;
};

/**
 * A captured order in one statement: the order row with its final status, its lines, its first
 * routing and allocations, and its audit entries. Written once, after the stock is reserved, so
 * the order's many indexes are maintained once, not for an insert and then an update.
 */
const insertCapturedSql = prepared(
  'orders.insert-captured',
  `with o as (
     insert into orders (tenant_id, order_id, channel, channel_order_id, order_type, status, failure,
       failure_reason, customer, customer_name, customer_email, shipping_address, billing_address, currency,
       service_level, shipping_method, shipping, totals, notes, gift_message, tags, replacement_for,
       subscription_id, release_date, location_ids, promised_delivery_date, placed_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
       $22, $23, $24, $25, $26, $27)
     returning order_number, created_at
   ), l as (
     insert into order_lines (tenant_id, order_id, line_no, sku, quantity, unit_price, discount, tax,
       allocated, backordered)
     select $1, $2, * from unnest($28::int[], $29::text[], $30::int[], $31::numeric[], $32::numeric[],
       $33::numeric[], $34::int[], $35::int[])
   ), r as (
     insert into order_routings (tenant_id, order_id, routing_no, trigger, reason, plan, reservation_id,
       attempts, actor)
     select $1, $2, 1, $36, $37, $38, $39, $40, $41 where $36::text is not null
   ), a as (
     insert into order_allocations (tenant_id, order_id, line_no, sku, location_id, reservation_id, quantity,
       routing_no, service_id, service_level, ship_date, delivery_date)
     select $1, $2, x.line_no, x.sku, x.location_id, x.reservation_id, x.quantity, 1, x.service_id,
       x.service_level, x.ship_date, x.delivery_date
     from unnest($42::int[], $43::text[], $44::text[], $45::text[], $46::int[], $47::text[], $48::text[],
       $49::date[], $50::date[])
       as x (line_no, sku, location_id, reservation_id, quantity, service_id, service_level, ship_date, delivery_date)
   ), e as (
     insert into order_events (tenant_id, order_id, type, from_status, to_status, actor, note, data)
     select $1, $2, x.type, x.from_status, x.to_status, $41, x.note, x.data
     from unnest($51::text[], $52::text[], $53::text[], $54::text[], $55::jsonb[]) with ordinality
       as x (type, from_status, to_status, note, data, n)
     order by x.n
   )
   select order_number, created_at from o`,
);

export async function insertCapturedOrder(
  db: Queryable,
  tenantId: string,
  o: OrderRecord,
  routing: RoutingRow | null,
  audit: AuditEntry[],
  actor: Actor,
) {
  const allocations = o.lines.flatMap((l) => l.allocations.map((a) => ({ ...a, line_no: l.line_no })));
  const { rows } = await insertCapturedSql<{ order_number: string; created_at: Date }>(db, [
    tenantId,
    o.order_id,
    o.channel,
    o.channel_order_id,
    o.order_type,
    o.status,
    o.failure,
    o.failure_reason,
    JSON.stringify(o.customer),
    o.customer.name ?? '',
    o.customer.email ?? '',
    JSON.stringify(o.shipping_address),
    o.billing_address ? JSON.stringify(o.billing_address) : null,
    o.currency,
    o.service_level,
    o.shipping_method,
    o.totals.shipping,
    JSON.stringify(o.totals),
    o.notes,
    o.gift_message,
    o.tags,
    o.replacement_for,
    o.subscription_id,
    o.release_date,
    o.location_ids,
    o.promised_delivery_date,
    o.placed_at,
    o.lines.map((l) => l.line_no),
    o.lines.map((l) => l.sku),
    o.lines.map((l) => l.quantity),
    o.lines.map((l) => l.unit_price),
    o.lines.map((l) => l.discount),
    o.lines.map((l) => l.tax),
    o.lines.map((l) => l.allocated),
    o.lines.map((l) => l.backordered),
    routing?.trigger ?? null,
    routing?.reason ?? null,
    routing ? JSON.stringify(routing.plan) : null,
    routing?.reservation_id ?? null,
    routing?.attempts ?? 0,
    JSON.stringify(actor),
    ...allocationColumns(allocations),
    ...auditColumns(audit),
  ]);
  const row = rows[0]!;
  const at = row.created_at.toISOString();
  return { order_number: Number(row.order_number), created_at: at, updated_at: at };
}

type AllocationRow = Omit<AllocationRecord, 'routing_no'> & { line_no: number };

/** Allocation rows as the `unnest` column arrays both order statements take. */
const allocationColumns = (rows: AllocationRow[]) => [
  rows.map((a) => a.line_no),
  rows.map((a) => a.sku),
  rows.map((a) => a.location_id),
  rows.map((a) => a.reservation_id),
  rows.map((a) => a.quantity),
  rows.map((a) => a.service_id),
  rows.map((a) => a.service_level),
  rows.map((a) => a.ship_date),
  rows.map((a) => a.delivery_date),
];

const auditColumns = (entries: AuditEntry[]) => [
  entries.map((e) => e.type),
  entries.map((e) => e.from_status ?? null),
  entries.map((e) => e.to_status ?? null),
  entries.map((e) => e.note ?? null),
  entries.map((e) => (e.data === undefined || e.data === null ? null : JSON.stringify(e.data))),
];

// ── what fulfillment changes ────────────────────────────────────────────────────────────────

type RowRef = { line_no: number; sku: string; location_id: string; reservation_id: string; quantity: number };
const refColumns = (rows: readonly RowRef[]) => [
  rows.map((r) => r.line_no),
  rows.map((r) => r.sku),
  rows.map((r) => r.location_id),
  rows.map((r) => r.reservation_id),
  rows.map((r) => r.quantity),
];

export async function markAllocations(
  db: Queryable,
  tenantId: string,
  orderId: string,
  rows: readonly RowRef[],
  set: { fulfillment_order_id: string },
) {
  await db.query(
    `update order_allocations a set fulfillment_order_id = $8
     from unnest($3::int[], $4::text[], $5::text[], $6::text[], $7::int[])
       as x (line_no, sku, location_id, reservation_id, quantity)
     where a.tenant_id = $1 and a.order_id = $2 and a.line_no = x.line_no and a.sku = x.sku
       and a.location_id = x.location_id and a.reservation_id = x.reservation_id`,
    [tenantId, orderId, ...refColumns(rows), set.fulfillment_order_id],
  );
}

export async function markPicked(db: Queryable, tenantId: string, fulfillmentOrderId: string) {
  await db.query(
    `update order_allocations set picked = true
     where tenant_id = $1 and fulfillment_order_id = $2 and not picked`,
    [tenantId, fulfillmentOrderId],
  );
}

/** Units of allocation rows shipped (reserved → shipped) or delivered (shipped → delivered). */
export async function moveAllocationUnits(
  db: Queryable,
  tenantId: string,
  orderId: string,
  rows: readonly RowRef[],
  to: 'shipped' | 'delivered',
) {
  const set =
    to === 'shipped'
      ? 'quantity = a.quantity - x.quantity, shipped = a.shipped + x.quantity'
      : 'delivered = a.delivered + x.quantity';
  await db.query(
    `update order_allocations a set ${set}
     from unnest($3::int[], $4::text[], $5::text[], $6::text[], $7::int[])
       as x (line_no, sku, location_id, reservation_id, quantity)
     where a.tenant_id = $1 and a.order_id = $2 and a.line_no = x.line_no and a.sku = x.sku
       and a.location_id = x.location_id and a.reservation_id = x.reservation_id`,
    [tenantId, orderId, ...refColumns(rows)],
  );
}

export type FulfillmentItemRow = {
  fulfillment_order_id: string;
  order_id: string;
  order_number: number;
  line_no: number;
  sku: string;
  bundle_sku: string | null;
  location_id: string;
  reservation_id: string;
  quantity: number;
  shipped: number;
  delivered: number;
};

/** The allocation rows that name these fulfillment orders: what each holds, shipped and delivered. */
export async function fulfillmentItems(db: Queryable, tenantId: string, fulfillmentOrderIds: string[]) {
  if (fulfillmentOrderIds.length === 0) return [];
  const { rows } = await db.query<FulfillmentItemRow>(
    `select a.fulfillment_order_id, a.order_id, o.order_number::int, a.line_no, a.sku,
       case when l.sku <> a.sku then l.sku end as bundle_sku, a.location_id, a.reservation_id,
       a.quantity, a.shipped, a.delivered
     from order_allocations a
     join order_lines l on l.tenant_id = a.tenant_id and l.order_id = a.order_id and l.line_no = a.line_no
     join orders o on o.tenant_id = a.tenant_id and o.order_id = a.order_id
     where a.tenant_id = $1 and a.fulfillment_order_id = any($2) and (a.quantity > 0 or a.shipped > 0)
     order by a.fulfillment_order_id, o.order_number, a.line_no, a.sku, a.reservation_id`,
    [tenantId, fulfillmentOrderIds],
  );
  return rows;
}

/** Sets or clears the order's risk; false when it already was that. */
export async function setRisk(
  db: Queryable,
  tenantId: string,
  orderId: string,
  risk: { risk: 'late' | 'at_risk'; reason: string } | null,
) {
  const { rowCount } = await db.query(
    `update orders set risk = $3, risk_reason = $4, updated_at = now()
     where tenant_id = $1 and order_id = $2 and (risk, risk_reason) is distinct from ($3, $4)`,
    [tenantId, orderId, risk?.risk ?? null, risk?.reason ?? null],
  );
  return rowCount === 1;
}

const updateOrderSql = prepared(
  'orders.update',
  `with l as (
     update order_lines l set allocated = x.allocated, backordered = x.backordered, cancelled = x.cancelled,
       shipped = x.shipped, delivered = x.delivered, returned = x.returned, refunded = x.refunded
     from unnest($16::int[], $17::int[], $18::int[], $19::int[], $20::int[], $21::int[], $22::int[], $23::numeric[])
       as x (line_no, allocated, backordered, cancelled, shipped, delivered, returned, refunded)
     where l.tenant_id = $1 and l.order_id = $2 and l.line_no = x.line_no
   )
   update orders set status = $3, failure = $4, failure_reason = $5, hold_reason = $6, released_at = $7,
     consolidation_group = $27,
     shipping_address = $8, customer = $9, customer_name = $10, customer_email = $11, notes = $12,
     gift_message = $13, tags = $14, totals = $15, refund_due = $24, location_ids = $25,
     promised_delivery_date = $26, updated_at = now()
   where tenant_id = $1 and order_id = $2
   returning updated_at`,
);

/** Writes every mutable field of the order and its lines' counters. */
export async function saveOrder(db: Queryable, tenantId: string, o: OrderRecord) {
  const { rows } = await updateOrderSql<{ updated_at: Date }>(db, [
    tenantId,
    o.order_id,
    o.status,
    o.failure,
    o.failure_reason,
    o.hold_reason,
    o.released_at,
    JSON.stringify(o.shipping_address),
    JSON.stringify(o.customer),
    o.customer.name ?? '',
    o.customer.email ?? '',
    o.notes,
    o.gift_message,
    o.tags,
    JSON.stringify(o.totals),
    o.lines.map((l) => l.line_no),
    o.lines.map((l) => l.allocated),
    o.lines.map((l) => l.backordered),
    o.lines.map((l) => l.cancelled),
    o.lines.map((l) => l.shipped),
    o.lines.map((l) => l.delivered),
    o.lines.map((l) => l.returned),
    o.lines.map((l) => l.refunded),
    o.refund_due,
    o.location_ids,
    o.promised_delivery_date,
    o.consolidation_group,
  ]);
  return iso(rows[0]!.updated_at)!;
}

// ── allocations and the routing log ─────────────────────────────────────────────────────────

/** Takes `quantity` off allocation rows (units voided or shipped). */
export async function reduceAllocations(
  db: Queryable,
  tenantId: string,
  orderId: string,
  rows: readonly RowRef[],
) {
  if (rows.length === 0) return;
  await db.query(
    `update order_allocations a set quantity = a.quantity - x.quantity
     from unnest($3::int[], $4::text[], $5::text[], $6::text[], $7::int[])
       as x (line_no, sku, location_id, reservation_id, quantity)
     where a.tenant_id = $1 and a.order_id = $2 and a.line_no = x.line_no and a.sku = x.sku
       and a.location_id = x.location_id and a.reservation_id = x.reservation_id`,
    [tenantId, orderId, ...refColumns(rows)],
  );
}

const insertRoutingSql = prepared(
  'orders.insert-routing',
  `with r as (
     insert into order_routings (tenant_id, order_id, routing_no, trigger, reason, plan, reservation_id, attempts, actor)
     values ($1, $2, coalesce((select max(routing_no) from order_routings where tenant_id = $1 and order_id = $2), 0) + 1,
       $3, $4, $5, $6, $7, $8)
     returning routing_no
   ), a as (
     insert into order_allocations (tenant_id, order_id, line_no, sku, location_id, reservation_id, quantity,
       routing_no, service_id, service_level, ship_date, delivery_date)
     select $1, $2, x.line_no, x.sku, x.location_id, x.reservation_id, x.quantity, r.routing_no, x.service_id,
       x.service_level, x.ship_date, x.delivery_date
     from r, unnest($9::int[], $10::text[], $11::text[], $12::text[], $13::int[], $14::text[], $15::text[],
       $16::date[], $17::date[])
       as x (line_no, sku, location_id, reservation_id, quantity, service_id, service_level, ship_date, delivery_date)
   )
   select routing_no from r`,
);

/** A later routing and the allocations it made, numbered after the order's last routing. */
export async function insertRouting(
  db: Queryable,
  tenantId: string,
  orderId: string,
  r: RoutingRow,
  allocations: AllocationRow[],
  actor: Actor,
) {
  const { rows } = await insertRoutingSql<{ routing_no: number }>(db, [
    tenantId,
    orderId,
    r.trigger,
    r.reason,
    JSON.stringify(r.plan),
    r.reservation_id,
    r.attempts,
    JSON.stringify(actor),
    ...allocationColumns(allocations),
  ]);
  return rows[0]!.routing_no;
}

export async function listRoutings(db: Queryable, tenantId: string, orderId: string) {
  const { rows } = await db.query(
    `select routing_no, trigger, reason, reservation_id, attempts, actor, created_at, plan
     from order_routings where tenant_id = $1 and order_id = $2 order by routing_no`,
    [tenantId, orderId],
  );
  return rows.map((r) => ({ ...r, created_at: (r.created_at as Date).toISOString() }));
}

// ── the audit trail ──────────────────────────────────────────────────────────────────────────

export type AuditEntry = {
  type: string;
  from_status?: OrderStatus | null;
  to_status?: OrderStatus | null;
  note?: string | null;
  data?: unknown;
};

const insertAuditSql = prepared(
  'orders.insert-audit',
  `insert into order_events (tenant_id, order_id, type, from_status, to_status, actor, note, data)
   select $1, $2, x.type, x.from_status, x.to_status, $3, x.note, x.data
   from unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[]) with ordinality
     as x (type, from_status, to_status, note, data, n)
   order by x.n`,
);

export async function insertAudit(
  db: Queryable,
  tenantId: string,
  orderId: string,
  actor: Actor,
  entries: AuditEntry[],
) {
  if (entries.length === 0) return;
  await insertAuditSql(db, [tenantId, orderId, JSON.stringify(actor), ...auditColumns(entries)]);
}

export async function listAudit(db: Queryable, tenantId: string, orderId: string) {
  const { rows } = await db.query(
    `select id::int, type, from_status, to_status, actor, note, data, created_at
     from order_events where tenant_id = $1 and order_id = $2 order by id`,
    [tenantId, orderId],
  );
  return rows.map((r) => ({ ...r, created_at: (r.created_at as Date).toISOString() }));
}

/**
 * Orders that may be released with `o` as one group: the same customer email and street address,
 * placed within `windowMinutes` of it, with stock allocated, neither released, held nor cancelled.
 */
export async function consolidationCandidates(
  db: Queryable,
  tenantId: string,
  o: OrderRecord,
  windowMinutes: number,
) {
  if (!o.customer.email) return [];
  const a = o.shipping_address;
  const { rows } = await db.query<{ order_id: string }>(
    `select order_id from orders
     where tenant_id = $1 and lower(customer_email) = lower($2) and released_at is null and customer_email <> ''
       and order_id <> $3 and hold_reason is null
       and status in ('allocated', 'partially_allocated')
       and placed_at between $4::timestamptz - make_interval(mins => $5) and $4::timestamptz + make_interval(mins => $5)
       and lower(shipping_address->>'line1') = lower($6) and coalesce(lower(shipping_address->>'line2'), '') = lower($7)
       and shipping_address->>'postal_code' = $8 and shipping_address->>'country' = $9
     order by order_id limit 50`,
    [
      tenantId,
      o.customer.email,
      o.order_id,
      o.placed_at,
      windowMinutes,
      a.line1,
      a.line2 ?? '',
      a.postal_code,
      a.country,
    ],
  );
  return rows.map((r) => r.order_id);
}

/**
 * Units of each SKU that orders are waiting for (backordered, not held, not cancelled or
 * unroutable, past any release date), counting a waiting bundle as its components.
 */
export async function waitingDemand(db: Queryable, tenantId: string, skus: string[]) {
  const { rows } = await db.query<{ sku: string; units: number }>(
    `with waiting as (
       select l.sku, l.backordered from order_lines l
       join orders o on o.tenant_id = l.tenant_id and o.order_id = l.order_id
       where l.tenant_id = $1 and l.backordered > 0
         and (l.sku = any($2) or l.sku in (select bundle_sku from bundle_components
                                          where tenant_id = $1 and component_sku = any($2)))
         and o.hold_reason is null and o.status not in ('cancelled', 'routing_failed')
         and (o.release_date is null or o.release_date <= current_date)
     )
     select coalesce(c.component_sku, w.sku) as sku, sum(w.backordered * coalesce(c.quantity, 1))::int as units
     from waiting w left join bundle_components c on c.tenant_id = $1 and c.bundle_sku = w.sku
     where coalesce(c.component_sku, w.sku) = any($2)
     group by 1`,
    [tenantId, skus],
  );
  return Object.fromEntries(rows.map((r) => [r.sku, r.units]));
}

// ── settings ─────────────────────────────────────────────────────────────────────────────────

export async function loadSettings(db: Queryable, tenantId: string) {
  const { rows } = await db.query<{ settings: unknown; updated_at: Date }>(
    'select settings, updated_at from order_settings where tenant_id = $1',
    [tenantId],
  );
  return rows[0] ?? null;
}

export async function saveSettings(db: Queryable, tenantId: string, settings: unknown) {
  const { rows } = await db.query<{ updated_at: Date }>(
    `insert into order_settings (tenant_id, settings) values ($1, $2)
     on conflict (tenant_id) do update set settings = excluded.settings, updated_at = now()
     returning updated_at`,
    [tenantId, JSON.stringify(settings)],
  );
  return rows[0]!.updated_at;
}
