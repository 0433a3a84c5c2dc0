import type { InventoryMovement, SkuLocationBalance } from './api.ts';
import { formatNumber } from './format.ts';

const OUTSIDE = 'outside:';

/** "+10 available", "−1 available → reserved", "−2 reserved": what one movement did to the buckets. */
export function describeChange(m: InventoryMovement): { text: string; direction: 'in' | 'out' | 'within' } {
  const qty = formatNumber(m.quantity);
  const fromOutside = m.from_bucket.startsWith(OUTSIDE);
  const toOutside = m.to_bucket.startsWith(OUTSIDE);
  if (fromOutside && !toOutside) return { text: `+${qty} ${m.to_bucket}`, direction: 'in' };
  if (toOutside && !fromOutside) return { text: `−${qty} ${m.from_bucket}`, direction: 'out' };
  return { text: `−${qty} ${m.from_bucket} → ${m.to_bucket}`, direction: 'within' };
}

/** "adjustment (found)", "transfer (shipped)": why, in the ledger's own words. */
export function describeCause(m: InventoryMovement): string {
  return m.reason ? `${m.cause} (${m.reason.replaceAll('_', ' ')})` : m.cause;
}

const ACTOR_TYPES: Record<string, string> = { user: 'a user', api_key: 'API key', system: 'the system' };

/** "API key": who, briefly; the id itself is long, so the list shows it on hover. */
export const describeActor = (actor: InventoryMovement['actor']) => ACTOR_TYPES[actor.type] ?? actor.type;

/**
 * Available at the movement's location right after each movement, newest first: start from the
 * current balance and undo the movements one by one. Exact while `movements` is the newest page and
 * was read with `balances` (a movement in between would shift the older numbers until a reload).
 */
export function availableAfter(movements: InventoryMovement[], balances: SkuLocationBalance[]): number[] {
  const now = new Map(balances.map((b) => [b.location_id, b.available]));
  return movements.map((m) => {
    const after = now.get(m.location_id) ?? 0;
    let before = after;
    if (m.to_bucket === 'available') before -= m.quantity;
    if (m.from_bucket === 'available') before += m.quantity;
    now.set(m.location_id, before);
    return after;
  });
}
