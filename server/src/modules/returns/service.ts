import { type Pool, type Queryable, withTransaction } from '../../db/pool.ts';
import type { Actor } from '../../http/context.ts';
import { AppError, type FieldError, notFound } from '../../http/problem.ts';
import { newId } from '../../lib/ids.ts';
import { CONFIG_TTL_MS, tenantCache } from '../../lib/ttl-cache.ts';
import { findProducts } from '../catalog/service.ts';
import { publish } from '../events/service.ts';
import type { CarrierGateway } from '../fulfillment/carrier.ts';
import { orderShipments } from '../fulfillment/service.ts';
import { receiveReturned } from '../inventory/stock.ts';
import { geocodePostal } from '../network/geo.ts';
import { findLocations, listLocations } from '../network/service.ts';
import { recordOnTrail, recordReturn } from '../orders/fulfillment.ts';
import { catalogFor } from '../orders/routing.ts';
import { getOrder, lockOrder, replace } from '../orders/service.ts';
import type { AuditEntry, OrderRecord } from '../orders/store.ts';
import { remainingLine } from '../orders/totals.ts';
import type { RefundGateway } from './refunds.ts';
import {
  computeRefund,
  eligibility,
  FEE_WAIVED_REASONS,
  nearestReturnLocation,
  type Refund,
} from './rules.ts';
import type { CreateReturn, Receive, Return, ReturnSettings } from './schema.ts';
import * as store from './store.ts';

/**
 * Returns (RMAs): requested for shipped units within the tenant's window, approved by a rule or a
 * person, sent to the nearest location that accepts returns, received at any location with a
 * disposition per line, then refunded (or exchanged) and closed by the return workflow. Every step
 * is written on the order's timeline and published as an event, in the same transaction.
 */

export const DEFAULT_SETTINGS: ReturnSettings = {
  window_days: 30,
  time_zone: 'America/New_York',
  auto_approve: { enabled: true, max_refund: null },
  shipping_refund: 'when_all_returned',
  restocking_fee: null,
  reminder_after_hours: 7 * 24,
  close_after_hours: 30 * 24,
};

const settingsCache = tenantCache<Awaited<ReturnType<typeof store.loadSettings>>>(CONFIG_TTL_MS);

export async function getSettings(db: Queryable, tenantId: string) {
  const row = await settingsCache.get(tenantId, 'settings', () => store.loadSettings(db, tenantId));
  return row
    ? { ...DEFAULT_SETTINGS, ...(row.settings as ReturnSettings), updated_at: row.updated_at.toISOString() }
    : { ...DEFAULT_SETTINGS, updated_at: null as string | null };
}

export async function setSettings(db: Queryable, tenantId: string, actor: Actor, settings: ReturnSettings) {
  settingsCache.invalidate(tenantId);
  const updatedAt = await store.saveSettings(db, tenantId, settings);
  const saved = { ...settings, updated_at: updatedAt.toISOString() };
  await publish(db, tenantId, actor, { type: 'return_settings.updated', subject: tenantId, data: saved });
  return saved;
}

export async function getReturn(db: Queryable, tenantId: string, id: string) {
  const r = await store.findReturn(db, tenantId, id);
  if (!r) throw notFound(`Return ${id}`);
  return r;
}

async function lockReturn(db: Queryable, tenantId: string, id: string) {
  const r = await store.findReturn(db, tenantId, id, true);
  if (!r) throw notFound(`Return ${id}`);
  return r;
}

export const listReturns = store.listReturns;

function notNow(r: Return, detail: string, code = 'invalid_state') {
  return new AppError('conflict', detail, { code, current_status: r.status });
}

/** One change: the return saved, an entry on the order's trail and an event, together. */
async function record(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  r: Return,
  set: Parameters<typeof store.updateReturn>[3],
  audit: AuditEntry & { type: string },
  event: string,
  data: Record<string, unknown> = {},
) {
  const saved = await store.updateReturn(db, tenantId, r.return_id, set);
  await recordOnTrail(db, tenantId, actor, r.order_id, [
    { ...audit, data: { return_id: r.return_id, ...(audit.data as object) } },
  ]);
  await publish(db, tenantId, actor, {
    type: event,
    subject: r.return_id,
    data: { return_id: r.return_id, order_id: r.order_id, status: saved.status, ...data },
  });
  return saved;
}

