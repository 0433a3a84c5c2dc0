import { GroupCommit } from '../../db/group-commit.ts';
import type { Pool, Queryable } from '../../db/pool.ts';
import type { Actor } from '../../http/context.ts';
import { AppError, notFound } from '../../http/problem.ts';
import { newId } from '../../lib/ids.ts';
import { publish } from '../events/service.ts';
import { requireKnown } from './checks.ts';
import { applyMovements, type Balance, type Shortfall } from './ledger.ts';
import type { CreateReservation, Reservation } from './schema.ts';
import { stockSignals } from './signals.ts';
import { topUpSafety } from './stock.ts';
import * as store from './store.ts';

type Line = { sku: string; location_id: string; quantity: number };

export type ReserveOutcome =
  | { ok: true; reservation: Reservation; balances: Balance[] }
  | { ok: false; code: 'insufficient_stock'; shortfall: Shortfall }
  | {
      ok: false;
      code: 'channel_pool_exhausted';
      sku: string;
      channel: string;
      limit: number;
      held: number;
      requested: number;
    };

/** Same SKU at the same location twice in one request is one line. */
function mergeLines(lines: Line[]): Line[] {
  const merged = new Map<string, Line>();
  for (const l of lines) {
    const k = `${l.sku}\u0000${l.location_id}`;
    const prev = merged.get(k);
    merged.set(k, prev ? { ...prev, quantity: prev.quantity + l.quantity } : { ...l });
  }
  return [...merged.values()];
}

const perSku = (lines: Line[]) => {
  const totals = new Map<string, number>();
  for (const l of lines) totals.set(l.sku, (totals.get(l.sku) ?? 0) + l.quantity);
  return totals;
};

/**
 * Reserves stock (available → reserved) as one pending transfer. All lines or none: on a failed
 * outcome nothing is left changed, so callers (order capture, the planner's commit) can try
 * another plan in the same transaction.
 */
export async function reserve(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  input: CreateReservation,
): Promise<ReserveOutcome> {
  const lines = mergeLines(input.lines);
  // Unknown SKUs and locations have no stock, so they can only fail: they are named (422) when
  // the reservation fails, which keeps two lookups off the path of every reservation that works.
  const explainUnknown = () =>
    requireKnown(
      db,
      tenantId,
      input.lines.map((l, i) => ({ ...l, path: `body.lines[${i}]` })),
    );
  const reservationId = newId('res');
  const channel = input.channel ?? null;
  const needed = perSku(lines);

  let pooled = false;
  if (channel) {
    const pools = await store.lockChannelPools(db, tenantId, channel, [...needed.keys()]);
    pooled = pools.length > 0;
    for (const pool of pools) {
      const requested = needed.get(pool.sku)!;
      const limit = await store.poolLimit(db, tenantId, pool);
      if (pool.reserved + requested > limit) {
        await explainUnknown();
        return {
          ok: false,
          code: 'channel_pool_exhausted',
          sku: pool.sku,
          channel,
          limit,
          held: pool.reserved,
          requested,
        };
      }
    }
    // Only SKUs with a pool are counted; a channel without pools for these SKUs writes nothing.
    if (pooled) await store.addPoolReserved(db, tenantId, channel, needed);
  }

  const expiresAt = input.expires_in_s ? new Date(Date.now() + input.expires_in_s * 1000) : null;
  // Written before the stock moves so the balance rows stay locked for as short a time as possible.
  await store.insertReservation(db, tenantId, {
    reservation_id: reservationId,
    channel,
    reference: input.reference ?? null,
    expires_at: expiresAt,
    actor,
    lines,
  });
  const moved = await applyMovements(
    db,
    tenantId,
    actor,
    lines.map((l) => ({ ...l, from: 'available', to: 'reserved' })),
    { cause: 'reservation', reference: reservationId },
  );
  if (!moved.ok) {
    await explainUnknown();
    await store.deleteReservation(db, tenantId, reservationId);
    if (channel && pooled) await store.addPoolReserved(db, tenantId, channel, needed, -1);
    return { ok: false, code: 'insufficient_stock', shortfall: moved.shortfall };
  }
  await stockSignals(db, tenantId, actor, lines, moved.balances, -1);
  const reservation: Reservation = {
    reservation_id: reservationId,
    status: 'pending',
    channel,
    reference: input.reference ?? null,
    expires_at: expiresAt?.toISOString() ?? null,
    created_at: new Date().toISOString(),
    lines: lines
      .map((l) => ({ ...l, posted: 0, voided: 0 }))
      .sort((a, b) =>
        a.sku === b.sku ? a.location_id.localeCompare(b.location_id) : a.sku < b.sku ? -1 : 1,
      ),
  };
  return { ok: true, reservation, balances: moved.balances };
}

