import { DBOS } from '@dbos-inc/dbos-sdk';
import { type Pool, type PoolClient, withTransaction } from '../../db/pool.ts';
import type { Actor } from '../../http/context.ts';
import type { Logger } from '../../logger.ts';
import { workflowDeps } from '../../workflows/deps.ts';
import { type ConsumedEvent, startEventConsumer } from '../events/consumer.ts';
import { getOrder } from '../orders/service.ts';
import { type CarrierGateway, gatewayFromEnv } from './carrier.ts';
import { getSettings, releaseIfReady, riskSweep, syncOrder, track } from './service.ts';
import * as store from './store.ts';

/**
 * Fulfillment's durable background work:
 * - `orderly.order-lifecycle`, one per order (`order:<tenant>:<order id>`), started by the
 *   `order-lifecycle` consumer when the order is captured: releases it to fulfillment when the
 *   tenant's auto-release says so (never while on hold), then follows it until it is delivered,
 *   cancelled or returned. Its waits are woken by the order's events;
 * - the `fulfillment-sync` consumer keeps fulfillment orders in step with changes made on the order
 *   (units cancelled, backorders of a released order allocated), exactly once per event;
 * - `orderly.fulfillment-risk` (every 5 minutes) flags late and at-risk fulfillment orders;
 * - `orderly.tracking-poll` (every 15 minutes) asks the carrier gateway about shipments in flight.
 */

export const FULFILLMENT_CONSUMER = 'fulfillment-sync';
const SYSTEM: Actor = { type: 'system', id: 'fulfillment' };
/** Shipments one poll asks the carrier about (least recently updated first). */
const POLL_SHIPMENTS_MAX = 500;

/** The orders these events changed, per tenant, that fulfillment must look at again. */
export function ordersToSync(events: readonly ConsumedEvent[]) {
  const out = new Map<string, Set<string>>();
  for (const e of events) {
    const d = e.data as { order_id?: unknown; trigger?: unknown };
    const wanted =
      e.type === 'order.cancelled' || (e.type === 'order.routed' && d.trigger === 'backorder_release');
    if (!wanted || typeof d.order_id !== 'string') continue;
    out.set(e.tenant_id, (out.get(e.tenant_id) ?? new Set()).add(d.order_id));
  }
  return out;
}

/** Each order in its own savepoint: one that cannot be synced is logged, not retried forever. */
export async function onOrderEvents(events: ConsumedEvent[], tx: PoolClient, log: Logger) {
  for (const [tenantId, orderIds] of ordersToSync(events)) {
    for (const orderId of orderIds) {
      await tx.query('savepoint fulfillment_sync');
      try {
        await syncOrder(tx, tenantId, SYSTEM, orderId);
        await tx.query('release savepoint fulfillment_sync');
      } catch (err) {
        await tx.query('rollback to savepoint fulfillment_sync');
        log.error(
          { tenant_id: tenantId, order_id: orderId, err: (err as Error).message },
          'fulfillment sync failed',
        );
      }
    }
  }
}

export function startFulfillmentSync(pool: Pool, log: Logger, opts: { idle_ms?: number } = {}) {
  return startEventConsumer(pool, log, {
    name: FULFILLMENT_CONSUMER,
    types: ['order.cancelled', 'order.routed'],
    handle: (events, tx) => onOrderEvents(events, tx, log),
    idle_ms: opts.idle_ms ?? 1000,
  });
}

export const fulfillmentRiskSweep = DBOS.registerWorkflow(
  async (scheduledAt: Date, _context: unknown) => {
    const changed = await DBOS.runStep(
      () => withTransaction(workflowDeps().pool, (tx) => riskSweep(tx, new Date(scheduledAt))),
      { name: 'assess', retriesAllowed: true, maxAttempts: 3 },
    );
    if (changed > 0) workflowDeps().log.info({ orders: changed }, 'fulfillment risk changed');
  },
  { name: 'orderly.fulfillment-risk' },
);

/**
 * Applies what the carrier knows about each shipment in flight; each shipment in its own
 * transaction. Updates already recorded are no-ops, so a poll that repeats is harmless.
 */
export async function pollTracking(pool: Pool, gateway: CarrierGateway, log: Logger) {
  let applied = 0;
  for (const s of await store.shipmentsInFlight(pool, POLL_SHIPMENTS_MAX)) {
    try {
      const updates = await gateway.track(s.carrier, s.tracking_numbers[0]!);
      if (updates.length === 0) continue;
      await withTransaction(pool, async (tx) => {
        for (const u of updates) {
          await track(
            tx,
            s.tenant_id,
            SYSTEM,
            s.shipment_id,
            {
              status: u.status,
              occurred_at: u.occurred_at,
              description: u.description,
              ...(u.location && { location: u.location }),
              ...(u.estimated_delivery_date && { estimated_delivery_date: u.estimated_delivery_date }),
            },
            'carrier',
          );
        }
      });
      applied += updates.length;
    } catch (err) {
      log.warn({ shipment_id: s.shipment_id, err: (err as Error).message }, 'tracking poll failed');
    }
  }
  return applied;
}

