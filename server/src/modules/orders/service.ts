import type { Queryable } from '../../db/pool.ts';
import type { Actor } from '../../http/context.ts';
import { AppError, notFound } from '../../http/problem.ts';
import { newId } from '../../lib/ids.ts';
import { CONFIG_TTL_MS, tenantCache } from '../../lib/ttl-cache.ts';
import { type NewEvent, publish } from '../events/service.ts';
import { derived, excess, openUnits, recount, stillOver } from './allocation.ts';
import { catalogFor, type RouteOptions, releaseAll, releaseAllocations, routeOpenUnits } from './routing.ts';
import type { CancelInput, CreateOrder, Order, OrderSettings, UpdateOrder } from './schema.ts';
import { canTransition, deriveStatus, isReleased, type OrderStatus, TRANSITIONS } from './status.ts';
import type { AuditEntry, OrderRecord } from './store.ts';
import * as store from './store.ts';
import { createSubscription } from './subscriptions.ts';
import { cancelledValue, computeTotals, remainingLine, totalsMismatch } from './totals.ts';

/** Orders as the API offers them: capture, read, and the changes people make every day. */

// ── settings ─────────────────────────────────────────────────────────────────────────────────

export const DEFAULT_SETTINGS: OrderSettings = {
  backorders: 'accept',
  default_service_level: 'ground',
  shipping_methods: {},
  consolidation: { enabled: false, window_minutes: 60 },
};

// Read by every capture, changed rarely: kept per process for a few seconds (see ttl-cache.ts).
const settingsCache = tenantCache<Awaited<ReturnType<typeof store.loadSettings>>>(CONFIG_TTL_MS);

export async function getSettings(db: Queryable, tenantId: string) {
  const row = await settingsCache.get(tenantId, 'settings', () => store.loadSettings(db, tenantId));
  return row
    ? { ...DEFAULT_SETTINGS, ...(row.settings as OrderSettings), updated_at: row.updated_at.toISOString() }
    : { ...DEFAULT_SETTINGS, updated_at: null as string | null };
}

export async function setSettings(db: Queryable, tenantId: string, actor: Actor, settings: OrderSettings) {
  settingsCache.invalidate(tenantId);
  const updatedAt = await store.saveSettings(db, tenantId, settings);
  const saved = { ...settings, updated_at: updatedAt.toISOString() };
  await publish(db, tenantId, actor, { type: 'order_settings.updated', subject: tenantId, data: saved });
  return saved;
}

// ── reading ──────────────────────────────────────────────────────────────────────────────────

export function toApi(o: OrderRecord): Order {
  const { failure: _f, ...rest } = o;
  return rest;
}

export async function getOrder(db: Queryable, tenantId: string, orderId: string) {
  const o = await store.findOrder(db, tenantId, orderId);
  if (!o) throw notFound(`Order ${orderId}`);
  return toApi(o);
}

export async function lockOrder(db: Queryable, tenantId: string, orderId: string) {
  const o = await store.findOrder(db, tenantId, orderId, true);
  if (!o) throw notFound(`Order ${orderId}`);
  return o;
}

export async function timeline(db: Queryable, tenantId: string, orderId: string) {
  if (!(await store.orderExists(db, tenantId, orderId))) throw notFound(`Order ${orderId}`);
  return store.listAudit(db, tenantId, orderId);
}

export async function routings(db: Queryable, tenantId: string, orderId: string) {
  if (!(await store.orderExists(db, tenantId, orderId))) throw notFound(`Order ${orderId}`);
  return store.listRoutings(db, tenantId, orderId);
}

// ── every change goes through here ───────────────────────────────────────────────────────────

// Every order written has been routed: `received` exists only inside the capture.
const flags = (o: OrderRecord) => ({
  on_hold: o.hold_reason !== null,
  released: o.released_at !== null,
  failure: o.failure,
  routed: true,
});

/** 409 for an action the order's state does not allow, with where it could go instead. */
export function notNow(o: Pick<OrderRecord, 'status'>, detail: string, code = 'invalid_state') {
  return new AppError('conflict', detail, {
    code,
    current_status: o.status,
    allowed_next: TRANSITIONS[o.status],
  });
}