/**
 * Reservations are the ledger's hottest writes, so concurrent ones commit in groups
 * (db/group-commit.ts). Reservations of one SKU share a lane, where they queue behind each other
 * instead of waiting on each other's balance rows from several transactions; a settlement goes
 * by its reservation. (One lane per tenant was measured too: the same on one hot SKU, less than
 * half across 10,000.) Each job names the rows it will lock, which its batch locks first.
 */
export const reservationGroupCommit = (pool: Pool) =>
  new GroupCommit<store.ReservationLocks>(pool, { lock: store.lockForBatch });

export function reserveJob(tenantId: string, input: CreateReservation) {
  return {
    key: `${tenantId}:sku:${input.lines[0]?.sku}`,
    locks: { tenant_id: tenantId, channel: input.channel ?? null, lines: input.lines },
  };
}

export function settleJob(tenantId: string, reservationId: string) {
  return {
    key: `${tenantId}:reservation:${reservationId}`,
    locks: { tenant_id: tenantId, reservation_id: reservationId },
  };
}

/** The HTTP shape of a failed reservation: 409 with what was missing. */
export function reserveFailure(outcome: Exclude<ReserveOutcome, { ok: true }>): AppError {
  if (outcome.code === 'insufficient_stock') {
    const s = outcome.shortfall;
    return new AppError(
      'conflict',
      `Not enough stock: ${s.sku} at ${s.location_id} has ${s.held} ${s.bucket}, ${s.requested} requested.`,
      { code: outcome.code, shortfall: s },
    );
  }
  return new AppError(
    'conflict',
    `The ${outcome.channel} channel may hold at most ${outcome.limit} of ${outcome.sku}; it holds ${outcome.held} and asked for ${outcome.requested} more.`,
    { code: outcome.code, sku: outcome.sku, limit: outcome.limit, held: outcome.held },
  );
}

export async function getReservation(db: Queryable, tenantId: string, reservationId: string) {
  const r = await store.findReservation(db, tenantId, reservationId);
  if (!r) throw notFound(`Reservation ${reservationId}`);
  return r;
}

/**
 * Posts (shipped: reserved → the customer) or voids (released: reserved → available) part or all
 * of what remains. Settling what is already settled is a no-op, so retries are safe.
 */
