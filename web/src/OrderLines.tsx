import type { Order } from './api.ts';
import { formatDay, formatMoney, formatNumber } from './format.ts';
import { sectionHref } from './sections.ts';

type Props = { order: Order; nameOf: (locationId: string) => string };

const COUNTERS = [
  'quantity',
  'allocated',
  'backordered',
  'cancelled',
  'shipped',
  'delivered',
  'returned',
] as const;
const COUNTER_LABELS: Record<(typeof COUNTERS)[number], string> = {
  quantity: 'Ordered',
  allocated: 'Allocated',
  backordered: 'Backordered',
  cancelled: 'Cancelled',
  shipped: 'Shipped',
  delivered: 'Delivered',
  returned: 'Returned',
};

/** Each line's units by where they are in their life, and which location holds the allocated ones. */
export function OrderLines({ order, nameOf }: Props) {
  return (
    <section className="card" aria-labelledby="lines-title">
      <h2 id="lines-title">Lines</h2>
      <div className="table-wrap">
        <table className="counts stack" aria-labelledby="lines-title">
          <thead>
            <tr>
              <th scope="col">Line</th>
              <th scope="col">SKU</th>
              <th scope="col" className="num">
                Price
              </th>
              {COUNTERS.map((k) => (
                <th key={k} scope="col" className="num">
                  {COUNTER_LABELS[k]}
                </th>
              ))}
              <th scope="col">Allocated at</th>
            </tr>
          </thead>
          <tbody>
            {order.lines.map((l) => (
              <tr key={l.line_no}>
                <td data-label="Line">{l.line_no}</td>
                <td data-label="SKU">
                  <a href={sectionHref('inventory', l.sku)}>
                    <code>{l.sku}</code>
                  </a>
                </td>
                <td data-label="Price" className="num">
                  {formatMoney(l.unit_price, order.currency)}
                </td>
                {COUNTERS.map((k) => (
                  <td key={k} data-label={COUNTER_LABELS[k]} className={`num${l[k] === 0 ? ' zero' : ''}`}>
                    {formatNumber(l[k])}
                  </td>
                ))}
                <td data-label="Allocated at" className="allocations">
                  {l.allocations.length === 0 ? (
                    <span className="muted">—</span>
                  ) : (
                    <ul>
                      {l.allocations.map((a) => (
                        <li
                          key={`${a.reservation_id}\u0000${a.sku}\u0000${a.location_id}`}
                          title={`${a.location_id} · routing ${a.routing_no}`}
                        >
                          {formatNumber(a.quantity)} × {a.sku !== l.sku && <code>{a.sku} </code>}
                          {nameOf(a.location_id)}
                          <div className="muted small">
                            ships {formatDay(a.ship_date)}, arrives {formatDay(a.delivery_date)}
                          </div>
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