/**
 * Derives the new status, refuses a transition the table does not allow, then writes the order,
 * its audit entries (plus one for a status change) and its outbox events in the caller's
 * transaction: the change and its record of it commit together or not at all.
 */
export async function commitChange(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  before: OrderRecord,
  after: OrderRecord,
  audit: AuditEntry[],
  events: NewEvent[] | ((next: OrderRecord) => NewEvent[]) = [],
  write: (next: OrderRecord, entries: AuditEntry[]) => Promise<OrderRecord> = async (next, entries) => {
    const updated_at = await store.saveOrder(db, tenantId, next);
    await store.insertAudit(db, tenantId, next.order_id, actor, entries);
    return { ...next, updated_at };
  },
): Promise<OrderRecord> {
  const status = deriveStatus(after.lines, flags(after));
  if (!canTransition(before.status, status)) {
    throw new AppError('conflict', `An order cannot go from ${before.status} to ${status}.`, {
      code: 'invalid_transition',
      current_status: before.status,
      allowed_next: TRANSITIONS[before.status],
    });
  }
  const entries = [...audit];
  if (status !== before.status) {
    entries.push({ type: 'status_changed', from_status: before.status, to_status: status });
  }
  const next = await write({ ...after, status, on_hold: after.hold_reason !== null }, entries);
  const all = typeof events === 'function' ? events(next) : [...events];
  if (status !== before.status) {
    all.push({
      type: 'order.status_changed',
      subject: next.order_id,
      data: { order_id: next.order_id, order_number: next.order_number, from: before.status, to: status },
    });
  }
  await publish(db, tenantId, actor, ...all);
  return next;
}

export const updated = (o: OrderRecord, change: unknown): NewEvent => ({
  type: 'order.updated',
  subject: o.order_id,
  data: { order_id: o.order_id, order_number: o.order_number, change },
});

// ── capture ──────────────────────────────────────────────────────────────────────────────────

export type CaptureOptions = {
  now?: Date | undefined;
  replacement_for?: string | undefined;
  subscription_id?: string | undefined;
};

/**
 * Captures an order: validates it, plans it and reserves its stock in the caller's transaction,
 * so it comes back allocated, partially allocated or backordered with its promise. A channel's
 * order id is captured once: capturing it again returns the order already there (`created: false`).
 */
