import type { Queryable } from '../../db/pool.ts';
import type { Actor } from '../../http/context.ts';
import { lowStockThresholds } from '../catalog/service.ts';
import { publish } from '../events/service.ts';
import type { Balance } from './ledger.ts';

/**
 * After stock moved in or out of `available`, tells the world when a SKU's free stock over all
 * locations fell to its low-stock threshold (`inventory.low_stock`) or came back from zero
 * (`inventory.back_in_stock`). Totals are only read when a crossing is possible, so ordinary
 * reservations of SKUs without a threshold cost no extra query.
 */
export async function stockSignals(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  changes: { sku: string; location_id: string; quantity: number }[],
  after: Balance[],
  direction: 1 | -1,
) {
  const delta = new Map<string, number>();
  for (const c of changes) delta.set(c.sku, (delta.get(c.sku) ?? 0) + c.quantity);
  const rowAfter = new Map(after.map((b) => [b.sku, b]));
  const candidates = [...delta.keys()].filter((sku) => {
    const row = rowAfter.get(sku);
    // Coming back needs this row to have been empty; running low needs stock to have gone down.
    return direction === 1 ? row !== undefined && row.available - delta.get(sku)! <= 0 : true;
  });
  if (candidates.length === 0) return;
  const thresholds = await lowStockThresholds(db, tenantId);
  const watch = candidates.filter((sku) => direction === 1 || thresholds.has(sku));
  if (watch.length === 0) return;
  const { rows } = await db.query<{ sku: string; available: number }>(
    `select sku, sum(available)::int as available from inventory_balances
     where tenant_id = $1 and sku = any($2) group by sku`,
    [tenantId, watch],
  );
  for (const { sku, available } of rows) {
    const before = available - direction * delta.get(sku)!;
    const threshold = thresholds.get(sku);
    if (direction === 1 && before <= 0 && available > 0) {
      await publish(db, tenantId, actor, {
        type: 'inventory.back_in_stock',
        subject: sku,
        data: { sku, available },
      });
    }
    if (direction === -1 && threshold != null && before > threshold && available <= threshold) {
      await publish(db, tenantId, actor, {
        type: 'inventory.low_stock',
        subject: sku,
        data: { sku, available, low_stock_threshold: threshold },
      });
    }
  }
}