// ── request ──────────────────────────────────────────────────────────────────────────────────

const moneyLine = (l: OrderRecord['lines'][number]) => remainingLine(l, l.cancelled);

/** Units of each line that earlier returns (not rejected or cancelled) cover, and their shipping. */
function earlier(returns: readonly Return[]) {
  const units = new Map<number, number>();
  let shipping = 0;
  for (const r of returns) {
    for (const l of r.lines) {
      const counted = l.received
        ? l.received.restock + l.received.quarantine + l.received.damaged
        : l.quantity;
      units.set(l.line_no, (units.get(l.line_no) ?? 0) + counted);
    }
    shipping += r.refund.shipping;
  }
  return { units, shipping };
}

/** What returning `units` (per line) refunds, after what earlier returns took. */
function refundOf(
  o: OrderRecord,
  before: ReturnType<typeof earlier>,
  units: ReadonlyMap<number, number>,
  reason: Return['reason'],
  settings: ReturnSettings,
  resolution: Return['resolution'],
): Refund {
  const lines = [...units].map(([lineNo, n]) => {
    const l = o.lines.find((x) => x.line_no === lineNo)!;
    return { ...moneyLine(l), line_no: lineNo, already_returned: before.units.get(lineNo) ?? 0, units: n };
  });
  const open = o.lines.reduce((s, l) => s + l.quantity - l.cancelled, 0);
  const back = o.lines.reduce(
    (s, l) => s + (before.units.get(l.line_no) ?? 0) + (units.get(l.line_no) ?? 0),
    0,
  );
  const refund = computeRefund({
    lines,
    order_shipping: o.totals.shipping,
    shipping_refunded_before: before.shipping,
    shipping_rule: settings.shipping_refund,
    everything_returned_after: back >= open,
    restocking_fee: settings.restocking_fee,
    reason_waives_fee: (FEE_WAIVED_REASONS as readonly string[]).includes(reason),
  });
  // An exchange sends the items again instead of paying them back.
  if (resolution !== 'exchange') return refund;
  return {
    lines: refund.lines.map((l) => ({ ...l, amount: 0 })),
    items: 0,
    shipping: 0,
    restocking_fee: 0,
    total: 0,
  };
}

/**
 * Requests a return of shipped units. Each line is checked for eligibility (final sale, the
 * tenant's window from delivery in its time zone) and against what earlier returns already cover;
 * the refund is estimated and the nearest active location that accepts returns chosen. Auto-
 * approval rules approve it at once.
 */