export async function captureOrder(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  input: CreateOrder,
  opts: CaptureOptions = {},
): Promise<{ order: Order; created: boolean }> {
  const now = opts.now ?? new Date();
  const settings = await getSettings(db, tenantId);
  const serviceLevel = resolveServiceLevel(input, settings);
  checkTotals(input);
  const lines = input.lines.map((l, i) => ({ line_no: i + 1, ...l }));
  const catalog = await catalogFor(db, tenantId, lines);

  const orderId = newId('ord');
  const channelOrderId = input.channel_order_id ?? orderId;
  const existing = await store.claimChannelOrder(db, tenantId, input.channel, channelOrderId);
  if (existing) return { order: toApi((await store.findOrder(db, tenantId, existing))!), created: false };
  const fresh = {
    order_id: orderId,
    channel: input.channel,
    channel_order_id: channelOrderId,
    order_type: input.order_type,
    customer: input.customer,
    shipping_address: input.shipping_address,
    billing_address: input.billing_address ?? null,
    currency: input.currency,
    service_level: serviceLevel,
    shipping_method: input.shipping_method ?? null,
    totals: input.totals,
    notes: input.notes ?? null,
    gift_message: input.gift_message ?? null,
    tags: input.tags,
    replacement_for: opts.replacement_for ?? null,
    subscription_id: opts.subscription_id ?? null,
    release_date: input.release_date ?? null,
    placed_at: input.placed_at ?? now.toISOString(),
  };
  const received: OrderRecord = {
    ...fresh,
    order_number: 0, // numbered by the database when the order is written
    consolidation_group: null,
    risk: null,
    risk_reason: null,
    status: 'received',
    failure: null,
    failure_reason: null,
    on_hold: false,
    hold_reason: null,
    released_at: null,
    refund_due: 0,
    location_ids: [],
    promised_delivery_date: null,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
    lines: lines.map((l) => ({
      ...l,
      allocated: 0,
      backordered: l.quantity,
      cancelled: 0,
      shipped: 0,
      delivered: 0,
      returned: 0,
      refunded: 0,
      allocations: [],
    })),
  };
  const audit: AuditEntry[] = [
    {
      type: 'created',
      to_status: 'received',
      data: {
        channel: fresh.channel,
        channel_order_id: fresh.channel_order_id,
        order_type: fresh.order_type,
      },
      note: opts.replacement_for ? `Replacement for ${opts.replacement_for}` : null,
    },
  ];
  let routed = received;
  let routing: store.RoutingRow | null = null;
  const waitsForRelease = fresh.release_date !== null && fresh.release_date > now.toISOString().slice(0, 10);
  if (waitsForRelease) {
    audit.push({ type: 'routed', note: `Waits for its release date ${fresh.release_date}.` });
  } else {
    const r = await routeOpenUnits(db, tenantId, actor, received, catalog, {
      trigger: 'capture',
      now,
      first: true,
    });
    routed = r.order;
    routing = r.routing;
    audit.push(...r.audit);
  }
  const waiting = routed.lines.reduce((s, l) => s + l.backordered, 0);
  const queues = fresh.order_type === 'backorder' || fresh.order_type === 'pre_order';
  if (waiting > 0 && !queues && settings.backorders === 'reject' && routed.failure !== 'routing_failed') {
    // Throwing rolls the whole capture back, reservations included: nothing is written.
    throw new AppError(
      'conflict',
      `Not enough stock to ship this order now, and this tenant does not take backorders.`,
      {
        code: 'out_of_stock',
        lines: routed.lines
          .filter((l) => l.backordered > 0)
          .map((l) => ({ line_no: l.line_no, sku: l.sku, missing: l.backordered })),
      },
    );
  }
  // The order is written once, now that its stock is reserved (see insertCapturedOrder).
  const saved = await commitChange(
    db,
    tenantId,
    actor,
    received,
    routed,
    audit,
    (next) => [{ type: 'order.created', subject: orderId, data: toApi(next) }],
    async (next, entries) => ({
      ...next,
      ...(await store.insertCapturedOrder(db, tenantId, next, routing, entries, actor)),
    }),
  );
  if (input.order_type === 'subscription' && input.subscription) {
    // This order is cycle 1; the subscription places the next ones (subscriptions.ts).
    const sub = await createSubscription(db, tenantId, actor, { order: saved, input }, input.subscription);
    return { order: toApi({ ...saved, subscription_id: sub.subscription_id }), created: true };
  }
  return { order: toApi(saved), created: true };
}

function resolveServiceLevel(input: CreateOrder, settings: OrderSettings) {
  if (input.service_level) return input.service_level;
  if (input.shipping_method) {
    const mapped = settings.shipping_methods[input.channel]?.[input.shipping_method];
    if (!mapped) {
      const message = `The ${input.channel} channel has no service level for shipping method "${input.shipping_method}"; map it in order settings or send service_level.`;
      throw new AppError('validation-error', `body.shipping_method: ${message}`, {
        errors: [{ path: 'body.shipping_method', message }],
      });
    }
    return mapped;
  }
  return settings.default_service_level;
}

function checkTotals(input: CreateOrder) {
  const wrong = totalsMismatch(input.totals, computeTotals(input.lines, input.totals.shipping));
  if (wrong.length === 0) return;
  const errors = wrong.map((w) => ({
    path: `body.totals.${w.field}`,
    message: `The lines add up to ${w.expected}, not ${w.sent}.`,
  }));
  throw new AppError('validation-error', `${errors[0]!.path}: ${errors[0]!.message}`, { errors });
}

// ── holds, notes, release to fulfillment ────────────────────────────────────────────────────

