import type { OrderStatus } from './api.ts';
import { GROUP_OF, statusLabel } from './orders.ts';

/** The status in words, coloured by its group. */
export function StatusBadge({ status }: { status: OrderStatus }) {
  return (
    <span className={`badge status status-${GROUP_OF.get(status)?.id ?? 'open'}`}>{statusLabel(status)}</span>
  );
}