export async function requestReturn(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  input: CreateReturn,
  now = new Date(),
) {
  const o = await lockOrder(db, tenantId, input.order_id).catch((err) => {
    if (err instanceof AppError && err.status === 404) {
      const message = `No order ${input.order_id} in this tenant.`;
      throw new AppError('validation-error', `body.order_id: ${message}`, {
        errors: [{ path: 'body.order_id', message }],
      });
    }
    throw err;
  });
  const settings = await getSettings(db, tenantId);
  // One after the other: `db` is the request's transaction, one connection.
  const shipments = await orderShipments(db, tenantId, o.order_id);
  const products = await findProducts(
    db,
    tenantId,
    o.lines.map((l) => l.sku),
  );
  const live = await store.liveReturnsOf(db, tenantId, o.order_id);
  const before = earlier(live);
  const errors: FieldError[] = [];
  const units = new Map<number, number>();
  let deadline = null as string | null;
  for (const [i, want] of input.lines.entries()) {
    const path = `body.lines[${i}]`;
    const l = o.lines.find((x) => x.line_no === want.line_no);
    if (!l) {
      errors.push({ path: `${path}.line_no`, message: `The order has no line ${want.line_no}.` });
      continue;
    }
    const carried = shipments.filter((s) => s.items.some((x) => x.line_no === l.line_no));
    const delivered = carried.map((s) => s.delivered_at).filter((d): d is string => d !== null);
    const verdict = eligibility({
      delivered_at:
        delivered.length === carried.length && delivered.length > 0 ? delivered.sort().at(-1)! : null,
      shipped_at: carried.map((s) => s.shipped_at).sort()[0] ?? null,
      now,
      window_days: settings.window_days,
      time_zone: settings.time_zone,
      final_sale: products.get(l.sku)?.final_sale ?? false,
    });
    if (!verdict.eligible) {
      errors.push({ path, message: verdict.detail });
      continue;
    }
    deadline = deadline === null || verdict.deadline < deadline ? verdict.deadline : deadline;
    const taken = (before.units.get(l.line_no) ?? 0) + (units.get(l.line_no) ?? 0);
    if (taken + want.quantity > l.shipped) {
      errors.push({
        path: `${path}.quantity`,
        message: `Line ${l.line_no} has ${Math.max(0, l.shipped - taken)} shipped units not already being returned.`,
      });
      continue;
    }
    units.set(l.line_no, (units.get(l.line_no) ?? 0) + want.quantity);
  }
  const first = errors[0];
  if (first) throw new AppError('validation-error', `${first.path}: ${first.message}`, { errors });

  const refund = refundOf(o, before, units, input.reason, settings, input.resolution);
  const returnId = newId('ret');
  const created = await store.insertReturn(
    db,
    tenantId,
    {
      return_id: returnId,
      order_id: o.order_id,
      status: 'requested',
      reason: input.reason,
      note: input.note ?? null,
      resolution: input.resolution,
      lines: input.lines.map((l) => ({
        line_no: l.line_no,
        sku: o.lines.find((x) => x.line_no === l.line_no)!.sku,
        quantity: l.quantity,
        reason: l.reason ?? input.reason,
        received: null,
      })),
      return_location_id: await returnLocation(db, tenantId, o),
      refund,
      deadline,
      requested_at: now.toISOString(),
    },
    actor,
  );
  await recordOnTrail(db, tenantId, actor, o.order_id, [
    {
      type: 'return_requested',
      note: input.note ?? null,
      data: { return_id: returnId, reason: input.reason },
    },
  ]);
  await publish(db, tenantId, actor, { type: 'return.requested', subject: returnId, data: created });
  const auto = settings.auto_approve;
  if (auto.enabled && (auto.max_refund === null || refund.total <= auto.max_refund)) {
    return approve(
      db,
      tenantId,
      { type: 'system', id: 'auto-approve' },
      returnId,
      'Approved by the auto-approval rule',
    );
  }
  return created;
}

/** The nearest active location that accepts returns, from the customer's postal code. */
async function returnLocation(db: Queryable, tenantId: string, o: OrderRecord) {
  const from = geocodePostal(o.shipping_address.postal_code, o.shipping_address.country);
  if (!from) return null;
  const locations = await listLocations(db, tenantId, { active: true }, undefined, 1000);
  return nearestReturnLocation(locations, from)?.location_id ?? null;
}

// ── decisions ────────────────────────────────────────────────────────────────────────────────

export async function approve(db: Queryable, tenantId: string, actor: Actor, id: string, note?: string) {
  const r = await lockReturn(db, tenantId, id);
  if (r.status !== 'requested') throw notNow(r, `A return that is ${r.status} cannot be approved.`);
  return record(
    db,
    tenantId,
    actor,
    r,
    { status: 'approved', approved_at: new Date().toISOString() },
    { type: 'return_approved', note: note ?? null },
    'return.approved',
    { return_location_id: r.return_location_id },
  );
}

export async function reject(db: Queryable, tenantId: string, actor: Actor, id: string, reason: string) {
  const r = await lockReturn(db, tenantId, id);
  if (r.status !== 'requested') throw notNow(r, `A return that is ${r.status} cannot be rejected.`);
  return record(
    db,
    tenantId,
    actor,
    r,
    { status: 'rejected', rejection_reason: reason, closed_at: new Date().toISOString() },
    { type: 'return_rejected', note: reason },
    'return.rejected',
    { reason },
  );
}

export async function cancelReturn(db: Queryable, tenantId: string, actor: Actor, id: string, note?: string) {
  const r = await lockReturn(db, tenantId, id);
  if (r.status !== 'requested' && r.status !== 'approved')
    throw notNow(r, `A return that is ${r.status} cannot be cancelled.`);
  return record(
    db,
    tenantId,
    actor,
    r,
    { status: 'cancelled', closed_at: new Date().toISOString() },
    { type: 'return_cancelled', note: note ?? null },
    'return.cancelled',
  );
}