const hasOpen = (o: OrderRecord) => o.lines.some((l) => openUnits(l) > 0);

export async function hold(db: Queryable, tenantId: string, actor: Actor, orderId: string, reason: string) {
  const o = await lockOrder(db, tenantId, orderId);
  if (o.hold_reason !== null) throw notNow(o, 'The order is already on hold.', 'already_on_hold');
  if (!hasOpen(o)) throw notNow(o, `Nothing is left to hold: the order is ${o.status}.`);
  const next = { ...o, hold_reason: reason };
  return toApi(
    await commitChange(
      db,
      tenantId,
      actor,
      o,
      next,
      [{ type: 'held', note: reason }],
      [{ type: 'order.held', subject: orderId, data: { order_id: orderId, reason } }],
    ),
  );
}

export async function releaseHold(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  orderId: string,
  note?: string,
) {
  const o = await lockOrder(db, tenantId, orderId);
  if (o.hold_reason === null) throw notNow(o, 'The order is not on hold.', 'not_on_hold');
  const next = { ...o, hold_reason: null };
  return toApi(
    await commitChange(
      db,
      tenantId,
      actor,
      o,
      next,
      [{ type: 'hold_released', note: note ?? null }],
      [{ type: 'order.released', subject: orderId, data: { order_id: orderId, note: note ?? null } }],
    ),
  );
}

export async function addNote(db: Queryable, tenantId: string, actor: Actor, orderId: string, note: string) {
  const o = await lockOrder(db, tenantId, orderId);
  await commitChange(db, tenantId, actor, o, o, [{ type: 'note', note }]);
  return { ok: true as const };
}

/**
 * Hands the allocated units to fulfillment. Never while on hold; only allocated stock is
 * released, so a partly allocated order ships what it has and the rest follows.
 *
 * With consolidation on (order settings), the customer's other orders to the same address placed
 * within the window and ready to go are released with it as one group, for one fulfillment per
 * location. The group's orders are locked in id order, so two releases of one group wait for each
 * other instead of deadlocking; each order's trail names the others. Answers every order released,
 * `orderId` among them; fulfillment (which calls this) makes their fulfillment orders.
 */
export async function releaseToFulfillment(db: Queryable, tenantId: string, actor: Actor, orderId: string) {
  const settings = await getSettings(db, tenantId);
  const first = await store.findOrder(db, tenantId, orderId);
  if (!first) throw notFound(`Order ${orderId}`);
  const siblings = settings.consolidation.enabled
    ? await store.consolidationCandidates(db, tenantId, first, settings.consolidation.window_minutes)
    : [];
  const locked = new Map<string, OrderRecord>();
  for (const id of [orderId, ...siblings].sort()) locked.set(id, await lockOrder(db, tenantId, id));
  const o = locked.get(orderId)!;
  if (o.hold_reason !== null)
    throw notNow(o, `The order is on hold (${o.hold_reason}); release the hold first.`, 'on_hold');
  if (o.released_at !== null)
    throw notNow(o, 'The order is already released to fulfillment.', 'already_released');
  if (!o.lines.some((l) => l.allocated > 0))
    throw notNow(o, 'Nothing is allocated to fulfil yet.', 'nothing_allocated');
  // Checked again under the locks: a sibling may have been held or released meanwhile.
  const group = [...locked.values()].filter(
    (x) =>
      x.order_id === orderId ||
      (x.released_at === null && x.hold_reason === null && x.lines.some((l) => l.allocated > 0)),
  );
  const groupId = group.length > 1 ? newId('grp') : null;
  const releasedAt = new Date().toISOString();
  const released: OrderRecord[] = [];
  for (const member of group) {
    const others = group.filter((x) => x !== member).map((x) => x.order_id);
    const next = { ...member, released_at: releasedAt, consolidation_group: groupId };
    const saved = await commitChange(
      db,
      tenantId,
      actor,
      member,
      next,
      [
        {
          type: 'released_to_fulfillment',
          ...(groupId && { data: { consolidation_group: groupId, with: others } }),
        },
      ],
      [updated(member, { released_to_fulfillment: true, consolidation_group: groupId })],
    );
    released.push(saved);
  }
  return released;
}

