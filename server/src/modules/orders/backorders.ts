import { type Pool, type Queryable, withTransaction } from '../../db/pool.ts';
import type { Actor } from '../../http/context.ts';
import { AppError } from '../../http/problem.ts';
import { findBundles } from '../catalog/service.ts';
import { sellableSnapshot } from '../inventory/read.ts';
import { allocateWaiting } from './service.ts';

/**
 * Backorder release: when stock arrives, the orders waiting for it are given it oldest first.
 *
 * FIFO by `placed_at` (then `order_number`): the waiting orders are taken in that order and each
 * is routed again on its own, with the stock there is at that moment, before the next one is
 * looked at. So an older order is never passed over for a newer one while it still waits for stock
 * that may serve it: it takes what it can first, even when that only allocates part of it.
 *
 * What "may serve it" means is the planner's call, the same as at capture: the location must ship
 * to the order's address at its service level, within its channel's pool, and so on. When stock
 * arrives at a location that cannot serve the older order (it does not ship to that region, say),
 * the older order gets nothing from it and keeps waiting, and a newer order that location can
 * serve is allocated from it. That is correct: the older order could not have used that stock.
 *
 * Orders on hold, released to fulfillment or cancelled are skipped and do not block the others;
 * nor do pre-orders before their release date. One release per tenant runs at a time (the
 * workflow's queue is partitioned by tenant), so two passes never interleave.
 */

export const BACKORDER_ACTOR: Actor = { type: 'system', id: 'backorder-release' };

/** Orders looked at per call; the caller goes on from `next`. */
export const RELEASE_BATCH = 100;
/** SKUs one release looks at; the sweep passes at most this many per tenant. */
export const RELEASE_SKUS_MAX = 1000;
// Distinct SKUs with waiting lines read per tenant to find which of them wait for a SKU.
const WAITING_SKUS_MAX = 10_000;

/** Where the next batch starts: after this order in FIFO order. */
export type ReleaseCursor = { placed_at: string; order_number: number };

export type ReleaseResult = {
  /** Orders looked at. */
  checked: number;
  /** Orders that gained allocated units, oldest first. */
  released: { order_id: string; order_number: number; units: number }[];
  /** Orders a person has to look at (a SKU retired since capture, say); the others went on. */
  skipped: { order_id: string; reason: string }[];
  /** Set when the batch was full: call again from here. */
  next: ReleaseCursor | null;
  stopped: 'no_stock' | 'no_waiting_orders' | 'batch_full';
};

/** The distinct SKUs of the tenant's order lines that have units waiting. */
async function waitingLineSkus(db: Queryable, tenantId: string) {
  const { rows } = await db.query<{ sku: string }>(
    `select distinct sku from order_lines where tenant_id = $1 and backordered > 0 order by sku limit $2`,
    [tenantId, WAITING_SKUS_MAX],
  );
  return rows.map((r) => r.sku);
}

/**
 * For stock of `skus`: which line SKUs wait for it (those SKUs, and bundles with one of them
 * among their components, since a bundle line waits for its components) and which product SKUs'
 * stock decides whether any of it can be served (a bundle's components stand for the bundle).
 */
export async function demandFor(db: Queryable, tenantId: string, skus: readonly string[]) {
  const given = new Set(skus);
  const waiting = await waitingLineSkus(db, tenantId);
  if (waiting.length === 0) return { lines: [], stock: [] };
  const bundles = await findBundles(db, tenantId, [...new Set([...waiting, ...given])]);
  const lines = waiting.filter(
    (s) => given.has(s) || (bundles.get(s)?.components.some((c) => given.has(c.sku)) ?? false),
  );
  const stock = new Set([...given].flatMap((s) => bundles.get(s)?.components.map((c) => c.sku) ?? [s]));
  return { lines, stock: [...stock].sort() };
}

async function anythingSellable(db: Queryable, tenantId: string, skus: string[]) {
  const { sellable } = await sellableSnapshot(db, tenantId, skus);
  return Object.keys(sellable).length > 0;
}

type Waiting = { order_id: string; order_number: number; placed_at: string };