// ── receipt ──────────────────────────────────────────────────────────────────────────────────

const BUCKET = { restock: 'available', quarantine: 'quarantine', damaged: 'damaged' } as const;

/**
 * The parcel arrived, at any location: per line, how many units are restocked (available there),
 * quarantined, damaged or missing (units not accounted for are missing). Stock comes in with the
 * return as its cause; the order counts the units back; the refund is what actually came back;
 * an exchange places its replacement order now.
 */
export async function receive(db: Queryable, tenantId: string, actor: Actor, id: string, input: Receive) {
  const r = await lockReturn(db, tenantId, id);
  if (r.status !== 'approved') throw notNow(r, `A return that is ${r.status} cannot be received.`);
  if (!(await findLocations(db, tenantId, [input.location_id])).has(input.location_id)) {
    const message = `No location ${input.location_id} in this tenant.`;
    throw new AppError('validation-error', `body.location_id: ${message}`, {
      errors: [{ path: 'body.location_id', message }],
    });
  }
  const counted = new Map(
    r.lines.map((l) => [l.line_no, { restock: 0, quarantine: 0, damaged: 0, missing: 0 }]),
  );
  const errors: FieldError[] = [];
  for (const [i, l] of input.lines.entries()) {
    const c = counted.get(l.line_no);
    if (c) c[l.disposition] += l.quantity;
    else errors.push({ path: `body.lines[${i}].line_no`, message: `The return has no line ${l.line_no}.` });
  }
  for (const line of r.lines) {
    const c = counted.get(line.line_no)!;
    const total = c.restock + c.quarantine + c.damaged + c.missing;
    if (total > line.quantity) {
      const i = input.lines.findIndex((x) => x.line_no === line.line_no);
      errors.push({
        path: `body.lines[${i}].quantity`,
        message: `Line ${line.line_no}: ${total} units counted, but the return is for ${line.quantity}.`,
      });
    }
    c.missing += Math.max(0, line.quantity - total);
  }
  const first = errors[0];
  if (first) throw new AppError('validation-error', `${first.path}: ${first.message}`, { errors });

  const o = await lockOrder(db, tenantId, r.order_id);
  const { boms } = await catalogFor(db, tenantId, o.lines, (i) => `order.lines[${i}].sku`);
  const stock = r.lines.flatMap((l) => {
    const c = counted.get(l.line_no)!;
    return (['restock', 'quarantine', 'damaged'] as const).flatMap((d) =>
      boms.get(l.line_no)!.map((part) => ({
        sku: part.sku,
        location_id: input.location_id,
        quantity: c[d] * part.per,
        bucket: BUCKET[d],
      })),
    );
  });
  await receiveReturned(db, tenantId, actor, stock, r.return_id);
  const back = r.lines
    .map((l) => {
      const c = counted.get(l.line_no)!;
      return { line_no: l.line_no, quantity: c.restock + c.quarantine + c.damaged };
    })
    .filter((l) => l.quantity > 0);
  const lines = r.lines.map((l) => ({ ...l, received: counted.get(l.line_no)! }));
  await recordReturn(db, tenantId, actor, r.order_id, back, {
    type: 'return_received',
    note: input.note ?? null,
    data: {
      return_id: r.return_id,
      location_id: input.location_id,
      lines: lines.map((l) => ({ line_no: l.line_no, ...l.received })),
    },
  });
  const settings = await getSettings(db, tenantId);
  const live = (await store.liveReturnsOf(db, tenantId, r.order_id)).filter(
    (x) => x.return_id !== r.return_id && x.created_at < r.created_at,
  );
  const units = new Map(back.map((l) => [l.line_no, l.quantity]));
  const refund = refundOf(o, earlier(live), units, r.reason, settings, r.resolution);
  let exchangeOrderId: string | null = null;
  if (r.resolution !== 'refund' && back.length > 0) {
    const replacement = await replace(db, tenantId, actor, r.order_id, {
      reason: `Exchange for return ${r.return_id}`,
      lines: back,
    });
    exchangeOrderId = replacement.order_id;
  }
  const saved = await store.updateReturn(db, tenantId, r.return_id, {
    status: 'received',
    lines,
    refund,
    received_location_id: input.location_id,
    received_at: new Date().toISOString(),
    exchange_order_id: exchangeOrderId,
  });
  await publish(db, tenantId, actor, {
    type: 'return.received',
    subject: r.return_id,
    data: {
      return_id: r.return_id,
      order_id: r.order_id,
      status: saved.status,
      location_id: input.location_id,
      lines,
      refund,
      exchange_order_id: exchangeOrderId,
    },
  });
  return saved;
}

