import { DBOS } from '@dbos-inc/dbos-sdk';
import type { Pool, Queryable } from '../../db/pool.ts';
import type { Logger } from '../../logger.ts';
import { workflowDeps } from '../../workflows/deps.ts';
import { type ConsumedEvent, startEventConsumer } from '../events/consumer.ts';
import {
  demandFor,
  type ReleaseCursor,
  type ReleaseResult,
  releaseBackorders,
  tenantsWaiting,
} from './backorders.ts';

/**
 * Backorders released as stock arrives. The `backorder-release` event consumer watches the ledger's
 * events; for each tenant whose batch brings stock into `available` for SKUs that orders wait for,
 * it starts `orderly.backorder-release` with an id made of the tenant and the batch's highest seq,
 * so a batch delivered twice starts it once. A sweep every five minutes releases for every tenant
 * with waiting lines: pre-orders whose release date came, and anything an event did not cover.
 * Every release runs on one queue partitioned by tenant, one at a time per tenant, so passes over
 * a tenant's backorders never interleave (see backorders.ts for what FIFO means).
 */

export const BACKORDER_QUEUE = 'orderly.backorder-release';
export const BACKORDER_CONSUMER = 'backorder-release';
const CONSUMED_TYPES = ['inventory.changed', 'inventory.back_in_stock'];
// Reserving takes stock out of available and shipping posts reserved stock: neither brings any in.
const OUTBOUND_CAUSES = new Set(['reservation', 'fulfillment']);
/** Batches of RELEASE_BATCH orders per run; the next event or sweep goes on from there. */
const BATCHES_MAX = 50;
/** Tenants one sweep starts releases for. */
const SWEEP_TENANTS_MAX = 1000;

const workflowId = (tenantId: string, seq: number) => `backorder-release:${tenantId}:${seq}`;

/** Per tenant: the SKUs whose stock came into available in these events, and the highest seq. */
export function stockArrivals(events: readonly ConsumedEvent[]) {
  const byTenant = new Map<string, { skus: Set<string>; seq: number }>();
  for (const e of events) {
    const d = e.data as { sku?: unknown; cause?: unknown; available?: unknown };
    const arrived =
      e.type === 'inventory.back_in_stock' ||
      (e.type === 'inventory.changed' && !OUTBOUND_CAUSES.has(String(d.cause)) && Number(d.available) > 0);
    if (!arrived || typeof d.sku !== 'string') continue;
    const t = byTenant.get(e.tenant_id) ?? { skus: new Set<string>(), seq: 0 };
    t.skus.add(d.sku);
    t.seq = Math.max(t.seq, e.seq);
    byTenant.set(e.tenant_id, t);
  }
  return byTenant;
}

async function releaseStep(
  tenantId: string,
  skus: string[],
  after: ReleaseCursor | null,
): Promise<ReleaseResult> {
  return releaseBackorders(workflowDeps().pool, tenantId, skus, new Date(), { after: after ?? undefined });
}

/** Releases one tenant's backorders for these SKUs, batch by batch, each batch a named step. */
export const backorderRelease = DBOS.registerWorkflow(
  async (tenantId: string, skus: string[]) => {
    const { metrics, log } = workflowDeps();
    metrics.workflows.inc({ workflow: 'backorder-release', outcome: 'started' });
    const total = { checked: 0, orders: 0, units: 0, skipped: 0 };
    try {
      let after: ReleaseCursor | null = null;
      for (let i = 0; i < BATCHES_MAX; i++) {
        const cursor: ReleaseCursor | null = after;
        const r: ReleaseResult = await DBOS.runStep(() => releaseStep(tenantId, skus, cursor), {
          name: `release-${i}`,
          retriesAllowed: true,
          maxAttempts: 3,
        });
        total.checked += r.checked;
        total.orders += r.released.length;
        total.units += r.released.reduce((s, o) => s + o.units, 0);
        total.skipped += r.skipped.length;
        for (const s of r.skipped) log.warn({ tenant_id: tenantId, ...s }, 'backorder not released');
        if (!r.next) break;
        after = r.next;
      }
      metrics.workflows.inc({ workflow: 'backorder-release', outcome: 'succeeded' });
      if (total.orders > 0) log.info({ tenant_id: tenantId, skus, ...total }, 'backorders released');
      return total;
    } catch (err) {
      metrics.workflows.inc({ workflow: 'backorder-release', outcome: 'failed' });
      throw err;
    }
  },
  { name: 'orderly.backorder-release' },
);

/** Starts (or finds, by its id) one tenant's release on the tenant's partition of the queue. */
function startRelease(workflowID: string, tenantId: string, skus: string[]) {
  return DBOS.startWorkflow(backorderRelease, {
    workflowID,
    queueName: BACKORDER_QUEUE,
    enqueueOptions: { queuePartitionKey: tenantId },
  })(tenantId, skus);
}

/** The consumer's handler: one release per tenant whose stock came in for something waiting. */
export async function onStockEvents(events: ConsumedEvent[], db: Queryable) {
  for (const [tenantId, { skus, seq }] of stockArrivals(events)) {
    const arrived = [...skus].sort();
    // Most stock movements concern SKUs nobody waits for: they start nothing.
    if ((await demandFor(db, tenantId, arrived)).lines.length === 0) continue;
    await startRelease(workflowId(tenantId, seq), tenantId, arrived);
  }
}

/** Every five minutes: a release for each tenant with waiting lines, for all of its SKUs. */
export const backorderSweep = DBOS.registerWorkflow(
  async (scheduledAt: Date, _context: unknown) => {
    const waiting = await DBOS.runStep(() => tenantsWaiting(workflowDeps().pool, SWEEP_TENANTS_MAX), {
      name: 'tenants-waiting',
      retriesAllowed: true,
      maxAttempts: 3,
    });
    const at = new Date(scheduledAt).toISOString();
    for (const w of waiting) await startRelease(`backorder-sweep:${w.tenant_id}:${at}`, w.tenant_id, w.skus);
  },
  { name: 'orderly.backorder-sweep' },
);

/**
 * In each worker process, after DBOS has launched: the release queue and the consumer that feeds
 * it. Returns the function that stops the consumer (before DBOS shuts down).
 */
export async function startBackorderRelease(pool: Pool, log: Logger, opts: { idle_ms?: number } = {}) {
  await DBOS.registerQueue(BACKORDER_QUEUE, { partitionConcurrency: 1, minPollingIntervalMs: 500 });
  return startEventConsumer(pool, log, {
    name: BACKORDER_CONSUMER,
    types: CONSUMED_TYPES,
    handle: onStockEvents,
    idle_ms: opts.idle_ms ?? 1000,
  });
}