export const trackingPoll = DBOS.registerWorkflow(
  async (_scheduledAt: Date, _context: unknown) => {
    const { pool, log } = workflowDeps();
    const applied = await DBOS.runStep(() => pollTracking(pool, gatewayFromEnv(), log), { name: 'poll' });
    if (applied > 0) log.info({ updates: applied }, 'tracking updates applied');
  },
  { name: 'orderly.tracking-poll' },
);

// ── the order lifecycle ──────────────────────────────────────────────────────────────────────

export const LIFECYCLE_CONSUMER = 'order-lifecycle';
const ORDER_TOPIC = 'order';
const HOUR_S = 3600;
/** After this many daily looks at a shipped order that never reads delivered, the workflow ends. */
const DELIVERY_WAIT_DAYS = 60;
const ENDED = new Set(['delivered', 'cancelled', 'returned', 'partially_returned']);

export const orderWorkflowId = (tenantId: string, orderId: string) => `order:${tenantId}:${orderId}`;

/** Where the order stands, and how long until the tenant's auto-release may release it. */
async function lookAt(tenantId: string, orderId: string) {
  const pool = workflowDeps().pool;
  const [o, settings] = await Promise.all([getOrder(pool, tenantId, orderId), getSettings(pool, tenantId)]);
  const auto = settings.auto_release;
  const dueAt = new Date(o.placed_at).getTime() + auto.after_minutes * 60_000;
  return {
    status: o.status,
    released: o.released_at !== null,
    releasable: auto.enabled && !o.on_hold && o.lines.some((l) => l.allocated > 0),
    wait_s: auto.enabled ? Math.max(0, Math.ceil((dueAt - Date.now()) / 1000)) : HOUR_S,
  };
}

const lifecycleStep = <T>(name: string, fn: () => Promise<T>) =>
  DBOS.runStep(fn, { name, retriesAllowed: true, maxAttempts: 5, intervalSeconds: 1, backoffRate: 2 });

export const orderLifecycle = DBOS.registerWorkflow(
  async (tenantId: string, orderId: string) => {
    const { metrics } = workflowDeps();
    metrics.workflows.inc({ workflow: 'order-lifecycle', outcome: 'started' });
    const wake = (seconds: number) =>
      DBOS.recv<string>(ORDER_TOPIC, Math.max(1, Math.min(seconds, 24 * HOUR_S)));
    try {
      // Until released: release it when the tenant's rule says so; otherwise wait for a change.
      for (;;) {
        const now = await lifecycleStep('look', () => lookAt(tenantId, orderId));
        if (now.status === 'cancelled') return 'cancelled';
        if (now.released) break;
        if (now.releasable && now.wait_s === 0) {
          const released = await lifecycleStep('release', () =>
            withTransaction(workflowDeps().pool, (db) => releaseIfReady(db, tenantId, SYSTEM, orderId)),
          );
          if (released) break;
        }
        await wake(now.releasable ? now.wait_s : HOUR_S);
      }
      // Released: follow it to the end. Failures at a location re-route in fulfillment itself.
      for (let day = 0; day < DELIVERY_WAIT_DAYS; day++) {
        const now = await lifecycleStep('look', () => lookAt(tenantId, orderId));
        if (ENDED.has(now.status)) {
          metrics.workflows.inc({ workflow: 'order-lifecycle', outcome: 'succeeded' });
          return now.status;
        }
        await wake(24 * HOUR_S);
      }
      metrics.workflows.inc({ workflow: 'order-lifecycle', outcome: 'succeeded' });
      return 'shipped';
    } catch (err) {
      metrics.workflows.inc({ workflow: 'order-lifecycle', outcome: 'failed' });
      throw err;
    }
  },
  { name: 'orderly.order-lifecycle' },
);

/**
 * A captured order starts its lifecycle (once: the id is the order's); any later change to the
 * order wakes it. Orders captured before the lifecycle existed have none and are left alone.
 */
export async function onOrderLifecycleEvents(events: ConsumedEvent[]) {
  const woken = new Map<string, ConsumedEvent>();
  for (const e of events) {
    const orderId = (e.data as { order_id?: unknown }).order_id;
    if (typeof orderId !== 'string') continue;
    const id = orderWorkflowId(e.tenant_id, orderId);
    if (e.type === 'order.created') {
      await DBOS.startWorkflow(orderLifecycle, { workflowID: id })(e.tenant_id, orderId);
    } else {
      woken.set(id, e);
    }
  }
  if (woken.size === 0) return;
  const running = await DBOS.listWorkflows({
    workflowIDs: [...woken.keys()],
    status: ['PENDING', 'ENQUEUED'],
  });
  for (const w of running)
    await DBOS.send(
      w.workflowID,
      woken.get(w.workflowID)!.type,
      ORDER_TOPIC,
      woken.get(w.workflowID)!.event_id,
    );
}

export function startOrderLifecycles(pool: Pool, log: Logger, opts: { idle_ms?: number } = {}) {
  return startEventConsumer(pool, log, {
    name: LIFECYCLE_CONSUMER,
    types: [
      'order.created',
      'order.status_changed',
      'order.held',
      'order.released',
      'order.routed',
      'order.updated',
    ],
    handle: (events) => onOrderLifecycleEvents(events),
    idle_ms: opts.idle_ms ?? 500,
  });
}