/** The next waiting orders for these line SKUs, oldest first, that a release may allocate now. */
async function waitingOrders(
  db: Queryable,
  tenantId: string,
  lineSkus: string[],
  today: string,
  after: ReleaseCursor | undefined,
  limit: number,
) {
  // placed_at travels as text so the cursor keeps Postgres's microseconds.
  const { rows } = await db.query<Waiting>(
    `select o.order_id, o.order_number, o.placed_at::text as placed_at
     from orders o
     where o.tenant_id = $1
       and o.order_id in (select l.order_id from order_lines l
                          where l.tenant_id = $1 and l.sku = any($2) and l.backordered > 0)
       and o.hold_reason is null and o.status <> 'cancelled'
       and (o.release_date is null or o.release_date <= $3::date)
       and ($4::timestamptz is null or (o.placed_at, o.order_number) > ($4::timestamptz, $5::bigint))
     order by o.placed_at, o.order_number
     limit $6`,
    [tenantId, lineSkus, today, after?.placed_at ?? null, after?.order_number ?? null, limit],
  );
  return rows;
}

/**
 * Releases backorders waiting for stock of `skus` (products or bundles), oldest first: up to
 * `limit` orders, each routed again by `allocateWaiting` in its own transaction (it locks the
 * order and re-checks hold, release, cancellation and release date). Stops early once none of
 * the SKUs has anything sellable left. Running it again does nothing twice: an order only ever
 * gets its waiting units.
 */
export async function releaseBackorders(
  pool: Pool,
  tenantId: string,
  skus: readonly string[],
  now: Date = new Date(),
  opts: { after?: ReleaseCursor | undefined; limit?: number } = {},
): Promise<ReleaseResult> {
  if (skus.length > RELEASE_SKUS_MAX) {
    throw new Error(`releaseBackorders takes at most ${RELEASE_SKUS_MAX} SKUs, not ${skus.length}.`);
  }
  const limit = Math.min(Math.max(1, opts.limit ?? RELEASE_BATCH), RELEASE_BATCH);
  const result: ReleaseResult = {
    checked: 0,
    released: [],
    skipped: [],
    next: null,
    stopped: 'no_waiting_orders',
  };
  const demand = await demandFor(pool, tenantId, skus);
  if (demand.lines.length === 0) return result;
  if (!(await anythingSellable(pool, tenantId, demand.stock))) return { ...result, stopped: 'no_stock' };

  const today = now.toISOString().slice(0, 10);
  const orders = await waitingOrders(pool, tenantId, demand.lines, today, opts.after, limit);
  for (const o of orders) {
    result.checked++;
    try {
      const units = await withTransaction(pool, (tx) =>
        allocateWaiting(tx, tenantId, BACKORDER_ACTOR, o.order_id, now),
      );
      if (units > 0) result.released.push({ order_id: o.order_id, order_number: o.order_number, units });
    } catch (err) {
      // A business refusal concerns this order only; anything else fails the batch, to be retried.
      if (!(err instanceof AppError)) throw err;
      result.skipped.push({ order_id: o.order_id, reason: err.message });
    }
    // Bundle components may be reserved without a whole unit gained, so look after every order.
    if (!(await anythingSellable(pool, tenantId, demand.stock))) return { ...result, stopped: 'no_stock' };
  }
  const last = orders.at(-1);
  if (orders.length === limit && last) {
    return {
      ...result,
      next: { placed_at: last.placed_at, order_number: last.order_number },
      stopped: 'batch_full',
    };
  }
  return result;
}

/** Tenants with waiting lines and the SKUs those lines wait for: what the sweep releases. */
export async function tenantsWaiting(db: Queryable, limit: number) {
  const { rows } = await db.query<{ tenant_id: string; skus: string[] }>(
    `select tenant_id, (array_agg(distinct sku order by sku))[1:$2::int] as skus
     from order_lines where backordered > 0
     group by tenant_id order by tenant_id limit $1`,
    [limit, RELEASE_SKUS_MAX],
  );
  return rows;
}