// ── cancellation ─────────────────────────────────────────────────────────────────────────────

/**
 * Cancels open units — backordered ones first, then allocated ones, whose stock goes back. What
 * has shipped cannot be cancelled. Totals become what remains; the refund due grows by the
 * cancelled units' price net of their share of discount plus their share of tax, and by the
 * shipping when nothing at all is left.
 */
export async function cancel(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  orderId: string,
  input: CancelInput,
) {
  const o = await lockOrder(db, tenantId, orderId);
  const wanted = new Map<number, number>();
  if (input.lines) {
    input.lines.forEach((r, i) => {
      const line = o.lines.find((l) => l.line_no === r.line_no);
      if (!line) {
        throw new AppError(
          'validation-error',
          `body.lines[${i}].line_no: the order has no line ${r.line_no}.`,
          {
            errors: [{ path: `body.lines[${i}].line_no`, message: `The order has no line ${r.line_no}.` }],
          },
        );
      }
      wanted.set(r.line_no, (wanted.get(r.line_no) ?? 0) + r.quantity);
    });
  } else {
    for (const l of o.lines) if (openUnits(l) > 0) wanted.set(l.line_no, openUnits(l));
  }
  for (const [lineNo, qty] of wanted) {
    const line = o.lines.find((l) => l.line_no === lineNo)!;
    if (qty > openUnits(line)) {
      const why =
        openUnits(line) === 0
          ? `Line ${lineNo} (${line.sku}) has nothing left to cancel: ${line.shipped} shipped, ${line.cancelled} cancelled.`
          : `Line ${lineNo} (${line.sku}) has only ${openUnits(line)} units left to cancel; ${line.shipped} already shipped.`;
      throw notNow(o, why, 'too_late');
    }
  }
  if (wanted.size === 0) throw notNow(o, `Nothing is left to cancel: the order is ${o.status}.`, 'too_late');

  const catalog = await catalogFor(db, tenantId, o.lines, (i) => `order.lines[${i}].sku`);
  const after = o.lines.map((l) => {
    const n = wanted.get(l.line_no) ?? 0;
    return { ...l, cancelled: l.cancelled + n };
  });
  const releases = after.flatMap((l) => excess(l, catalog.boms.get(l.line_no)!, openUnits(l)));
  const picked = after.find((l) => stillOver(l, catalog.boms.get(l.line_no)!, openUnits(l), releases) > 0);
  if (picked) {
    throw notNow(
      o,
      `Line ${picked.line_no} (${picked.sku}): those units are already being picked and can no longer be cancelled.`,
      'too_late',
    );
  }
  let next = await releaseAllocations(db, tenantId, actor, { ...o, lines: after }, releases);
  let refund = 0;
  next = {
    ...next,
    lines: next.lines.map((l) => {
      const counted = recount(l, catalog.boms.get(l.line_no)!);
      const value = cancelledValue(l, l.cancelled);
      refund += value - l.refunded;
      return { ...counted, refunded: value };
    }),
  };
  const everything = next.lines.every((l) => l.cancelled === l.quantity);
  const shipping = everything ? 0 : o.totals.shipping;
  if (everything) refund += o.totals.shipping;
  const totals = computeTotals(
    next.lines.map((l) => remainingLine(l, l.cancelled)),
    shipping,
  );
  next = { ...next, totals, refund_due: Math.round((o.refund_due + refund) * 100) / 100 };
  next = { ...next, ...derived(next) };
  const cancelled = [...wanted].map(([line_no, quantity]) => ({ line_no, quantity }));
  const saved = await commitChange(
    db,
    tenantId,
    actor,
    o,
    next,
    [
      {
        type: 'cancelled',
        note: input.reason,
        data: { lines: cancelled, refund: Math.round(refund * 100) / 100 },
      },
    ],
    [
      {
        type: 'order.cancelled',
        subject: orderId,
        data: { order_id: orderId, reason: input.reason, lines: cancelled, whole_order: everything, refund },
      },
    ],
  );
  return toApi(saved);
}

