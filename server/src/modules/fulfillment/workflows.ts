import { DBOS } from '@dbos-inc/dbos-sdk';
import { type Pool, type PoolClient, withTransaction } from '../../db/pool.ts';
import type { Actor } from '../../http/context.ts';
import type { Logger } from '../../logger.ts';
import { workflowDeps } from '../../workflows/deps.ts';
import { type ConsumedEvent, startEventConsumer } from '../events/consumer.ts';
import { type CarrierGateway, gatewayFromEnv } from './carrier.ts';
import { riskSweep, syncOrder, track } from './service.ts';
import * as store from './store.ts';

/**
 * Fulfillment's durable background work:
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