// ── the return workflow's steps (each idempotent: a replayed step changes nothing) ───────────

/**
 * A prepaid label from the customer to the return location, once. The carrier is called with no
 * lock held (it may take seconds); the label is written only if the return still has none and is
 * still approved, so a label made twice (a step run again after a crash) is recorded once.
 */
export async function ensureLabel(pool: Pool, tenantId: string, id: string, carrier: CarrierGateway) {
  const r = await getReturn(pool, tenantId, id);
  if (r.label || r.status !== 'approved' || !r.return_location_id) return r;
  const order = await getOrder(pool, tenantId, r.order_id);
  const to = (await findLocations(pool, tenantId, [r.return_location_id])).get(r.return_location_id)!;
  const label = await carrier.createReturnLabel({
    from: { name: order.customer.name, ...order.shipping_address },
    to: { name: to.name, ...to.address },
    weight_oz: 16 * r.lines.reduce((s, l) => s + l.quantity, 0),
    reference: r.return_id,
  });
  return withTransaction(pool, async (tx) => {
    const now = await lockReturn(tx, tenantId, id);
    if (now.label || now.status !== 'approved') return now;
    return record(
      tx,
      tenantId,
      { type: 'system', id: 'returns' },
      now,
      { label },
      { type: 'return_label_created', note: `${label.carrier} ${label.tracking_number}` },
      'return.label_created',
      { label },
    );
  });
}

/** An approved return not received yet: a reminder on the trail and an event someone can act on. */
export async function remind(db: Queryable, tenantId: string, id: string) {
  const r = await lockReturn(db, tenantId, id);
  if (r.status !== 'approved') return r;
  return record(
    db,
    tenantId,
    { type: 'system', id: 'returns' },
    r,
    {},
    { type: 'return_reminder', note: 'The return has not arrived yet.' },
    'return.reminder',
  );
}

/** Refunds what came back, once (the refund call carries the return's id as idempotency key). */
export async function refundReturn(db: Queryable, tenantId: string, id: string, gateway: RefundGateway) {
  const r = await lockReturn(db, tenantId, id);
  if (r.status !== 'received' || r.refund_id !== null) return r;
  const { currency } = await lockOrder(db, tenantId, r.order_id);
  const { refund_id } =
    r.refund.total > 0
      ? await gateway.refund({
          idempotency_key: r.return_id,
          return_id: r.return_id,
          order_id: r.order_id,
          amount: r.refund.total,
          currency,
        })
      : { refund_id: 'none' };
  return record(
    db,
    tenantId,
    { type: 'system', id: 'returns' },
    r,
    { status: 'refunded', refund_id },
    {
      type: 'refunded',
      note: `${r.refund.total.toFixed(2)} ${currency}`,
      data: { refund_id, refund: r.refund },
    },
    'return.refunded',
    { refund_id, amount: r.refund.total, currency },
  );
}

/** Closes a refunded return, or (`not_received`) an approved one that never arrived. */
export async function closeReturn(db: Queryable, tenantId: string, id: string, why: 'done' | 'not_received') {
  const r = await lockReturn(db, tenantId, id);
  const closable = why === 'done' ? r.status === 'refunded' : r.status === 'approved';
  if (!closable) return r;
  return record(
    db,
    tenantId,
    { type: 'system', id: 'returns' },
    r,
    { status: 'closed', closed_at: new Date().toISOString() },
    { type: 'return_closed', note: why === 'done' ? null : 'Closed: the return never arrived.' },
    'return.closed',
    { why },
  );
}