// ── edits and re-routing ─────────────────────────────────────────────────────────────────────

const samePlace = (a: OrderRecord['shipping_address'], b: OrderRecord['shipping_address']) =>
  a.country === b.country && a.postal_code === b.postal_code && (a.region ?? '') === (b.region ?? '');

/**
 * Edits what a person may edit. A new shipping address is only taken before the order is released
 * to fulfillment; when it moves the destination, the order is routed again from scratch (its
 * stock released and reserved anew in the same transaction) and re-promised.
 */
export async function updateOrder(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  orderId: string,
  input: UpdateOrder,
) {
  const o = await lockOrder(db, tenantId, orderId);
  let next: OrderRecord = {
    ...o,
    ...(input.customer && { customer: input.customer }),
    ...(input.notes !== undefined && { notes: input.notes }),
    ...(input.gift_message !== undefined && { gift_message: input.gift_message }),
    ...(input.tags && { tags: input.tags }),
  };
  const audit: AuditEntry[] = [{ type: 'edited', data: { fields: Object.keys(input) } }];
  if (input.shipping_address) {
    if (o.released_at !== null || isReleased(o.status) || o.status === 'cancelled') {
      throw notNow(o, `The shipping address cannot change once the order is ${o.status}.`, 'too_late');
    }
    next = { ...next, shipping_address: input.shipping_address };
    if (!samePlace(o.shipping_address, input.shipping_address) && hasOpen(o)) {
      const catalog = await catalogFor(db, tenantId, o.lines, (i) => `order.lines[${i}].sku`);
      next = await releaseAll(db, tenantId, actor, next, catalog);
      const r = await routeOpenUnits(db, tenantId, actor, next, catalog, {
        trigger: 'address_change',
        reason: 'Shipping address changed',
      });
      next = r.order;
      audit.push(...r.audit);
    }
  }
  return toApi(await commitChange(db, tenantId, actor, o, next, audit, [updated(o, input)]));
}

/**
 * Routes the order's open units again: to one location a person names (every open unit must fit
 * there, or nothing changes), or by the planner. Its stock is released and reserved anew in one
 * transaction, so it never holds two reservations for one unit.
 */
export async function reroute(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  orderId: string,
  input: { location_id?: string | undefined; reason: string },
) {
  const o = await lockOrder(db, tenantId, orderId);
  if (o.released_at !== null)
    throw notNow(o, 'The order is in fulfillment; re-route its fulfillment instead.', 'too_late');
  if (!hasOpen(o)) throw notNow(o, `Nothing is left to route: the order is ${o.status}.`);
  const catalog = await catalogFor(db, tenantId, o.lines, (i) => `order.lines[${i}].sku`);
  let next = await releaseAll(db, tenantId, actor, o, catalog);
  const opts: RouteOptions = {
    trigger: input.location_id ? 'manual' : 'reroute',
    reason: input.reason,
    location_id: input.location_id,
  };
  const r = await routeOpenUnits(
    db,
    tenantId,
    actor,
    { ...next, failure: null, failure_reason: null },
    catalog,
    opts,
  );
  next = r.order;
  if (input.location_id && next.lines.some((l) => l.backordered > 0)) {
    throw new AppError(
      'conflict',
      `${input.location_id} cannot ship every open unit of this order now: ${r.plan?.explanation.why ?? 'no plan'}`,
      { code: 'location_cannot_ship', plan: r.plan },
    );
  }
  return toApi(
    await commitChange(db, tenantId, actor, o, next, r.audit, [
      {
        type: 'order.routed',
        subject: orderId,
        data: {
          order_id: orderId,
          trigger: opts.trigger,
          location_ids: next.location_ids,
          promised_delivery_date: next.promised_delivery_date,
        },
      },
    ]),
  );
}

/**
 * Backorder release: routes the units still waiting, keeping what is already allocated. Returns
 * how many units it allocated (0 when the stock is not there for it).
 */
