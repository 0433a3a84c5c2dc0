import { type OrderShipment, packingSlipUrl } from './api.ts';
import { formatDate, formatDay } from './format.ts';

type Props = { shipments: OrderShipment[]; nameOf: (locationId: string) => string };

/** What left, as the customer counts it: "Shipment 1 of 2 delivered", with its items and tracking. */
export function OrderShipments({ shipments, nameOf }: Props) {
  return (
    <section className="card" aria-labelledby="shipments-title">
      <h2 id="shipments-title">Shipments</h2>
      {shipments.length === 0 ? (
        <p className="muted">Nothing has shipped yet.</p>
      ) : (
        <ol className="shipments">
          {shipments.map((s) => (
            <li key={s.shipment_id}>
              <div className="shipment-head">
                <strong>{s.summary}</strong>
                <span className="muted">
                  {' '}
                  · from {nameOf(s.location_id)} · {s.carrier} {s.service} {s.tracking_numbers.join(', ')} ·
                  shipped {formatDate(s.shipped_at)}
                  {s.estimated_delivery_date && s.status !== 'delivered'
                    ? ` · expected ${formatDay(s.estimated_delivery_date)}`
                    : ''}
                </span>
              </div>
              <div className="shipment-items">
                {s.items.map((i) => `${i.quantity} × ${i.sku}`).join(', ')} ·{' '}
                <a href={packingSlipUrl(s.fulfillment_order_id)} target="_blank" rel="noreferrer">
                  packing slip
                </a>
              </div>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