export async function settle(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  reservationId: string,
  action: 'post' | 'void',
  requested?: Line[],
  /** The event the movements quote instead of this settlement's own (a fulfillment event). */
  { event_id: quoted }: { event_id?: string } = {},
) {
  const reservation = await store.findReservation(db, tenantId, reservationId, true);
  if (!reservation) throw notFound(`Reservation ${reservationId}`);
  const remaining = new Map(
    reservation.lines.map((l) => [
      `${l.sku}\u0000${l.location_id}`,
      { ...l, left: l.quantity - l.posted - l.voided },
    ]),
  );
  let take: Line[];
  if (requested) {
    take = mergeLines(requested);
    take.forEach((l, i) => {
      const line = remaining.get(`${l.sku}\u0000${l.location_id}`);
      if (!line) {
        throw new AppError(
          'validation-error',
          `body.lines[${i}]: ${l.sku} at ${l.location_id} is not in this reservation.`,
          {
            errors: [{ path: `body.lines[${i}]`, message: 'Not in this reservation.' }],
          },
        );
      }
      if (l.quantity > line.left) {
        throw new AppError(
          'conflict',
          `Only ${line.left} of ${l.sku} at ${l.location_id} remain to ${action}.`,
          {
            code: 'exceeds_remaining',
          },
        );
      }
    });
  } else {
    take = [...remaining.values()]
      .filter((l) => l.left > 0)
      .map((l) => ({ sku: l.sku, location_id: l.location_id, quantity: l.left }));
  }
  if (take.length === 0) return reservation;

  const eventId = newId('evt');
  const updated = applySettlement(reservation, action, take);
  await store.settleLines(db, tenantId, reservationId, action, take, updated.status);
  if (reservation.channel) await store.addPoolReserved(db, tenantId, reservation.channel, perSku(take), -1);
  await publish(db, tenantId, actor, {
    event_id: eventId,
    type: action === 'post' ? 'inventory.reservation_posted' : 'inventory.reservation_voided',
    subject: reservationId,
    data: {
      reservation_id: reservationId,
      reference: updated.reference,
      channel: updated.channel,
      lines: take,
    },
  });
  // Stock moves last: the balance rows stay locked only from here to the commit.
  const moved = await applyMovements(
    db,
    tenantId,
    actor,
    take.map((l) =>
      action === 'post'
        ? { ...l, from: 'reserved', to: 'outside:customer' }
        : { ...l, from: 'reserved', to: 'available' },
    ),
    // The movements quote the event above: a stock import's sequence number says which it reflects.
    {
      cause: action === 'post' ? 'fulfillment' : 'release',
      reference: reservationId,
      event_id: quoted ?? eventId,
    },
  );
  // reserved only ever changes through reservations, so what a reservation holds is there.
  if (!moved.ok) throw new Error(`Ledger out of step: reservation ${reservationId} holds more than reserved`);
  if (action === 'void') {
    // Released stock restores safety stock first, as any other stock coming back does.
    const balances = await topUpSafety(db, tenantId, actor, moved.balances);
    await stockSignals(db, tenantId, actor, take, balances, +1);
  }
  return updated;
}

/** The reservation after settling `take`; its status follows from the lines. */
function applySettlement(r: Reservation, action: 'post' | 'void', take: Line[]): Reservation {
  const lines = r.lines.map((l) => {
    const t = take.find((x) => x.sku === l.sku && x.location_id === l.location_id);
    if (!t) return l;
    return action === 'post'
      ? { ...l, posted: l.posted + t.quantity }
      : { ...l, voided: l.voided + t.quantity };
  });
  const total = (k: 'quantity' | 'posted' | 'voided') => lines.reduce((s, l) => s + l[k], 0);
  const status: Reservation['status'] =
    total('posted') + total('voided') < total('quantity')
      ? 'pending'
      : total('voided') === 0
        ? 'posted'
        : total('posted') === 0
          ? 'voided'
          : 'settled';
  return { ...r, status, lines };
}

/** Sets what a channel may hold of a SKU; what it holds now counts against the new limit at once. */
export async function setChannelPool(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  input: { channel: string; sku: string; limit_units?: number; limit_percent?: number },
) {
  await requireKnown(db, tenantId, [{ sku: input.sku, path: 'body' }]);
  const pool = await store.upsertChannelPool(db, tenantId, {
    channel: input.channel,
    sku: input.sku,
    limit_units: input.limit_units ?? null,
    limit_percent: input.limit_percent ?? null,
  });
  await publish(db, tenantId, actor, {
    type: 'channel_pool.updated',
    subject: `${pool.channel}:${pool.sku}`,
    data: pool,
  });
  return pool;
}