export async function allocateWaiting(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  orderId: string,
  now = new Date(),
): Promise<number> {
  const o = await lockOrder(db, tenantId, orderId);
  // A released order's new allocations get their fulfillment orders from the fulfillment sync.
  if (o.hold_reason !== null || o.status === 'cancelled') return 0;
  if (o.release_date !== null && o.release_date > now.toISOString().slice(0, 10)) return 0;
  const waitingBefore = o.lines.reduce((s, l) => s + l.backordered, 0);
  if (waitingBefore === 0) return 0;
  const catalog = await catalogFor(db, tenantId, o.lines, (i) => `order.lines[${i}].sku`);
  const r = await routeOpenUnits(db, tenantId, actor, o, catalog, {
    trigger: 'backorder_release',
    now,
    only_if_reserved: true,
  });
  if (r.audit.length === 0) return 0; // nothing could be reserved: no routing, no noise in the trail
  const gained =
    r.order.lines.reduce((s, l) => s + l.allocated, 0) - o.lines.reduce((s, l) => s + l.allocated, 0);
  await commitChange(db, tenantId, actor, o, r.order, r.audit, [
    {
      type: 'order.routed',
      subject: orderId,
      data: {
        order_id: orderId,
        trigger: 'backorder_release',
        location_ids: r.order.location_ids,
        promised_delivery_date: r.order.promised_delivery_date,
      },
    },
  ]);
  return Math.max(0, gained);
}

// ── replacements ─────────────────────────────────────────────────────────────────────────────

/**
 * "Ship a replacement": a new order at no charge for what the customer should have had, routed
 * like any other and linked to the original in both trails.
 */
export async function replace(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  orderId: string,
  input: {
    reason: string;
    lines?: { line_no: number; quantity: number }[] | undefined;
    service_level?: Order['service_level'] | undefined;
  },
) {
  const o = await lockOrder(db, tenantId, orderId);
  const picks =
    input.lines ??
    o.lines.filter((l) => l.shipped > 0).map((l) => ({ line_no: l.line_no, quantity: l.shipped }));
  if (picks.length === 0)
    throw notNow(o, 'Nothing has shipped yet; name the lines to replace.', 'nothing_shipped');
  const lines = picks.map((p, i) => {
    const line = o.lines.find((l) => l.line_no === p.line_no);
    if (!line) {
      throw new AppError(
        'validation-error',
        `body.lines[${i}].line_no: the order has no line ${p.line_no}.`,
        {
          errors: [{ path: `body.lines[${i}].line_no`, message: `The order has no line ${p.line_no}.` }],
        },
      );
    }
    if (p.quantity > line.quantity - line.cancelled) {
      const message = `Line ${p.line_no} has ${line.quantity - line.cancelled} units not cancelled; cannot replace ${p.quantity}.`;
      throw new AppError('validation-error', `body.lines[${i}].quantity: ${message}`, {
        errors: [{ path: `body.lines[${i}].quantity`, message }],
      });
    }
    return { sku: line.sku, quantity: p.quantity, unit_price: 0, discount: 0, tax: 0 };
  });
  const count = await db.query(
    'select count(*)::int as n from orders where tenant_id = $1 and replacement_for = $2',
    [tenantId, orderId],
  );
  const n = (count.rows[0] as { n: number }).n + 1;
  const { order } = await captureOrder(
    db,
    tenantId,
    actor,
    {
      channel: o.channel,
      channel_order_id: `${o.channel_order_id}-R${n}`,
      order_type: 'standard',
      customer: o.customer,
      shipping_address: o.shipping_address,
      ...(o.billing_address && { billing_address: o.billing_address }),
      lines,
      currency: o.currency,
      totals: { subtotal: 0, discount: 0, tax: 0, shipping: 0, total: 0 },
      service_level: input.service_level ?? o.service_level,
      notes: input.reason,
      tags: ['replacement'],
    },
    { replacement_for: orderId },
  );
  await commitChange(db, tenantId, actor, o, o, [
    { type: 'replacement_created', note: input.reason, data: { replacement_order_id: order.order_id } },
  ]);
  return order;
}

export type { OrderStatus };
